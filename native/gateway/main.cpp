// latchkeyd — latchkey as an HTTP service: API keys map callers to principals, and the same
// engine and store as the CLI answer their requests (server.cpp, api.cpp).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "keys.hpp"
#include "latchkey/latchkey.h"
#include "server.hpp"

int main(int argc, char** argv) {
  using namespace latchkey;
  CLI::App app{"latchkeyd — the latchkey gateway: OAuth connections over an authenticated HTTP API"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("latchkeyd ") + lk_version());
  native::HostOptions host;
  app.add_option("--store", host.store_path, "SQLite store (default $XDG_DATA_HOME/latchkey/latchkey.db)")
      ->envname("LATCHKEY_STORE");
  app.add_option("--ca-file", host.ca_file, "Trust these CAs (PEM) instead of the system bundle")
      ->envname("LATCHKEY_CA_FILE");

  gateway::ServerOptions server;
  auto* serve = app.add_subcommand("serve", "Serve the HTTP API until SIGTERM/SIGINT");
  serve->add_option("--listen", server.listen, "ADDRESS:PORT to listen on (default 127.0.0.1:8787; port 0: any)");
  serve->add_option("--engines", server.engines,
                    "Requests handled at once, each with its own engine and store connection (default 8)");
  serve->add_option("--max-connections", server.max_connections, "Clients connected at once (default 4096)");
  serve->add_option("--read-timeout", server.read_timeout_s, "Seconds a client may take to send a request (default 30)");
  // Options after the subcommand name are accepted too.
  serve->add_option("--store", host.store_path, "SQLite store")->envname("LATCHKEY_STORE");
  serve->add_option("--ca-file", host.ca_file, "Trust these CAs (PEM)")->envname("LATCHKEY_CA_FILE");

  auto* keys = app.add_subcommand("keys", "API keys");
  keys->require_subcommand(1);
  auto* create = keys->add_subcommand("create", "Create an API key (printed once; only its hash is stored)");
  std::string principal, role = "user";
  create->add_option("--principal", principal, "The principal whose connections the key acts on")->required();
  create->add_option("--role", role, "admin or user (default user)")->check(CLI::IsMember({"admin", "user"}));
  create->add_option("--store", host.store_path, "SQLite store")->envname("LATCHKEY_STORE");

  CLI11_PARSE(app, argc, argv);

  if (serve->parsed()) {
    server.host = host;
    return gateway::serve(server);
  }
  if (create->parsed()) {
    auto h = native::Host::open(host);
    if (!h) {
      std::cerr << "latchkeyd: " << h.error().message << "\n";
      return 1;
    }
    auto key = gateway::create_key(**h, principal, role);
    if (!key) {
      std::cerr << "latchkeyd: " << key.error().message << "\n";
      return 1;
    }
    std::printf("%s\n", key->c_str());
    std::fprintf(stderr, "latchkeyd: this key is shown only once; store it now.\n");
    return 0;
  }
  return 1;
}
