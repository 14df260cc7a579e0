// latchkeyd — latchkey as an HTTP service: API keys map callers to principals, and the same
// engine and store as the CLI answer their requests (server.cpp, api.cpp).
//
// Settings come from flags, the environment and an optional config file (--config FILE or
// LATCHKEYD_CONFIG; TOML or INI, keys are the long option names: `listen = "127.0.0.1:8787"`,
// `return-to-origin = ["https://app.example"]`). A flag beats the file, and the file beats the
// environment (CLI11 reads the file before the environment). An unknown key in the file is an
// error, so a typo does not silently leave a setting at its default.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "config.hpp"
#include "host/process_hardening.hpp"
#include "host/usage.hpp"
#include "keys_command.hpp"
#include "latchkey/latchkey.h"
#include "routes.hpp"
#include "server.hpp"
#include "store_command.hpp"

namespace {

/// CLI11 words an unknown config key as "INI was not able to parse KEY"; say what to do instead.
std::string config_error_message(const std::string& what) {
  const std::string prefix = "INI was not able to parse ";
  if (what.rfind(prefix, 0) != 0) return what;
  return "unknown key '" + what.substr(prefix.size()) +
         "' (keys are the long option names without dashes, e.g. listen, store, return-to-origin, web-root; "
         "see latchkeyd --help)";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace latchkey;
  CLI::App app{"latchkeyd — the latchkey gateway: OAuth connections over an authenticated HTTP API", "latchkeyd"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("latchkeyd ") + lk_version());
  // Options live on the top level so the config file can set them without sections; subcommands
  // pass the ones they do not know up, so `latchkeyd serve --listen ...` works as well.
  app.fallthrough();
  const char* env_config = std::getenv("LATCHKEYD_CONFIG");
  const bool config_from_env = env_config != nullptr && *env_config != '\0';
  // A file named by LATCHKEYD_CONFIG must exist, as one named by --config must.
  auto* config = app.set_config("--config", config_from_env ? env_config : "",
                                "Read options from this TOML/INI file (also LATCHKEYD_CONFIG); flags win over it",
                                config_from_env);
  app.allow_config_extras(CLI::config_extras_mode::error);

  native::HostOptions host;
  app.add_option("--store", host.store_path,
                 "SQLite store file (default $XDG_DATA_HOME/latchkey/latchkey.db), or a PostgreSQL URI "
                 "postgresql://USER@HOST:PORT/DB shared by several gateways (password from PGPASSFILE/PGPASSWORD, "
                 "never the URI)")
      ->envname("LATCHKEY_STORE");
  app.add_option("--master-key-file", host.master_key_file,
                 "Read the master key from this file (base64 of 32 bytes, mode 0600; created if absent for a new "
                 "store) instead of the one beside the store file; needed, or LATCHKEY_MASTER_KEY, with PostgreSQL")
      ->envname("LATCHKEY_MASTER_KEY_FILE");
  app.add_option("--ca-file", host.ca_file, "Trust these CAs (PEM) instead of the system bundle")
      ->envname("LATCHKEY_CA_FILE");

  gateway::ServerOptions server;
  app.add_option("--listen", server.listen, "serve: ADDRESS:PORT to listen on (default 127.0.0.1:8787; port 0: any)")
      ->envname("LATCHKEYD_LISTEN");
  app.add_option("--engines", server.engines,
                 "serve: requests handled at once, each with its own engine and store connection (default 8)");
  app.add_option("--max-connections", server.max_connections, "serve: clients connected at once (default 4096)");
  app.add_option("--read-timeout", server.read_timeout_s,
                 "serve: seconds a client may take to send a request (default 30)");
  app.add_option("--return-to-origin", server.api.return_to_origins,
                 "serve: an origin (scheme://host[:port]) a sign-in's return_to may send the browser back to; "
                 "repeat or separate with commas (env LATCHKEYD_RETURN_TO_ORIGINS)")
      ->allow_extra_args(false)
      ->delimiter(',')
      ->envname("LATCHKEYD_RETURN_TO_ORIGINS");
  app.add_option("--web-root", server.api.web_root, "serve: directory served at / (the vault page's build)")
      ->envname("LATCHKEYD_WEB_ROOT");

  bool allow_core_dumps = false;
  app.add_flag("--allow-core-dumps", allow_core_dumps,
               "Leave core dumps as the environment set them, for debugging a crash (by default they are off, so "
               "no token or key can end up in one)");

  app.add_flag("--metrics-key-required", server.api.metrics_key_required,
               "serve: GET /metrics needs an admin API key (by default it needs none, as /healthz)")
      ->envname("LATCHKEYD_METRICS_KEY_REQUIRED");

  auto* serve = app.add_subcommand("serve", "Serve the HTTP API until SIGTERM/SIGINT");

  auto* routes = app.add_subcommand("routes", "List the HTTP API's routes with what each takes and answers");

  app.add_option("--public-url", server.api.public_url,
                 "serve: the origin users' browsers reach the gateway at (https://vault.example.com): the OAuth "
                 "callback becomes <public-url>/oauth/callback and the Host check accepts it")
      ->envname("LATCHKEYD_PUBLIC_URL");
  app.add_option("--trusted-proxy", server.api.trusted_proxies,
                 "serve: an address or CIDR range (127.0.0.1/32, 10.0.0.0/8) whose X-Forwarded-For/-Proto/-Host are "
                 "believed; repeat or separate with commas (env LATCHKEYD_TRUSTED_PROXIES)")
      ->allow_extra_args(false)
      ->delimiter(',')
      ->envname("LATCHKEYD_TRUSTED_PROXIES");
  app.add_option("--tls-cert", server.tls_cert,
                 "serve: PEM certificate chain: the listener speaks https (TLS 1.2+); reloaded on SIGHUP")
      ->envname("LATCHKEYD_TLS_CERT");
  app.add_option("--tls-key", server.tls_key, "serve: PEM private key for --tls-cert (reloaded with it)")
      ->envname("LATCHKEYD_TLS_KEY");

  auto* keys = app.add_subcommand("keys", "API keys: list, create, revoke, rotate");
  keys->require_subcommand(1);
  bool keys_json = false;
  auto* list = keys->add_subcommand("list", "List the API keys (never their secrets)");
  list->add_flag("--json", keys_json, "One JSON document: {keys: [...]}");
  auto* create = keys->add_subcommand("create", "Create an API key (printed once; only its hash is stored)");
  gateway::NewKey new_key;
  std::string expires_in;
  create->add_option("--principal", new_key.principal, "The principal whose connections the key acts on")->required();
  create->add_option("--role", new_key.role, "admin or user (default user)")->check(native::one_of({"admin", "user"}));
  create->add_option("--label", new_key.label, "What the key is for (shown by keys list)");
  create->add_option("--expires-in", expires_in, "Refuse the key after this long: 90d, 12h, 30m (default: never)");
  create->add_flag("--json", keys_json, "Print the key and its record as JSON");
  auto* revoke = keys->add_subcommand("revoke", "Revoke a key by id (and its browser sessions), at once");
  std::string key_id;
  revoke->add_option("ID", key_id, "The key's id (keys list)")->required();
  revoke->add_flag("--json", keys_json, "Print the revoked key as JSON");
  auto* rotate = keys->add_subcommand("rotate", "Give a key a new secret (printed once); the old one stops working");
  rotate->add_option("ID", key_id, "The key's id (keys list)")->required();
  rotate->add_flag("--json", keys_json, "Print the key and its record as JSON");

  auto* store = app.add_subcommand("store", "The store itself: copy it to another engine, check it opens, re-seal it under a new master key");
  store->require_subcommand(1);
  auto* migrate = store->add_subcommand(
      "migrate", "Copy every record, still sealed, into an empty store (SQLite file or postgresql:// URI) and verify "
                 "the copy; stop the gateways first: what they write after the copy starts is not copied");
  std::string migrate_from, migrate_to;
  migrate->add_option("--from", migrate_from, "The store to copy: an SQLite file or a postgresql:// URI")->required();
  migrate->add_option("--to", migrate_to, "The empty store to copy into: an SQLite file (made if absent) or a "
                                          "postgresql:// URI")->required();
  auto* check = store->add_subcommand(
      "check", "Open every sealed secret in --store under its master key; count records by kind and name any that "
               "do not open (exit 1)");
  bool check_json = false;
  check->add_flag("--json", check_json, "One JSON document: {store, records, kinds, opened, failed: [{key, problem}]}");
  auto* reseal = store->add_subcommand(
      "reseal", "Re-seal every secret in --store under the current master key (the first of a rotation's "
                "VERSION:BASE64 keys), so the older keys can be dropped");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ConfigError& e) {
    std::cerr << "latchkeyd: config file " << config->as<std::string>() << ": " << config_error_message(e.what())
              << "\n";
    return 1;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // Every usage error exits 1 with the mistake and the nearest valid verb or option, as latchkey's.
    std::cerr << "latchkeyd: " << native::usage_message(app, e) << "\n";
    return 1;
  }

  if (routes->parsed()) {
    std::fputs(gateway::describe_routes(gateway::api_routes()).c_str(), stdout);
    return 0;
  }

  // Before anything reads the master key or a token.
  if (auto hardened = native::harden_process(allow_core_dumps); !hardened) {
    std::cerr << "latchkeyd: " << hardened.error().message << "\n";
    return 1;
  }

  if (serve->parsed()) {
    server.host = host;
    if (server.tls_cert.empty() != server.tls_key.empty()) {
      std::cerr << "latchkeyd: --tls-cert and --tls-key go together: give both, or neither for plain http\n";
      return 1;
    }
    server.api.tls = !server.tls_cert.empty();
    auto api = gateway::check_api_config(server.api);
    if (!api) {
      std::cerr << "latchkeyd: " << api.error().message << "\n";
      return 1;
    }
    server.api = std::move(*api);
    return gateway::serve(server);
  }
  if (migrate->parsed()) return gateway::run_store_migrate(migrate_from, migrate_to);
  if (check->parsed()) return gateway::run_store_check(host, check_json);
  if (reseal->parsed()) return gateway::run_store_reseal(host);
  if (keys->parsed()) return gateway::run_keys_command(host, list->parsed()     ? gateway::KeysCommand::list
                                                         : create->parsed() ? gateway::KeysCommand::create
                                                         : revoke->parsed() ? gateway::KeysCommand::revoke
                                                                            : gateway::KeysCommand::rotate,
                                                    new_key, expires_in, key_id, keys_json);
  return 1;
}
