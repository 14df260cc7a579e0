// What every CLI verb shares: global options, the lazily opened host, and the action to run.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gateway_client.hpp"
#include "host/host.hpp"
#include "output.hpp"

namespace latchkey::cli {

struct Session {
  std::string store_path;  ///< --store / LATCHKEY_STORE: a file's path or a PostgreSQL URI
  std::string master_key_file;  ///< --master-key-file / LATCHKEY_MASTER_KEY_FILE
  std::string ca_file;     ///< --ca-file / LATCHKEY_CA_FILE
  std::string principal = "default";
  std::function<int()> action;

  /// Opens the store, key and HTTPS client on first use.
  Result<native::Host*> host();

  /// A provider in managed mode: the gateway (connected on first use) and the provider's definition.
  struct Managed {
    GatewayClient* gateway;
    ProviderInfo info;
  };
  /// nullopt when `provider` runs here: your-own mode, or unknown (the local verb then says so).
  /// An error when the store cannot be opened, or the provider is managed but the gateway's
  /// settings are missing or wrong.
  Result<std::optional<Managed>> managed(const std::string& provider);
  /// The gateway client; `provider` is the managed provider named in messages about settings.
  Result<GatewayClient*> gateway(const std::string& provider);

  /// Opens the host if needed and runs the operation `make(engine)` returns.
  template <class Make>
  auto call(Make make) -> std::remove_reference_t<decltype(make(std::declval<Engine&>())->result())> {
    auto h = host();
    if (!h) return h.error();
    return (*h)->run(make((*h)->engine()));
  }

 private:
  std::unique_ptr<native::Host> host_;
  std::unique_ptr<GatewayClient> gateway_;
};

void add_registry_commands(CLI::App& app, Session& session);
void add_connect_commands(CLI::App& app, Session& session);
void add_use_commands(CLI::App& app, Session& session);

/// Reads a secret from stdin (one line, or all of it if piped) or a file; never from argv.
Result<std::string> read_secret(bool from_stdin, const std::string& file);

/// Hands `url` to xdg-open (never through a shell); false if no browser could be started.
bool open_in_browser(const std::string& url);

/// The connect flow shared by `connect` and `scopes add`.
int run_connect(Session& session, const std::string& provider, std::vector<std::string> scopes,
                const std::string& account, bool open_browser, int port, int timeout_s, bool json);

/// connect --no-browser --json's first line: {"authorization_url", "redirect_uri" (null when not
/// known)}, flushed at once so a script can open the link while the verb waits.
void print_consent_link(const std::string& authorization_url, const std::string& redirect_uri);

/// `connect --device`: the device authorization grant (prints the code, polls until done, or
/// until `timeout_s` seconds have passed when it is not 0; both end with state_expired, exit 3).
int run_device_connect(Session& session, const std::string& provider, std::vector<std::string> scopes,
                       const std::string& account, int timeout_s, bool json);

}  // namespace latchkey::cli
