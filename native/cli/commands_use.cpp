// Using connections: connections list, status, token, ping, request, disconnect.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "results_json.hpp"
#include "session.hpp"
#include "steps.hpp"

namespace latchkey::cli {
namespace {

using detail::json::Object;
using detail::json::Value;

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

void print_status(const ConnectionInfo& c) {
  std::printf("%-10s %s\n", "provider", c.provider.c_str());
  std::printf("%-10s %s\n", "account", c.account.c_str());
  std::printf("%-10s %s\n", "status", c.status.c_str());
  std::printf("%-10s %s\n", "grant", c.grant.c_str());
  std::printf("%-10s %s\n", "scopes", c.scope.c_str());
  std::printf("%-10s %s%s\n", "expires", format_time(c.expires_at_ms).c_str(),
              c.has_refresh_token ? " (refreshed automatically)" : "");
  if (!c.last_error.empty()) std::printf("%-10s %s\n", "last error", c.last_error.c_str());
}

// "insufficient_scope" challenges name the scope that would have worked (RFC 6750 §3.1).
std::string missing_scope(const HttpResponse& r) {
  const std::string* challenge = detail::find_header(r.headers, "www-authenticate");
  if (!challenge || challenge->find("insufficient_scope") == std::string::npos) return {};
  auto at = challenge->find("scope=\"");
  if (at == std::string::npos) return "?";
  auto end = challenge->find('"', at + 7);
  return challenge->substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
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
        auto r = session.call([&](Engine& e) { return e.list_connections(session.principal); });
        if (!r) return report(r.error(), *json);
        if (*json) {
          print_json(detail::to_value(*r));
          return int(kOk);
        }
        std::printf("%-16s %-28s %-13s %s\n", "PROVIDER", "ACCOUNT", "STATUS", "EXPIRES");
        for (const auto& c : *r) {
          std::printf("%-16s %-28s %-13s %s\n", c.provider.c_str(), c.account.c_str(), c.status.c_str(),
                      format_time(c.expires_at_ms).c_str());
        }
        return int(kOk);
      };
    });
  }
  {
    auto* cmd = app.add_subcommand("status", "Show a connection's state");
    auto t = std::make_shared<Target>();
    t->add_to(cmd);
    cmd->callback([&session, t] {
      session.action = [&session, t] {
        auto r = session.call([&](Engine& e) { return e.status(t->ref(session)); });
        if (!r) return report(r.error(), t->json);
        if (t->json) print_json(detail::to_value(*r));
        else print_status(*r);
        return r->status == "needs_reauth" ? int(kNeedsReauth) : int(kOk);
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
        auto r = session.call([&](Engine& e) { return e.get_token(t->ref(session), *force); });
        if (!r) return report(r.error(), t->json);
        if (t->json) print_json(detail::to_value(*r));
        else std::cout << r->access_token << "\n";
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
        auto h = session.host();
        if (!h) return report(h.error(), t->json);
        native::Host& host = **h;
        auto p = host.run(host.engine().get_provider(t->provider));
        if (!p) return report(p.error(), t->json);
        if (!p->provider.ping) {
          return report(make_error(ErrorCode::invalid_request, "'" + t->provider + "' declares no ping request"),
                        t->json);
        }
        HttpRequest req;
        req.method = p->provider.ping->method;
        req.url = p->provider.ping->url;
        req.headers = p->provider.ping->headers;
        auto signed_req = host.run(host.engine().sign_request(t->ref(session), req));
        if (!signed_req) return report(signed_req.error(), t->json);
        auto started = std::chrono::steady_clock::now();
        EffectResult r = host.http(*signed_req);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        bool ok = r.transport_error.empty() && r.response.status >= 200 && r.response.status < 300;
        if (t->json) {
          Object o;
          o["ok"] = Value(ok);
          o["status"] = Value(static_cast<std::int64_t>(r.response.status));
          o["ms"] = Value(static_cast<std::int64_t>(ms.count()));
          if (!r.transport_error.empty()) o["error"] = Value(r.transport_error);
          print_json(Value(o));
        } else if (!r.transport_error.empty()) {
          std::cerr << "latchkey: " << r.transport_error << "\n";
        } else {
          std::printf("%s: HTTP %d in %lld ms\n", ok ? "ok" : "failed", r.response.status,
                      static_cast<long long>(ms.count()));
        }
        if (ok) return int(kOk);
        return r.response.status == 401 ? int(kNeedsReauth) : int(kProviderError);
      };
    });
  }
  {
    auto* cmd = app.add_subcommand("request", "Make an API request as the connected account");
    struct Args : Target {
      std::string method = "GET", data, data_file, output, url;
      std::vector<std::string> headers;
      bool include = false;
      std::size_t max_size = 16 << 20;
    };
    auto a = std::make_shared<Args>();
    a->add_to(cmd, false);
    cmd->add_option("URL_OR_PATH", a->url, "A full https URL, or a path under the provider's API base URL")->required();
    cmd->add_option("-X,--method", a->method, "HTTP method (default GET)");
    cmd->add_option("-H,--header", a->headers, "Header 'Name: value' (repeatable)");
    auto* d = cmd->add_option("-d,--data", a->data, "Request body");
    cmd->add_option("--data-file", a->data_file, "Read the request body from a file")->excludes(d);
    cmd->add_flag("-i,--include", a->include, "Print the status line and response headers");
    cmd->add_option("-o,--output", a->output, "Write the response body to a file");
    cmd->add_option("--max-size", a->max_size, "Largest response body accepted, in bytes (default 16 MiB)");
    cmd->callback([&session, a] {
      session.action = [&session, a]() -> int {
        auto h = session.host();
        if (!h) return report(h.error(), false);
        native::Host& host = **h;
        HttpRequest req;
        req.method = a->method;
        req.url = a->url;
        req.max_response_bytes = a->max_size;
        for (const auto& line : a->headers) {
          auto colon = line.find(':');
          if (colon == std::string::npos || colon == 0) {
            return report(make_error(ErrorCode::invalid_request, "-H takes 'Name: value'"), false);
          }
          std::string value = line.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.erase(0, 1);
          req.headers.emplace_back(line.substr(0, colon), value);
        }
        if (!a->data_file.empty()) {
          auto body = read_body_file(a->data_file);
          if (!body) return report(body.error(), false);
          req.body = *body;
        } else {
          req.body = a->data;
        }
        if (!req.body.empty() && req.method == "GET" && a->method == "GET") req.method = "POST";

        auto sent = host.authorized_request(a->ref(session), req);
        if (!sent) return report(sent.error(), false);
        const EffectResult& r = *sent;
        if (!r.transport_error.empty()) return report(make_error(ErrorCode::transport, r.transport_error), false);
        if (a->include) {
          std::cout << "HTTP " << r.response.status << "\n";
          for (const auto& [k, v] : r.response.headers) std::cout << k << ": " << v << "\n";
          std::cout << "\n";
        }
        if (!a->output.empty()) {
          std::ofstream out(a->output, std::ios::binary);
          out << r.response.body;
          if (!out) return report(make_error(ErrorCode::invalid_request, "cannot write " + a->output), false);
        } else {
          std::cout << r.response.body;
          if (!r.response.body.empty() && r.response.body.back() != '\n') std::cout << "\n";
        }
        int status = r.response.status;
        if (status == 401) {
          std::cerr << "latchkey: " << a->provider
                    << " still answers 401 after a refresh; run `latchkey connect " << a->provider << "`\n";
          return kNeedsReauth;
        }
        if (status == 403) {
          std::string scope = missing_scope(r.response);
          if (!scope.empty()) {
            std::cerr << "latchkey: the connection lacks a scope this request needs; run `latchkey scopes add "
                      << a->provider << " " << (scope == "?" ? "SCOPE" : scope) << "`\n";
          }
        }
        return status >= 400 ? int(kProviderError) : int(kOk);
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
        auto r = session.call([&](Engine& e) { return e.disconnect(t->ref(session), *revoke); });
        if (!r) return report(r.error(), t->json);
        if (t->json) {
          print_json(detail::to_value(*r));
        } else {
          std::printf("disconnected %s%s\n", t->provider.c_str(), r->revoked ? " (tokens revoked)" : "");
          if (*revoke && !r->revoked) std::cerr << "latchkey: not revoked: " << r->revocation_error << "\n";
        }
        return int(kOk);
      };
    });
  }
}

}  // namespace latchkey::cli
