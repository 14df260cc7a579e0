// Using connections: connections list, status, token, ping, request, disconnect. Each verb runs
// here, or through the gateway when its provider is in managed mode (commands_managed.cpp).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "latchkey/json_forms.hpp"
#include "managed.hpp"
#include "session.hpp"

namespace latchkey::cli {
namespace {

struct Target {
  std::string provider, account;
  bool json = false;
  void add_to(CLI::App* cmd, bool with_json = true) {
    cmd->add_option("PROVIDER", provider, "Provider key")->required();
    cmd->add_option("--account", account, "Which account (needed only when there are several)");
    if (with_json) cmd->add_flag("--json", json, "Print JSON");
  }
  ConnectionRef ref(const Session& s) const { return {s.principal, provider, account}; }
};

// Local connections, except that providers in managed mode are listed as the gateway has them:
// that is where status, token and request go for them.
Result<std::vector<ConnectionInfo>> all_connections(Session& session) {
  auto local = session.call([&](Engine& e) { return e.list_connections(session.principal); });
  if (!local) return local.error();
  auto providers = session.call([](Engine& e) { return e.list_providers({}); });
  if (!providers) return providers.error();
  std::set<std::string> managed_keys;
  for (const auto& p : *providers) {
    if (p.mode == Mode::managed) managed_keys.insert(p.provider.key);
  }
  if (managed_keys.empty()) return local;
  std::vector<ConnectionInfo> out;
  for (auto& c : *local) {
    if (!managed_keys.count(c.provider)) out.push_back(std::move(c));
  }
  auto gw = session.gateway(*managed_keys.begin());
  if (!gw) return gw.error();
  auto remote = managed::list(**gw);
  if (!remote) return remote.error();
  for (auto& c : *remote) {
    if (managed_keys.count(c.provider)) out.push_back(std::move(c));
  }
  return out;
}

// `status`: the provider's connections as the core lists them (here or at the gateway), or the
// one --account names. None is the status operation's own not_found, with its next step.
Result<std::vector<ConnectionInfo>> provider_connections(Session& session, const std::string& provider,
                                                         const std::string& account) {
  auto m = session.managed(provider);
  if (!m) return m.error();
  auto one = [&](const std::string& a) -> Result<std::vector<ConnectionInfo>> {
    auto c = *m ? managed::status(*(*m)->gateway, provider, a)
                : session.call([&](Engine& e) { return e.status({session.principal, provider, a}); });
    if (!c) return c.error();
    return std::vector<ConnectionInfo>{std::move(*c)};
  };
  if (!account.empty()) return one(account);
  auto all = *m ? managed::list(*(*m)->gateway) : session.call([&](Engine& e) { return e.list_connections(session.principal); });
  if (!all) return all.error();
  std::vector<ConnectionInfo> out;
  for (auto& c : *all) {
    if (c.provider == provider) out.push_back(std::move(c));
  }
  if (out.empty()) return one("");
  return out;
}

Result<std::string> read_body_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::invalid_request, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void add_use_commands(CLI::App& app, Session& session) {
  {
    auto* connections = app.add_subcommand("connections", "Your connected accounts");
    connections->require_subcommand(1);
    auto* cmd = connections->add_subcommand("list", "List connections");
    auto json = std::make_shared<bool>(false);
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&session, json] {
      session.action = [&session, json] {
        auto r = all_connections(session);
        if (!r) return report(r.error(), *json);
        print_connections(*r, *json);
        return int(kOk);
      };
    });
  }
  {
    auto* cmd = app.add_subcommand("status", "Show the state of a provider's connections: every account, or --account's");
    auto t = std::make_shared<Target>();
    cmd->add_option("PROVIDER", t->provider, "Provider key")->required();
    cmd->add_option("--account", t->account, "Only this account");
    cmd->add_flag("--json", t->json, "Print a JSON array, one object per connection");
    cmd->callback([&session, t] {
      session.action = [&session, t] {
        auto r = provider_connections(session, t->provider, t->account);
        if (!r) return report(r.error(), t->json);
        print_statuses(*r, t->json);
        for (const auto& c : *r) {
          if (c.status == "needs_reauth") return int(kNeedsReauth);
        }
        return int(kOk);
      };
    });
  }
  {
    auto* cmd = app.add_subcommand("token", "Print a valid access token (refreshing it if due)");
    auto t = std::make_shared<Target>();
    auto force = std::make_shared<bool>(false);
    t->add_to(cmd);
    cmd->add_flag("--force-refresh", *force, "Refresh even if the token is still valid");
    cmd->callback([&session, t, force] {
      session.action = [&session, t, force] {
        auto m = session.managed(t->provider);
        if (!m) return report(m.error(), t->json);
        if (*m && *force) {
          return report(make_error(ErrorCode::invalid_request, "--force-refresh is not available for managed providers: "
                                                               "the gateway refreshes tokens when they are due"),
                        t->json);
        }
        auto r = *m ? managed::token(*(*m)->gateway, t->provider, t->account)
                    : session.call([&](Engine& e) { return e.get_token(t->ref(session), *force); });
        if (!r) return report(r.error(), t->json);
        print_token(*r, t->json);
        return int(kOk);
      };
    });
  }
  {
    auto* cmd = app.add_subcommand("ping", "Check a connection works (the provider's cheap authenticated call)");
    auto t = std::make_shared<Target>();
    t->add_to(cmd);
    cmd->callback([&session, t] {
      session.action = [&session, t] {
        auto m = session.managed(t->provider);
        if (!m) return report(m.error(), t->json);
        if (*m) return managed::ping(*(*m)->gateway, (*m)->info, t->account, t->json);
        auto h = session.host();
        if (!h) return report(h.error(), t->json);
        native::Host& host = **h;
        auto started = std::chrono::steady_clock::now();
        auto r = host.ping(t->ref(session));
        if (!r) return report(r.error(), t->json);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        return finish_ping(r->sent, r->verdict, static_cast<std::int64_t>(ms.count()), t->json);
      };
    });
  }
  {
    auto* cmd = app.add_subcommand("request", "Make an API request as the connected account (curl's flags)");
    struct Args : Target {
      std::string method = "GET", data, data_file, output, url;
      std::vector<std::string> headers;
      bool include = false, get = false, head = false, silent = false, verbose = false;
      std::size_t max_size = 16 << 20;
    };
    auto a = std::make_shared<Args>();
    a->add_to(cmd, false);
    cmd->add_option("URL_OR_PATH", a->url, "A full https URL, or a path under the provider's API base URL")->required();
    auto* method = cmd->add_option("-X,--method", a->method, "HTTP method (default GET; POST with a body; HEAD with -I)");
    cmd->add_option("-H,--header", a->headers, "Header 'Name: value' (repeatable)");
    auto* d = cmd->add_option("-d,--data", a->data, "Request body");
    cmd->add_option("--data-file", a->data_file, "Read the request body from a file")->excludes(d);
    cmd->add_flag("-G,--get", a->get, "Send the -d / --data-file data as the query string of a GET instead");
    cmd->add_flag("-I,--head", a->head, "Send a HEAD request and print the status line and headers");
    cmd->add_flag("-i,--include", a->include, "Print the status line and response headers");
    cmd->add_flag("-s,--silent", a->silent,
                  "No notes on stderr (hints, the status line of an empty error answer); errors are still reported");
    cmd->add_flag("-v,--verbose", a->verbose,
                  "Print each request line and headers, and each answer's status and headers, on stderr (credentials "
                  "shown as [hidden])");
    cmd->add_option("-o,--output", a->output, "Write the response body to a file");
    cmd->add_option("--max-size", a->max_size, "Largest response body accepted, in bytes (default 16 MiB)");
    cmd->add_flag("--json", a->json,
                  "Print {\"status\", \"headers\", \"body\"}: headers by lower-case name, the body as JSON when it "
                  "is JSON, else a string");
    cmd->callback([&session, a, method] {
      session.action = [&session, a, method]() -> int {
        HttpRequest req;
        req.url = a->url;
        req.max_response_bytes = a->max_size;
        for (const auto& line : a->headers) {
          auto colon = line.find(':');
          if (colon == std::string::npos || colon == 0) {
            return report(make_error(ErrorCode::invalid_request, "-H takes 'Name: value'"), a->json);
          }
          std::string value = line.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.erase(0, 1);
          req.headers.emplace_back(line.substr(0, colon), value);
        }
        if (!a->data_file.empty()) {
          auto body = read_body_file(a->data_file);
          if (!body) return report(body.error(), a->json);
          req.body = *body;
        } else {
          req.body = a->data;
        }
        // As curl: -G moves the data into the query as it is (already encoded), -I is HEAD, a
        // body alone makes a POST, and -X has the last word on the method.
        if (a->get) {
          if (!req.body.empty()) req.url += (req.url.find('?') == std::string::npos ? "?" : "&") + req.body;
          req.body.clear();
        } else if (a->head && !req.body.empty()) {
          return report(make_error(ErrorCode::invalid_request,
                                   "-I sends a HEAD request, which has no body: add -G to send the data as the query "
                                   "string"),
                        a->json);
        }
        req.method = method->count() ? a->method : a->head ? "HEAD" : req.body.empty() ? "GET" : "POST";
        RequestOutput out;
        out.include = a->include;
        out.head = a->head;
        out.silent = a->silent;
        out.json = a->json;
        out.output_file = a->output;

        auto m = session.managed(a->provider);
        if (!m) return report(m.error(), a->json);
        if (*m) return managed::request(*(*m)->gateway, (*m)->info, a->account, std::move(req), out, a->verbose);

        auto h = session.host();
        if (!h) return report(h.error(), a->json);
        if (a->verbose) {
          // The injection rules say where the token goes, so that is what -v hides.
          Injection inj;
          if (auto p = (*h)->run((*h)->engine().get_provider(a->provider))) inj = p->provider.injection;
          (*h)->observe_http({[inj](const HttpRequest& r) { trace_request(r, inj.header, inj.query_param); },
                              [](const EffectResult& r) { trace_response(r); }});
        }
        auto sent = (*h)->authorized_request(a->ref(session), req);
        if (!sent) return report(sent.error(), a->json);
        const EffectResult& r = *sent;
        if (!r.transport_error.empty()) return report(make_error(ErrorCode::transport, r.transport_error), a->json);
        return finish_request(a->provider, r.response, out);
      };
    });
  }
  {
    auto* cmd = app.add_subcommand("disconnect", "Delete a connection's tokens (and revoke them with --revoke)");
    auto t = std::make_shared<Target>();
    auto revoke = std::make_shared<bool>(false);
    t->add_to(cmd);
    cmd->add_flag("--revoke", *revoke, "Revoke the tokens at the provider first (RFC 7009)");
    cmd->callback([&session, t, revoke] {
      session.action = [&session, t, revoke] {
        auto m = session.managed(t->provider);
        if (!m) return report(m.error(), t->json);
        auto r = *m ? managed::disconnect(*(*m)->gateway, t->provider, t->account, *revoke)
                    : session.call([&](Engine& e) { return e.disconnect(t->ref(session), *revoke); });
        if (!r) return report(r.error(), t->json);
        print_disconnect(t->provider, *r, *revoke, t->json);
        return int(kOk);
      };
    });
  }
}

}  // namespace latchkey::cli
