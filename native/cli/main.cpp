// latchkey — the command-line host. This first cut lists and shows catalog providers; the
// native runtime issue adds the SQLite store, the HTTPS client and the connection verbs.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "latchkey/latchkey.h"
#include "local_host.hpp"
#include "results_json.hpp"

namespace lk = latchkey;

namespace {

std::vector<std::string> split_commas(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::string cur;
    for (char c : item) {
      if (c == ',') {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    if (!cur.empty()) out.push_back(cur);
  }
  return out;
}

int report(const lk::Error& e, bool json) {
  if (json) {
    lk::detail::json::Object o;
    o["error"] = lk::detail::to_value(e);
    std::cout << lk::detail::json::Value(o).serialize() << "\n";
  } else {
    std::cerr << "latchkey: " << e.message << " [" << lk::to_string(e.code) << "]\n";
  }
  return e.code == lk::ErrorCode::not_found ? 3 : 1;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

void print_table(const std::vector<lk::ProviderInfo>& list) {
  std::size_t key_w = 3, name_w = 4;
  for (const auto& p : list) {
    key_w = std::max(key_w, p.provider.key.size());
    name_w = std::max(name_w, p.provider.display_name.size());
  }
  std::printf("%-*s  %-*s  %-18s  %-11s  %s\n", int(key_w), "KEY", int(name_w), "NAME", "AUTH", "PKCE", "MODE");
  for (const auto& p : list) {
    std::printf("%-*s  %-*s  %-18s  %-11s  %s\n", int(key_w), p.provider.key.c_str(), int(name_w),
                p.provider.display_name.c_str(), lk::to_string(p.provider.auth_mode), lk::to_string(p.provider.pkce),
                lk::to_string(p.mode));
  }
  std::printf("%zu provider%s\n", list.size(), list.size() == 1 ? "" : "s");
}

void print_provider(const lk::ProviderInfo& info) {
  const lk::Provider& p = info.provider;
  auto line = [](const char* label, const std::string& value) {
    if (!value.empty()) std::printf("%-24s %s\n", label, value.c_str());
  };
  line("key", p.key);
  line("name", p.display_name);
  line("auth mode", lk::to_string(p.auth_mode));
  line("mode", lk::to_string(info.mode));
  line("authorization endpoint", p.authorization_endpoint);
  line("token endpoint", p.token_endpoint);
  line("revocation endpoint", p.revocation_endpoint);
  line("userinfo endpoint", p.userinfo_endpoint);
  line("issuer", p.issuer);
  line("api base url", p.api_base_url);
  line("pkce", lk::to_string(p.pkce));
  line("client auth", lk::to_string(p.token_endpoint_auth_method));
  line("default scopes", join(p.default_scopes, p.scope_separator));
  for (const auto& t : p.template_params) {
    line(("template {" + t.name + "}").c_str(),
         t.pattern + (t.default_value ? " (default " + *t.default_value + ")" : std::string()));
  }
  line("token sent to", join(p.injection.hosts, ", "));
  line("docs", p.docs_url);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"latchkey — OAuth connections for your software, kept sealed on this machine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("latchkey ") + lk_version());

  auto* providers = app.add_subcommand("providers", "List and inspect OAuth providers");
  providers->require_subcommand(1);

  std::vector<std::string> search;
  bool supports_managed = false;
  bool json = false;
  auto* list = providers->add_subcommand("list", "List the providers latchkey knows");
  list->add_option("--provider-key", search, "Only keys or names containing SUBSTR (comma-separated: any)")
      ->type_name("SUBSTR[,SUBSTR]");
  list->add_flag("--supports-managed", supports_managed, "Only providers with a managed app");
  list->add_flag("--json", json, "Print JSON");

  std::string key;
  bool get_json = false;
  auto* get = providers->add_subcommand("get", "Show one provider's definition");
  get->add_option("KEY", key, "Provider key (see `latchkey providers list`)")->required();
  get->add_flag("--json", get_json, "Print JSON");

  CLI11_PARSE(app, argc, argv);

  auto host = lk::native::LocalHost::create();
  if (!host) return report(host.error(), json || get_json);

  if (list->parsed()) {
    lk::ProviderFilter filter;
    filter.key_substrings = split_commas(search);
    filter.supports_managed = supports_managed;
    auto r = host->run(host->engine().list_providers(filter));
    if (!r) return report(r.error(), json);
    if (json) std::cout << lk::detail::to_value(*r).serialize() << "\n";
    else print_table(*r);
    return 0;
  }
  if (get->parsed()) {
    auto r = host->run(host->engine().get_provider(key));
    if (!r) return report(r.error(), get_json);
    if (get_json) std::cout << lk::detail::to_value(*r).serialize() << "\n";
    else print_provider(*r);
    return 0;
  }
  return 0;
}
