// latchkey — connect accounts over OAuth and act on their behalf, with every token sealed
// in a local SQLite store. Verbs live in commands_*.cpp; this file wires them together.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "latchkey/latchkey.h"
#include "session.hpp"

namespace latchkey::cli {

Result<native::Host*> Session::host() {
  if (!host_) {
    native::HostOptions options;
    options.store_path = store_path;
    options.ca_file = ca_file;
    auto h = native::Host::open(options);
    if (!h) return h.error();
    host_ = std::move(*h);
  }
  return host_.get();
}

}  // namespace latchkey::cli

int main(int argc, char** argv) {
  using namespace latchkey::cli;
  CLI::App app{"latchkey — connect accounts over OAuth and act on their behalf; tokens stay sealed on this machine"};
  app.footer(
      "Exit codes: 0 ok; 1 bad input or local problem; 2 the provider or network failed; 3 the connection must be "
      "authorized again (latchkey connect).\nSecrets are read from stdin or files, never from arguments.");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("latchkey ") + lk_version());
  Session session;
  if (const char* s = std::getenv("LATCHKEY_STORE")) session.store_path = s;
  app.add_option("--store", session.store_path, "SQLite store (default $XDG_DATA_HOME/latchkey/latchkey.db)")
      ->envname("LATCHKEY_STORE");
  app.add_option("--ca-file", session.ca_file, "Trust these CAs (PEM) instead of the system bundle")
      ->envname("LATCHKEY_CA_FILE");
  app.add_option("--principal", session.principal, "Whose connections (default: default)")->group("");

  add_registry_commands(app, session);
  add_connect_commands(app, session);
  add_use_commands(app, session);

  CLI11_PARSE(app, argc, argv);
  return session.action ? session.action() : 0;
}
