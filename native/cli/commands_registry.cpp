// providers list|get|register|discover|update|delete, mode, apps upsert|list|get|delete.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include "latchkey/json_forms.hpp"
#include "session.hpp"
#include "host/usage.hpp"

namespace latchkey::cli {
namespace {

using Array = JsonArray;
using Object = JsonObject;
using Value = JsonValue;

void print_table(const std::vector<ProviderInfo>& list) {
  std::size_t key_w = 3, name_w = 4;
  for (const auto& p : list) {
    key_w = std::max(key_w, term(p.provider.key).size());
    name_w = std::max(name_w, term(p.provider.display_name).size());
  }
  std::printf("%-*s  %-*s  %-12s  %-18s  %-11s  %-8s  %s\n", int(key_w), "KEY", int(name_w), "NAME", "CATEGORY", "AUTH",
              "PKCE", "MODE", "APP");
  for (const auto& p : list) {
    std::printf("%-*s  %-*s  %-12s  %-18s  %-11s  %-8s  %s\n", int(key_w), term(p.provider.key).c_str(), int(name_w),
                term(p.provider.display_name).c_str(), term(p.provider.category).c_str(), to_string(p.provider.auth_mode),
                to_string(p.provider.pkce), to_string(p.mode), p.has_app ? "set" : "-");
  }
  std::printf("%zu provider%s\n", list.size(), list.size() == 1 ? "" : "s");
}

/// A dynamically registered app's registration (RFC 7591): when its secret expires, never the
/// registration access token itself.
void print_registration(const AppInfo& app) {
  if (!app.has_registration_access_token && app.registration_client_uri.empty() && app.client_secret_expires_at_ms == 0) {
    return;
  }
  std::printf("secret expires %s\n", app.client_secret_expires_at_ms ? format_time(app.client_secret_expires_at_ms).c_str()
                                                                       : "never");
  std::printf("registration   %s (access token %s)\n",
              app.registration_client_uri.empty() ? "-" : term(app.registration_client_uri).c_str(),
              app.has_registration_access_token ? "set" : "not set");
}

void print_provider(const ProviderInfo& info) {
  const Provider& p = info.provider;
  auto line = [](const char* label, const std::string& value) {
    if (!value.empty()) std::printf("%-24s %s\n", term(label).c_str(), term(value).c_str());
  };
  line("key", p.key);
  line("name", p.display_name);
  line("source", p.builtin ? "built-in catalog" : "custom");
  line("auth mode", to_string(p.auth_mode));
  line("mode", to_string(info.mode));
  line("app credentials", info.has_app ? "set" : "not set (latchkey apps upsert)");
  line("authorization endpoint", p.authorization_endpoint);
  line("token endpoint", p.token_endpoint);
  line("revocation endpoint", p.revocation_endpoint);
  line("userinfo endpoint", p.userinfo_endpoint);
  line("issuer", p.issuer);
  line("api base url", p.api_base_url);
  line("pkce", to_string(p.pkce));
  line("client auth", to_string(p.token_endpoint_auth_method));
  line("default scopes", join(p.default_scopes, p.scope_separator));
  for (const auto& t : p.template_params) {
    line(("template {" + t.name + "}").c_str(),
         t.pattern + (t.default_value ? " (default " + *t.default_value + ")" : std::string()));
  }
  line("token sent to", join(p.injection.hosts, ", "));
  line("docs", p.docs_url);
}

// The deletes' --json: the core's answer, and which provider it was about.
void print_removed(const std::string& provider, const RemoveResult& r) {
  Value v = json_form(r);
  v.get<Object>()["provider"] = Value(provider);
  print_json(v);
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::invalid_request, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().size() > (1 << 20)) return make_error(ErrorCode::invalid_request, path + " is larger than 1 MiB");
  return ss.str();
}

// Flags that describe a custom OAuth 2.0 provider without writing JSON.
struct ProviderFlags {
  std::string file, key, display_name, auth_url, token_url, revocation_url, userinfo_url, issuer, api_base_url;
  std::string auth_method, pkce, mode = "oauth2";
  std::vector<std::string> scopes, hosts;

  void add_to(CLI::App* cmd, bool key_positional) {
    cmd->add_option("--file", file, "Provider definition (JSON, catalog schema)");
    if (!key_positional) cmd->add_option("--provider-key", key, "Key for the new provider (kebab-case)");
    cmd->add_option("--display-name", display_name, "Name shown to people");
    cmd->add_option("--auth-url", auth_url, "Authorization endpoint");
    cmd->add_option("--token-url", token_url, "Token endpoint");
    cmd->add_option("--revocation-url", revocation_url, "Revocation endpoint (RFC 7009)");
    cmd->add_option("--userinfo-url", userinfo_url, "Userinfo endpoint");
    cmd->add_option("--issuer", issuer, "Issuer identifier (RFC 9207 iss is then checked)");
    cmd->add_option("--api-base-url", api_base_url, "Base for relative `latchkey request` paths");
    cmd->add_option("--scopes", scopes, "Default scopes (comma-separated)");
    cmd->add_option("--inject-host", hosts, "Origins the token may be sent to (https://host[:port]; a bare host name is https on 443; default: the API base URL's origin)");
    cmd->add_option("--auth-method", auth_method, "client_secret_basic | client_secret_post | none | private_key_jwt");
    cmd->add_option("--pkce", pkce, "required | supported | unsupported");
    cmd->add_option("--grant", mode, "oauth2 (default) | client_credentials");
  }

  Result<std::string> json() const {
    if (!file.empty()) return file_json();
    if (key.empty()) return make_error(ErrorCode::invalid_request, "give --file or --provider-key with the endpoints");
    Object o;
    o["key"] = Value(key);
    o["display_name"] = Value(display_name.empty() ? key : display_name);
    o["auth_mode"] = Value(mode);
    if (!auth_url.empty()) o["authorization_endpoint"] = Value(auth_url);
    if (!token_url.empty()) o["token_endpoint"] = Value(token_url);
    if (!revocation_url.empty()) o["revocation_endpoint"] = Value(revocation_url);
    if (!userinfo_url.empty()) o["userinfo_endpoint"] = Value(userinfo_url);
    if (!issuer.empty()) o["issuer"] = Value(issuer);
    std::string base = api_base_url.empty() ? (token_url.empty() ? auth_url : token_url) : api_base_url;
    if (api_base_url.empty() && !base.empty()) {
      auto scheme_end = base.find("://");
      auto path = base.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
      base = base.substr(0, path);
    }
    if (!base.empty()) o["api_base_url"] = Value(base);
    Array s;
    for (const auto& x : split_list(scopes)) s.emplace_back(x);
    o["default_scopes"] = Value(s);
    if (!auth_method.empty()) o["token_endpoint_auth_method"] = Value(auth_method);
    if (!pkce.empty()) o["pkce"] = Value(pkce);
    if (!hosts.empty()) {
      Object inj;
      Array h;
      for (const auto& x : split_list(hosts)) h.emplace_back(x);
      inj["hosts"] = Value(h);
      inj["header"] = Value(std::string("Authorization"));
      inj["prefix"] = Value(std::string("Bearer "));
      o["injection"] = Value(inj);
    }
    return Value(o).serialize();
  }

  /// The file's definition; for `update KEY`, a file without a key is KEY's, and one naming
  /// another key is refused.
  Result<std::string> file_json() const {
    auto text = read_file(file);
    if (!text || key.empty()) return text;
    return definition_for_key(key, *text);
  }
};

}  // namespace

Result<std::string> read_secret(bool from_stdin, const std::string& file) {
  std::string secret;
  if (from_stdin) {
    if (isatty(STDIN_FILENO)) std::cerr << "client secret: " << std::flush;
    std::getline(std::cin, secret);
  } else {
    auto text = read_file(file);
    if (!text) return text.error();
    secret = *text;
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return make_error(ErrorCode::invalid_request, "the client secret is empty");
  return secret;
}

void add_registry_commands(CLI::App& app, Session& session) {
  auto* providers = app.add_subcommand("providers", "List, inspect and register OAuth providers");
  providers->require_subcommand(1);

  {
    auto* cmd = providers->add_subcommand("list", "List the providers latchkey knows");
    auto search = std::make_shared<std::vector<std::string>>();
    auto managed = std::make_shared<bool>(false);
    auto json = std::make_shared<bool>(false);
    cmd->add_option("--provider-key", *search, "Only keys or names containing SUBSTR (comma-separated: any)")
        ->type_name("SUBSTR[,SUBSTR]");
    cmd->add_flag("--supports-managed", *managed, "Only providers with a managed app");
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&session, search, managed, json] {
      session.action = [&session, search, managed, json] {
        ProviderFilter filter;
        filter.key_substrings = split_list(*search);
        filter.supports_managed = *managed;
        auto r = session.call([&](Engine& e) { return e.list_providers(filter); });
        if (!r) return report(r.error(), *json);
        if (*json) print_json(json_form(*r));
        else print_table(*r);
        return int(kOk);
      };
    });
  }
  {
    auto* cmd = providers->add_subcommand("get", "Show one provider's definition");
    auto key = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("KEY", *key, "Provider key (see `latchkey providers list`)")->required();
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&session, key, json] {
      session.action = [&session, key, json] {
        auto r = session.call([&](Engine& e) { return e.get_provider(*key); });
        if (!r) return report(r.error(), *json);
        if (*json) print_json(json_form(*r));
        else print_provider(*r);
        return int(kOk);
      };
    });
  }
  for (bool create : {true, false}) {
    auto* cmd = providers->add_subcommand(create ? "register" : "update",
                                          create ? "Register a custom provider" : "Update a custom provider (the members the file names replace the stored ones)");
    auto flags = std::make_shared<ProviderFlags>();
    auto json = std::make_shared<bool>(false);
    if (!create) cmd->add_option("KEY", flags->key, "The custom provider to update")->required();
    flags->add_to(cmd, !create);
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&session, flags, json, create] {
      session.action = [&session, flags, json, create] {
        auto def = flags->json();
        if (!def) return report(def.error(), *json);
        auto h = session.host();
        if (!h) return report(h.error(), *json);
        auto& engine = (*h)->engine();
        auto r = (*h)->run(create ? engine.register_provider(*def) : engine.update_provider(*def));
        if (!r) return report(r.error(), *json);
        if (*json) print_json(json_form(*r));
        else std::printf("%s provider %s\n", create ? "registered" : "updated", term(r->provider.key).c_str());
        return int(kOk);
      };
    });
  }
  {
    auto* cmd = providers->add_subcommand(
        "discover", "Register a provider from its OpenID / RFC 8414 metadata, or an MCP server's (RFC 9728)");
    auto url = std::make_shared<std::string>();
    auto key = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto mcp = std::make_shared<bool>(false);
    auto allow_private = std::make_shared<bool>(false);
    cmd->add_option("URL", *url, "The issuer, or a protected resource such as an MCP server (https)")->required();
    cmd->add_option("--provider-key", *key, "Key for the new provider")->required();
    cmd->add_flag("--mcp", *mcp,
                  "URL is a protected resource (MCP server): follow its metadata to the authorization server and "
                  "register latchkey there as a client (tried anyway when URL has no issuer metadata)");
    cmd->add_flag("--allow-private-network", *allow_private,
                  "Let discovery reach loopback and private addresses (and plain http on loopback): the issuer or server "
                  "and every endpoint its metadata names");
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&session, url, key, json, mcp, allow_private] {
      session.action = [&session, url, key, json, mcp, allow_private] {
        ResourceDiscoveryRequest req;
        req.key = *key;
        req.resource_url = *url;
        // What `connect` listens on; a loopback redirect matches any port (RFC 8252 §7.3).
        req.redirect_uri = "http://127.0.0.1/oauth/callback";
        req.allow_private_network = *allow_private;
        req.issuer_first = !*mcp;
        auto r = session.call([&](Engine& e) { return e.discover_resource(req); });
        if (!r) return report(r.error(), *json);
        if (*json) print_json(json_form(*r));
        else print_provider(*r);
        if (!*json && r->has_app) {
          // What the server said about the client it registered: when its secret expires.
          if (auto app = session.call([&](Engine& e) { return e.get_app(*key); }); app) print_registration(*app);
        }
        if (!*json && !r->has_app && !r->provider.resource.empty()) {
          std::fprintf(stderr, "the server offers no client registration: add your client with `latchkey apps upsert "
                               "--provider %s --client-id ID`\n", term(*key).c_str());
        }
        return int(kOk);
      };
    });
  }
  {
    auto* cmd = providers->add_subcommand("delete", "Remove a custom provider");
    auto key = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    auto json = std::make_shared<bool>(false);
    cmd->add_option("KEY", *key, "The custom provider")->required();
    cmd->add_flag("--force", *force, "Also delete its app credentials and connections");
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&session, key, force, json] {
      session.action = [&session, key, force, json] {
        auto r = session.call([&](Engine& e) { return e.remove_provider(*key, *force); });
        if (!r) return report(r.error(), *json);
        if (*json) print_removed(*key, *r);
        else std::printf("deleted provider %s (%d connection%s removed)\n", term(*key).c_str(), r->connections_removed,
                         r->connections_removed == 1 ? "" : "s");
        return int(kOk);
      };
    });
  }

  {
    auto* cmd = app.add_subcommand("mode", "Show or set whose app credentials a provider uses");
    auto key = std::make_shared<std::string>();
    auto set = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("KEY", *key, "Provider key")->required();
    cmd->add_option("--set", *set, "managed | your-own")->check(native::one_of({"managed", "your-own"}));
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&session, key, set, json] {
      session.action = [&session, key, set, json] {
        auto h = session.host();
        if (!h) return report(h.error(), *json);
        auto& engine = (*h)->engine();
        auto r = set->empty() ? (*h)->run(engine.get_provider(*key))
                              : (*h)->run(engine.set_mode(*key, *set == "managed" ? Mode::managed : Mode::your_own));
        if (!r) return report(r.error(), *json);
        if (*json) {
          Object o;
          o["provider"] = Value(*key);
          o["mode"] = Value(std::string(to_string(r->mode)));
          o["supports_managed"] = Value(!r->provider.managed_service_config_key.empty());
          print_json(Value(o));
        } else {
          std::printf("%s: %s\n", term(*key).c_str(), to_string(r->mode));
        }
        // Say now, not at the first connect, what managed mode still needs from the environment.
        if (r->mode == Mode::managed) {
          auto settings = gateway_settings_from_env(*key);
          if (!settings) std::cerr << "latchkey: note: " << term(settings.error().message) << "\n";
        }
        return int(kOk);
      };
    });
  }

  auto* apps = app.add_subcommand("apps", "Your OAuth app credentials per provider (secrets are write-only)");
  apps->require_subcommand(1);
  {
    auto* cmd = apps->add_subcommand("upsert", "Set a provider's client ID, secret, redirect URI and scopes");
    struct Args {
      std::string provider, client_id, secret_file, redirect_uri, auth_method, key_id;
      bool secret_stdin = false, clear_secret = false, json = false, has_auth_method = false, has_key_id = false;
      std::vector<std::string> scopes, templates;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("--provider", a->provider, "Provider key")->required();
    cmd->add_option("--client-id", a->client_id, "Client ID")->required();
    auto* in = cmd->add_flag("--client-secret-stdin", a->secret_stdin, "Read the client secret from stdin");
    auto* file = cmd->add_option("--client-secret-file", a->secret_file, "Read the client secret from a file");
    auto* clear = cmd->add_flag("--clear-client-secret", a->clear_secret, "Remove a stored secret (public client)");
    in->excludes(file)->excludes(clear);
    file->excludes(clear);
    cmd->add_option("--redirect-uri", a->redirect_uri, "Redirect URI registered at the provider");
    // Kept until changed; "provider" goes back to the provider's own method.
    cmd->add_option_function<std::string>(
        "--auth-method", [a](const std::string& v) { a->auth_method = v == "provider" ? "" : v, a->has_auth_method = true; },
        "Token endpoint authentication for this app: client_secret_basic | client_secret_post | none | "
        "private_key_jwt (the client secret is then the PEM private key, RSA or P-256: --client-secret-file key.pem) "
        "| signed_client_secret (latchkey signs the client secret with that key, e.g. Apple's .p8) "
        "| provider (the provider's own)");
    cmd->add_option_function<std::string>(
        "--key-id", [a](const std::string& v) { a->key_id = v, a->has_key_id = true; },
        "private_key_jwt, signed_client_secret: the key's kid as registered at the provider (\"\" for none)");
    cmd->add_option("--scopes", a->scopes, "Scopes to ask for (comma-separated)");
    cmd->add_option("--template", a->templates, "Template value NAME=VALUE (e.g. tenant=contoso.onmicrosoft.com)");
    cmd->add_flag("--json", a->json, "Print JSON");
    cmd->callback([&session, a] {
      session.action = [&session, a] {
        AppInput app;
        app.provider = a->provider;
        app.client_id = a->client_id;
        app.redirect_uri = a->redirect_uri;
        if (a->has_auth_method) app.token_endpoint_auth_method = a->auth_method;
        if (a->has_key_id) app.key_id = a->key_id;
        app.scopes = split_list(a->scopes);
        for (const auto& t : a->templates) {
          auto eq = t.find('=');
          if (eq == std::string::npos) {
            return report(make_error(ErrorCode::invalid_request, "--template takes NAME=VALUE"), a->json);
          }
          app.template_values[t.substr(0, eq)] = t.substr(eq + 1);
        }
        if (a->secret_stdin || !a->secret_file.empty()) {
          auto secret = read_secret(a->secret_stdin, a->secret_file);
          if (!secret) return report(secret.error(), a->json);
          app.client_secret = *secret;
        } else if (a->clear_secret) {
          app.client_secret = std::string();
        }
        auto r = session.call([&](Engine& e) { return e.upsert_app(app); });
        if (!r) return report(r.error(), a->json);
        if (a->json) print_json(json_form(*r));
        else std::printf("saved app for %s (client secret %s)\n", term(r->provider).c_str(), r->has_client_secret ? "set" : "not set");
        return int(kOk);
      };
    });
  }
  {
    auto* cmd = apps->add_subcommand("list", "List the providers with app credentials");
    auto json = std::make_shared<bool>(false);
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&session, json] {
      session.action = [&session, json] {
        auto r = session.call([&](Engine& e) { return e.list_apps(); });
        if (!r) return report(r.error(), *json);
        if (*json) {
          print_json(json_form(*r));
        } else {
          for (const auto& a : *r) {
            std::printf("%-20s %-40s secret %s\n", term(a.provider).c_str(), term(a.client_id).c_str(),
                        a.has_client_secret ? "set" : "not set");
          }
        }
        return int(kOk);
      };
    });
  }
  {
    auto* cmd = apps->add_subcommand("get", "Show a provider's app credentials (never the secret)");
    auto key = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("PROVIDER", *key, "Provider key")->required();
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&session, key, json] {
      session.action = [&session, key, json] {
        auto r = session.call([&](Engine& e) { return e.get_app(*key); });
        if (!r) return report(r.error(), *json);
        if (*json) {
          print_json(json_form(*r));
        } else {
          std::printf("provider       %s\nclient id      %s\nclient secret  %s\nredirect uri   %s\nscopes         %s\n",
                      term(r->provider).c_str(), term(r->client_id).c_str(), r->has_client_secret ? "set" : "not set",
                      term(r->redirect_uri).c_str(), term(join(r->scopes, " ")).c_str());
          if (!r->token_endpoint_auth_method.empty()) {
            std::printf("client auth    %s%s%s\n", term(r->token_endpoint_auth_method).c_str(),
                        r->key_id.empty() ? "" : ", kid ", term(r->key_id).c_str());
          }
          print_registration(*r);
        }
        return int(kOk);
      };
    });
  }
  {
    auto* cmd = apps->add_subcommand("delete", "Delete a provider's app credentials");
    auto key = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("PROVIDER", *key, "Provider key")->required();
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&session, key, json] {
      session.action = [&session, key, json] {
        auto r = session.call([&](Engine& e) { return e.delete_app(*key); });
        if (!r) return report(r.error(), *json);
        if (*json) print_removed(*key, *r);
        else std::printf("deleted app for %s\n", term(*key).c_str());
        return int(kOk);
      };
    });
  }
}

}  // namespace latchkey::cli
