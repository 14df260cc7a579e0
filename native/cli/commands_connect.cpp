// connect (authorization code + PKCE over an RFC 8252 loopback redirect, or client credentials)
// and scopes add (re-consent that keeps what was already granted).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <set>

#include "host/loopback.hpp"
#include "latchkey/json_forms.hpp"
#include "latchkey/url.hpp"
#include "managed.hpp"
#include "session.hpp"

extern char** environ;

namespace latchkey::cli {

// The URL goes to xdg-open as one argument — never through a shell — and only a URL the core
// built on a validated endpoint (https, or http to loopback): nothing else is launched.
bool open_in_browser(const std::string& url) {
  if (!check_endpoint(url, "the authorization URL")) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::string program = "xdg-open";
  char* argv[] = {program.data(), const_cast<char*>(url.c_str()), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "xdg-open", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0;
}

void print_consent_link(const std::string& authorization_url, const std::string& redirect_uri) {
  JsonObject o;
  o["authorization_url"] = JsonValue(authorization_url);
  o["redirect_uri"] = redirect_uri.empty() ? JsonValue() : JsonValue(redirect_uri);
  print_json(JsonValue(o));
  std::cout << std::flush;  // the script reads it now, while this process waits for the callback
}

namespace {

// "--scopes ''" asks for nothing, which is not what leaving it out means (the defaults).
std::optional<Error> empty_scopes(const CLI::Option* option, const std::vector<std::string>& scopes) {
  if (option->count() == 0 || !scopes.empty()) return std::nullopt;
  return make_error(ErrorCode::invalid_request,
                    "--scopes needs at least one scope; leave it out for the provider's defaults");
}

// Scopes the provider does not list: a warning, or with --strict an error before any sign-in
// starts. The provider has the last word on scopes either way; an unknown provider is left for
// the verb itself to report.
std::optional<Error> check_offered(Session& session, const std::string& provider, const std::vector<std::string>& asked,
                                   bool strict) {
  if (asked.empty()) return std::nullopt;
  auto p = session.call([&](Engine& e) { return e.get_provider(provider); });
  if (!p) return std::nullopt;
  const auto unknown = unknown_scopes(p->provider, asked);
  if (unknown.empty()) return std::nullopt;
  const std::string which = std::string(unknown.size() == 1 ? "the scope " : "the scopes ") + join(unknown, ", ");
  if (strict) {
    return make_error(ErrorCode::invalid_request, "'" + provider + "' does not offer " + which +
                                                      " (`latchkey providers get " + provider +
                                                      " --json` lists its available_scopes); correct them, or leave "
                                                      "out --strict to ask for them anyway");
  }
  std::cerr << "latchkey: warning: '" << term(provider) << "' does not offer " << term(which)
            << " (`latchkey providers get " << term(provider) << " --json` lists its available_scopes); asking anyway\n";
  return std::nullopt;
}

}  // namespace

int run_connect(Session& session, const std::string& provider, std::vector<std::string> scopes,
                const std::string& account, bool open_browser, int port, int timeout_s, bool json) {
  auto m = session.managed(provider);
  if (!m) return report(m.error(), json);
  if (*m) {
    if (port != 0) std::cerr << "(--port is ignored: '" << term(provider) << "' is managed, so the gateway receives the redirect)\n";
    return managed::connect(*(*m)->gateway, (*m)->info, scopes, account, open_browser, timeout_s, json);
  }
  auto h = session.host();
  if (!h) return report(h.error(), json);
  native::Host& host = **h;
  auto p = host.run(host.engine().get_provider(provider));
  if (!p) return report(p.error(), json);

  if (p->provider.auth_mode == AuthMode::client_credentials) {
    ConnectionRef ref{session.principal, provider, account.empty() ? "default" : account};
    auto c = host.run(host.engine().connect_client_credentials(ref, scopes));
    if (!c) return report(c.error(), json);
    print_connection(*c, json);
    return kOk;
  }

  auto listener = native::LoopbackListener::listen(port);
  if (!listener) return report(listener.error(), json);
  AuthorizeRequest req;
  req.principal = session.principal;
  req.provider = provider;
  req.account = account;
  req.redirect_uri = (*listener)->redirect_uri();
  req.scopes = std::move(scopes);
  auto start = host.run(host.engine().authorize(req));
  if (!start) return report(start.error(), json);

  if (json && !open_browser) print_consent_link(start->authorization_url, req.redirect_uri);
  std::cerr << "Open this link to connect " << term(p->provider.display_name) << ":\n  "
            << term(start->authorization_url) << "\n";
  if (open_browser && !open_in_browser(start->authorization_url)) {
    std::cerr << "(could not start a browser with xdg-open; open the link yourself)\n";
  }
  std::cerr << "Waiting for the sign-in to finish (up to " << timeout_s << " s)...\n" << std::flush;

  std::optional<Result<ConnectionInfo>> outcome;
  auto waited = (*listener)->wait(start->state, std::int64_t{timeout_s} * 1000, [&](const std::string& query) {
    outcome.emplace(host.run(host.engine().complete_callback({session.principal, query})));
    if (*outcome) {
      return native::CallbackPage{200, native::callback_html(true, "Connected to " + p->provider.display_name,
                                                             "latchkey connected " + (*outcome)->account +
                                                                 ". You can close this window.")};
    }
    return native::CallbackPage{400, native::callback_html(false, "Could not connect " + p->provider.display_name,
                                                           (*outcome).error().message)};
  });
  if (!waited) return report(waited.error(), json);
  if (!*outcome) return report(outcome->error(), json);
  print_connection(**outcome, json);
  return kOk;
}

void add_connect_commands(CLI::App& app, Session& session) {
  struct Args {
    std::string provider, account;
    std::vector<std::string> scopes;
    bool no_browser = false, json = false, device = false, strict = false;
    int port = 0, timeout = 300;
  };
  {
    auto* cmd = app.add_subcommand("connect", "Connect an account (opens the provider's consent page)");
    auto a = std::make_shared<Args>();
    cmd->add_option("PROVIDER", a->provider, "Provider key")->required();
    auto* scopes = cmd->add_option("--scopes", a->scopes,
                                   "Scopes to ask for (comma-separated; default: the app's or provider's); one the "
                                   "provider does not list in its available_scopes gets a warning");
    cmd->add_flag("--strict", a->strict, "Refuse scopes the provider does not list, before any sign-in starts");
    cmd->add_option("--account", a->account, "Name for this account (default: from the provider's identity)");
    cmd->add_flag("--no-browser", a->no_browser, "Only print the link");
    cmd->add_flag("--device", a->device,
                  "Sign in on another device with a code (RFC 8628 device grant); waits until the code expires, "
                  "or --timeout seconds when given");
    cmd->add_option("--port", a->port, "Loopback port for the redirect (default: any free port)");
    auto* timeout = cmd->add_option("--timeout", a->timeout, "Seconds to wait for the sign-in (default 300)")
                        ->check(CLI::Range(1, 3600));
    cmd->add_flag("--json", a->json,
                  "Print the connection as JSON; with --no-browser, first a line {\"authorization_url\", "
                  "\"redirect_uri\"} to open (newline-delimited JSON)");
    cmd->callback([&session, a, timeout, scopes] {
      session.action = [&session, a, timeout, scopes] {
        const auto asked = split_list(a->scopes);
        if (auto e = empty_scopes(scopes, asked)) return report(*e, a->json);
        if (auto e = check_offered(session, a->provider, asked, a->strict)) return report(*e, a->json);
        if (a->device) {
          // Only an explicit --timeout shortens a device sign-in; without one it lasts as long as its code.
          return run_device_connect(session, a->provider, asked, a->account, timeout->count() ? a->timeout : 0,
                                    a->json);
        }
        return run_connect(session, a->provider, asked, a->account, !a->no_browser, a->port, a->timeout, a->json);
      };
    });
  }
  {
    auto* scopes = app.add_subcommand("scopes", "Change what a connection may do");
    scopes->require_subcommand(1);
    auto* cmd = scopes->add_subcommand("add", "Ask for more scopes, keeping those already granted");
    auto a = std::make_shared<Args>();
    cmd->add_option("PROVIDER", a->provider, "Provider key")->required();
    cmd->add_option("SCOPE", a->scopes, "Scopes to add (one the provider does not list gets a warning)")->required();
    cmd->add_flag("--strict", a->strict, "Refuse scopes the provider does not list, before any sign-in starts");
    cmd->add_option("--account", a->account, "Which account (when there are several)");
    cmd->add_flag("--no-browser", a->no_browser, "Only print the link");
    cmd->add_option("--port", a->port, "Loopback port for the redirect");
    cmd->add_option("--timeout", a->timeout, "Seconds to wait for the sign-in")->check(CLI::Range(1, 3600));
    cmd->add_flag("--json", a->json, "Print the connection as JSON (with --no-browser, after the link's line, as connect)");
    cmd->callback([&session, a] {
      session.action = [&session, a] {
        const auto added = split_list(a->scopes);
        if (added.empty()) return report(make_error(ErrorCode::invalid_request, "name at least one scope to add"), a->json);
        if (auto e = check_offered(session, a->provider, added, a->strict)) return report(*e, a->json);
        auto m = session.managed(a->provider);
        if (!m) return report(m.error(), a->json);
        auto current = *m ? managed::status(*(*m)->gateway, a->provider, a->account)
                          : session.call([&](Engine& e) { return e.status({session.principal, a->provider, a->account}); });
        if (!current) return report(current.error(), a->json);
        std::vector<std::string> all = split_list({current->scope});
        std::set<std::string> seen(all.begin(), all.end());
        for (const auto& s : added) {
          if (seen.insert(s).second) all.push_back(s);
        }
        return run_connect(session, a->provider, all, current->account, !a->no_browser, a->port, a->timeout, a->json);
      };
    });
  }
}

}  // namespace latchkey::cli
