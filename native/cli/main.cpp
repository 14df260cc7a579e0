// latchkey — connect accounts over OAuth and act on their behalf, with every token sealed
// in a local SQLite store. Verbs live in commands_*.cpp; this file wires them together.
#include <CLI/CLI.hpp>

#include <cctype>
#include <cstdlib>
#include <iostream>

#include "host/process_hardening.hpp"
#include "latchkey/latchkey.h"
#include "session.hpp"
#include "host/usage.hpp"

namespace latchkey::cli {
namespace {

// API keys are never taken from arguments: other users can read argv in the process list, shells
// keep it in their history, and CLI11 would echo an unexpected one back in its error message. So
// an argument that is, or names, an API key is refused before parsing, without repeating it.
bool looks_like_api_key(const std::string& arg) {
  if (arg == "--api-key" || arg.rfind("--api-key=", 0) == 0) return true;
  if (arg.size() != 46 || arg.rfind("lk_", 0) != 0) return false;  // latchkeyd's keys: lk_ + 43 base64url
  for (char c : arg.substr(3)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace
}  // namespace latchkey::cli

int main(int argc, char** argv) {
  using namespace latchkey::cli;
  CLI::App app{"latchkey — connect accounts over OAuth and act on their behalf; tokens stay sealed on this machine",
               "latchkey"};
  app.footer(
      "Exit codes: 0 ok; 1 bad input or local problem; 2 the provider or network failed; 3 the connection must be "
      "authorized again (latchkey connect).\nSecrets are read from stdin or files, never from arguments.\n"
      "Providers in managed mode (latchkey mode KEY --set managed) work through latchkeyd: set LATCHKEY_GATEWAY_URL "
      "and LATCHKEY_API_KEY or LATCHKEY_API_KEY_FILE.");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("latchkey ") + lk_version());
  Session session;
  if (const char* s = std::getenv("LATCHKEY_STORE")) session.store_path = s;
  app.add_option("--store", session.store_path,
                 "SQLite store file (default $XDG_DATA_HOME/latchkey/latchkey.db), or a PostgreSQL URI "
                 "postgresql://USER@HOST:PORT/DB (password from PGPASSFILE/PGPASSWORD, never the URI)")
      ->envname("LATCHKEY_STORE");
  app.add_option("--master-key-file", session.master_key_file,
                 "Read the master key from this file (base64 of 32 bytes, mode 0600; created if absent for a new "
                 "store) instead of the one beside the store file; LATCHKEY_MASTER_KEY wins over both")
      ->envname("LATCHKEY_MASTER_KEY_FILE");
  app.add_option("--ca-file", session.ca_file, "Trust these CAs (PEM) instead of the system bundle")
      ->envname("LATCHKEY_CA_FILE");
  app.add_option("--principal", session.principal, "Whose connections (default: default)")->group("");
  bool allow_core_dumps = false;
  app.add_flag("--allow-core-dumps", allow_core_dumps,
               "Leave core dumps as the environment set them, for debugging a crash (by default they are off, so "
               "no token or key can end up in one)");

  add_registry_commands(app, session);
  add_connect_commands(app, session);
  add_use_commands(app, session);

  for (int i = 1; i < argc; ++i) {
    if (looks_like_api_key(argv[i])) {
      std::cerr << "latchkey: API keys are never read from arguments (the process list and shell history would keep "
                   "them); set LATCHKEY_API_KEY, or LATCHKEY_API_KEY_FILE to a file only you can read\n";
      return kUserError;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // Every usage error exits 1, as bad input does: scripts see one code, people one sentence.
    const std::string why = latchkey::native::usage_message(app, e);
    bool json = false;
    for (int i = 1; i < argc && std::string(argv[i]) != "--"; ++i) json = json || std::string(argv[i]) == "--json";
    return report(make_error(latchkey::ErrorCode::invalid_request, why), json);
  }
  // Before any command reads the master key or a token.
  if (auto hardened = latchkey::native::harden_process(allow_core_dumps); !hardened) {
    std::cerr << "latchkey: " << hardened.error().message << "\n";
    return kUserError;
  }
  return session.action ? session.action() : 0;
}
