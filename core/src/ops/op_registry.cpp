// The provider registry (built-in catalog + custom providers), modes and app credentials.
#include <algorithm>
#include <cctype>

#include "address_policy.hpp"
#include "authorization.hpp"
#include "discover_resource.hpp"
#include "json.hpp"
#include "latchkey/catalog.hpp"
#include "ops.hpp"
#include "provider_checks.hpp"
#include "provider_templates.hpp"
#include "seal.hpp"
#include "url.hpp"

namespace latchkey::detail {

Result<std::string> open_client_secret(const Engine& engine, const AppRecord& app) {
  if (app.client_secret_sealed.empty()) return std::string();
  return engine.sealer().open(seal_place(app_key(app.provider), "client_secret"), app.client_secret_sealed);
}

AppInfo app_info(const AppRecord& app) {
  AppInfo info;
  info.provider = app.provider;
  info.client_id = app.client_id;
  info.has_client_secret = !app.client_secret_sealed.empty();
  info.token_endpoint_auth_method = app.token_endpoint_auth_method;
  info.key_id = app.key_id;
  info.has_registration_access_token = !app.registration_access_token_sealed.empty();
  info.registration_client_uri = app.registration_client_uri;
  info.client_secret_expires_at_ms = app.client_secret_expires_at_ms;
  info.redirect_uri = app.redirect_uri;
  info.scopes = app.scopes;
  info.template_values = app.template_values;
  info.updated_at_ms = app.updated_at_ms;
  return info;
}

Result<Provider> resolve_for(const Provider& provider, const StringMap& app_values, const StringMap& overrides) {
  StringMap values = app_values;
  for (const auto& [k, v] : overrides) values[k] = v;
  return resolve_read(provider, values);
}

std::string requested_scope(const Provider& provider, const std::vector<std::string>& asked, const AppRecord& app) {
  return join_scopes(provider, !asked.empty() ? asked : !app.scopes.empty() ? app.scopes : provider.default_scopes);
}

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<Mode> mode_from_json(const std::string& text) {
  auto v = json::parse(text, "a stored mode record");
  if (v && v->is<json::Object>()) {
    const std::string* m = json::get_string(v->get<json::Object>(), "mode");
    if (m && *m == "managed") return Mode::managed;
    if (m && *m == "your-own") return Mode::your_own;
  }
  return make_error(ErrorCode::storage, "a stored mode record is invalid; set the mode again");
}

// Fills mode and has_app for one provider.
void describe(OperationBase& op, Provider provider, Then<ProviderInfo> then) {
  auto info = std::make_shared<ProviderInfo>();
  info->provider = std::move(provider);
  Steps::get(op, mode_key(info->provider.key), [&op, info, then](Result<std::optional<StoreRecord>> m) {
    if (!m) return then(m.error());
    if (*m) {
      auto mode = mode_from_json((*m)->value);
      if (!mode) return then(mode.error());
      info->mode = *mode;
    }
    Steps::get(op, app_key(info->provider.key), [info, then](Result<std::optional<StoreRecord>> a) {
      if (!a) return then(a.error());
      info->has_app = a->has_value();
      then(std::move(*info));
    });
  });
}

class ListProviders : public Operation<std::vector<ProviderInfo>> {
 public:
  ListProviders(Engine& e, ProviderFilter f) : Operation(e), filter_(std::move(f)) {}

 private:
  bool matches(const Provider& p) const {
    if (filter_.supports_managed && p.managed_service_config_key.empty()) return false;
    if (filter_.key_substrings.empty()) return true;
    std::string key = lower(p.key), name = lower(p.display_name);
    for (const auto& s : filter_.key_substrings) {
      std::string needle = lower(s);
      if (key.find(needle) != std::string::npos || name.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  void run() override {
    const auto& builtins = builtin_providers();
    if (!builtins) return fail(builtins.error());
    for (const auto& p : *builtins) {
      if (matches(p)) out_.push_back({p, Mode::your_own, false});
    }
    Steps::list(*this, "provider/", [this](Result<std::vector<StoreRecord>> r) {
      if (!r) return fail(r.error());
      for (const auto& rec : *r) {
        auto p = provider_from_json(rec.value);
        if (!p) continue;  // a broken custom definition must not hide the whole catalog
        if (matches(*p)) out_.push_back({std::move(*p), Mode::your_own, false});
      }
      std::sort(out_.begin(), out_.end(), [](const auto& a, const auto& b) { return a.provider.key < b.provider.key; });
      Steps::list(*this, "mode/", [this](Result<std::vector<StoreRecord>> modes) {
        if (!modes) return fail(modes.error());
        for (const auto& rec : *modes) {
          auto m = mode_from_json(rec.value);
          if (!m) continue;
          for (auto& info : out_) {
            if (mode_key(info.provider.key) == rec.key) info.mode = *m;
          }
        }
        Steps::list(*this, "app/", [this](Result<std::vector<StoreRecord>> apps) {
          if (!apps) return fail(apps.error());
          for (const auto& rec : *apps) {
            for (auto& info : out_) {
              if (app_key(info.provider.key) == rec.key) info.has_app = true;
            }
          }
          succeed(std::move(out_));
        });
      });
    });
  }

  ProviderFilter filter_;
  std::vector<ProviderInfo> out_;
};

class GetProvider : public Operation<ProviderInfo> {
 public:
  GetProvider(Engine& e, std::string key) : Operation(e), key_(std::move(key)) {}

 private:
  void run() override {
    Steps::provider(*this, key_, [this](Result<Provider> p) {
      if (!p) return fail(p.error());
      describe(*this, std::move(*p), [this](Result<ProviderInfo> info) {
        if (!info) return fail(info.error());
        succeed(std::move(*info));
      });
    });
  }
  std::string key_;
};

// What `providers get --json` and GET /v1/providers/{key} add to a definition: they describe its
// state here, not the provider, so a definition read back in (a round trip) may carry them.
constexpr const char* kPresentationMembers[] = {"builtin", "mode", "has_app", "supports_managed"};

/// The definition's members, without the presentation members; invalid_request if it is not a
/// JSON object.
Result<json::Object> definition_members(const std::string& text) {
  if (text.size() > kMaxProviderJson) {
    return make_error(ErrorCode::invalid_request,
                      "the provider definition is larger than " + std::to_string(kMaxProviderJson / 1024) + " KiB");
  }
  auto doc = json::parse(text, "the provider definition");
  if (!doc) return make_error(ErrorCode::invalid_request, doc.error().message);
  if (!doc->is<json::Object>()) return make_error(ErrorCode::invalid_request, "the provider definition must be a JSON object");
  json::Object o = doc->get<json::Object>();
  for (const char* m : kPresentationMembers) o.erase(m);
  return o;
}

class SaveProvider : public Operation<ProviderInfo> {
 public:
  SaveProvider(Engine& e, std::string json, bool create) : Operation(e), json_(std::move(json)), create_(create) {}

 private:
  void run() override {
    auto given = definition_members(json_);
    if (!given) return fail(given.error());
    given_ = std::move(*given);
    const std::string* k = json::get_string(given_, "key");
    if (!k) return fail(make_error(ErrorCode::invalid_request, "the provider definition needs its key"));
    if (find_builtin(*k)) {
      return fail(make_error(ErrorCode::invalid_request,
                             "'" + *k + "' is a built-in provider and cannot be " +
                                 (create_ ? "registered again" : "changed") + "; register yours under another key"));
    }
    std::string key = provider_key(*k);
    Steps::get(*this, key, [this, key](Result<std::optional<StoreRecord>> r) {
      if (!r) return fail(r.error());
      const std::string name = *json::get_string(given_, "key");
      if (create_ && *r) {
        return fail(make_error(ErrorCode::conflict, "a provider '" + name +
                                                        "' is already registered; use `latchkey providers update`"));
      }
      if (!create_ && !*r) {
        return fail(make_error(ErrorCode::not_found, "no custom provider '" + name +
                                                         "' to update; use `latchkey providers register`"));
      }
      // An update carries only what changes: every member it names replaces the stored one.
      json::Object merged = given_;
      if (*r) {
        auto stored = json::parse((*r)->value, "the stored provider");
        if (stored && stored->is<json::Object>()) {
          merged = stored->get<json::Object>();
          for (auto& [m, v] : given_) merged[m] = v;
        }
      }
      auto p = provider_from_json(json::serialize(json::Value(merged)));
      if (!p) return fail(p.error());
      provider_ = std::move(*p);
      provider_.builtin = false;
      std::int64_t version = *r ? (*r)->version : 0;
      Steps::cas(*this, key, provider_to_json(provider_), version, [this](Result<std::int64_t> w) {
        if (!w) return fail(w.error());
        describe(*this, provider_, [this](Result<ProviderInfo> info) {
          if (!info) return fail(info.error());
          succeed(std::move(*info));
        });
      });
    });
  }
  std::string json_;
  bool create_;
  json::Object given_;
  Provider provider_;
};

class RemoveProvider : public Operation<RemoveResult> {
 public:
  RemoveProvider(Engine& e, std::string key, bool force) : Operation(e), key_(std::move(key)), force_(force) {}

 private:
  void run() override {
    if (find_builtin(key_)) {
      return fail(make_error(ErrorCode::invalid_request, "'" + key_ + "' is a built-in provider and cannot be removed"));
    }
    Steps::get(*this, provider_key(key_), [this](Result<std::optional<StoreRecord>> r) {
      if (!r) return fail(r.error());
      if (!*r) return fail(make_error(ErrorCode::not_found, "no custom provider '" + key_ + "'"));
      Steps::list(*this, "conn/", [this](Result<std::vector<StoreRecord>> conns) {
        if (!conns) return fail(conns.error());
        for (const auto& rec : *conns) {
          auto ref = connection_ref_from_key(rec.key);
          if (ref && ref->provider == key_) doomed_.push_back(rec.key);
        }
        if (!doomed_.empty() && !force_) {
          return fail(make_error(ErrorCode::conflict, std::to_string(doomed_.size()) + " connection(s) use '" + key_ +
                                                          "'; disconnect them first, or remove with --force to "
                                                          "delete them with the provider"));
        }
        next(0);
      });
    });
  }

  void next(std::size_t i) {
    if (i < doomed_.size()) {
      return Steps::remove(*this, doomed_[i], 0, [this, i](Result<bool> r) {
        if (!r) return fail(r.error());
        if (*r) ++result_.connections_removed;
        next(i + 1);
      });
    }
    Steps::remove(*this, app_key(key_), 0, [this](Result<bool> a) {
      if (!a) return fail(a.error());
      Steps::remove(*this, mode_key(key_), 0, [this](Result<bool> m) {
        if (!m) return fail(m.error());
        Steps::remove(*this, provider_key(key_), 0, [this](Result<bool> p) {
          if (!p) return fail(p.error());
          result_.removed = *p;
          succeed(result_);
        });
      });
    });
  }

  std::string key_;
  bool force_;
  std::vector<std::string> doomed_;
  RemoveResult result_;
};

class DiscoverProvider : public Operation<ProviderInfo> {
 public:
  DiscoverProvider(Engine& e, std::string key, std::string issuer, bool allow_private)
      : Operation(e), key_(std::move(key)), issuer_(std::move(issuer)), allow_private_(allow_private) {}

 private:
  void run() override {
    if (auto s = check_metadata_url(issuer_, "the issuer URL", allow_private_); !s) return fail(s.error());
    if (find_builtin(key_)) {
      return fail(make_error(ErrorCode::invalid_request, "'" + key_ + "' is a built-in provider; choose another key"));
    }
    std::vector<std::string> urls = {openid_configuration_url(issuer_),
                                     well_known_url(issuer_, "oauth-authorization-server")};
    HttpRequest req;
    req.headers.emplace_back("Accept", "application/json");
    req.max_response_bytes = 1 << 20;
    Steps::first_found(*this, std::move(req), urls, [this, urls](Result<HttpResponse> r) {
      if (!r) return fail(r.error());
      if (r->status != 200) {
        return fail(make_error(ErrorCode::not_found, "no discovery document at " + urls[0] + " or " + urls[1] +
                                                         " (HTTP " + std::to_string(r->status) +
                                                         "); register the provider by hand instead"));
      }
      auto p = provider_from_discovery(key_, issuer_, r->body);
      if (!p) return fail(p.error());
      // The document is the server's word: each endpoint it names gets the issuer's policy, or a
      // public issuer could point latchkey's credentials at the host's own network.
      if (auto s = check_discovered_endpoints(*p, allow_private_); !s) return fail(s.error());
      save_ = std::shared_ptr<Operation<ProviderInfo>>(engine().register_provider(provider_to_json(*p)));
      delegate(save_, [this] {
        if (!save_->result()) return fail(save_->result().error());
        succeed(save_->result().value());
      });
    });
  }

  std::string key_;
  std::string issuer_;
  bool allow_private_;
  std::shared_ptr<Operation<ProviderInfo>> save_;
};

class SetMode : public Operation<ProviderInfo> {
 public:
  SetMode(Engine& e, std::string provider, Mode mode) : Operation(e), provider_(std::move(provider)), mode_(mode) {}

 private:
  void run() override {
    Steps::provider(*this, provider_, [this](Result<Provider> p) {
      if (!p) return fail(p.error());
      if (mode_ == Mode::managed && p->managed_service_config_key.empty()) {
        return fail(make_error(ErrorCode::invalid_request,
                               "'" + provider_ + "' has no managed app configured, so only your-own mode is possible; "
                                                 "set your app credentials with `latchkey apps upsert`"));
      }
      json::Object o;
      o["mode"] = json::Value(std::string(to_string(mode_)));
      Steps::put(*this, mode_key(provider_), json::serialize(json::Value(o)), [this, p = std::move(*p)](Result<std::int64_t> w) {
        if (!w) return fail(w.error());
        describe(*this, p, [this](Result<ProviderInfo> info) {
          if (!info) return fail(info.error());
          succeed(std::move(*info));
        });
      });
    });
  }
  std::string provider_;
  Mode mode_;
};

class UpsertApp : public Operation<AppInfo> {
 public:
  UpsertApp(Engine& e, AppInput in, std::optional<ClientRegistration> registration)
      : Operation(e), in_(std::move(in)), registration_(std::move(registration)) {}

 private:
  void run() override {
    if (in_.client_id.empty()) return fail(make_error(ErrorCode::invalid_request, "a client ID is required"));
    if (!in_.redirect_uri.empty()) {
      if (auto s = check_endpoint(in_.redirect_uri, "redirect_uri"); !s) return fail(s.error());
    }
    if (in_.token_endpoint_auth_method && !in_.token_endpoint_auth_method->empty()) {
      if (auto m = client_auth_method_from(*in_.token_endpoint_auth_method); !m) return fail(m.error());
    }
    Steps::provider(*this, in_.provider, [this](Result<Provider> p) {
      if (!p) return fail(p.error());
      // Template values must be valid for this provider before they are kept; values left out
      // (a Shopify {shop}) can come with each connection.
      if (auto s = check_template_values(*p, in_.template_values); !s) return fail(s.error());
      if (in_.token_endpoint_auth_method == "signed_client_secret" && !p->signed_client_secret) {
        return fail(make_error(ErrorCode::invalid_request,
                               "'" + p->key + "' does not say how to sign a client secret (its definition has no "
                               "signed_client_secret), so its apps cannot use signed_client_secret"));
      }
      std::string key = app_key(in_.provider);
      Steps::get(*this, key, [this, key](Result<std::optional<StoreRecord>> r) {
        if (!r) return fail(r.error());
        AppRecord rec;
        std::int64_t version = 0;
        if (*r) {
          auto old = app_from_json((*r)->value);
          if (old) rec = std::move(*old);
          version = (*r)->version;
        }
        rec.provider = in_.provider;
        // A registration belongs to one client (RFC 7592), an expiry to one secret: neither
        // carries over to credentials set by hand.
        if (rec.client_id != in_.client_id) {
          rec.registration_access_token_sealed.clear();
          rec.registration_client_uri.clear();
          rec.client_secret_expires_at_ms = 0;
        }
        if (in_.client_secret) rec.client_secret_expires_at_ms = 0;
        if (registration_) {
          rec.registration_access_token_sealed =
              registration_->access_token.empty()
                  ? std::string()
                  : engine().sealer().seal(seal_place(key, "registration_access_token"), registration_->access_token,
                                           engine().drbg());
          rec.registration_client_uri = registration_->client_uri;
          rec.client_secret_expires_at_ms = registration_->secret_expires_at_ms;
        }
        rec.client_id = in_.client_id;
        if (in_.client_secret) {
          rec.client_secret_sealed = in_.client_secret->empty()
                                         ? std::string()
                                         : engine().sealer().seal(seal_place(key, "client_secret"), *in_.client_secret,
                                                                  engine().drbg());
        }
        if (in_.token_endpoint_auth_method) rec.token_endpoint_auth_method = *in_.token_endpoint_auth_method;
        if (in_.key_id) rec.key_id = *in_.key_id;
        if (!in_.redirect_uri.empty()) rec.redirect_uri = in_.redirect_uri;
        if (!in_.scopes.empty()) rec.scopes = in_.scopes;
        for (const auto& [k, v] : in_.template_values) rec.template_values[k] = v;
        rec.updated_at_ms = now_ms();
        Steps::cas(*this, key, to_json(rec), version, [this, rec](Result<std::int64_t> w) {
          if (!w) return fail(w.error());
          succeed(app_info(rec));
        });
      });
    });
  }
  AppInput in_;
  std::optional<ClientRegistration> registration_;
};

class GetApp : public Operation<AppInfo> {
 public:
  GetApp(Engine& e, std::string provider) : Operation(e), provider_(std::move(provider)) {}

 private:
  void run() override {
    Steps::app(*this, provider_, [this](Result<AppRecord> a) {
      if (!a) return fail(a.error());
      succeed(app_info(*a));
    });
  }
  std::string provider_;
};

class ListApps : public Operation<std::vector<AppInfo>> {
 public:
  explicit ListApps(Engine& e) : Operation(e) {}

 private:
  void run() override {
    Steps::list(*this, "app/", [this](Result<std::vector<StoreRecord>> r) {
      if (!r) return fail(r.error());
      std::vector<AppInfo> out;
      for (const auto& rec : *r) {
        auto app = app_from_json(rec.value);
        if (!app) return fail(app.error());
        out.push_back(app_info(*app));
      }
      succeed(std::move(out));
    });
  }
};

class DeleteApp : public Operation<RemoveResult> {
 public:
  DeleteApp(Engine& e, std::string provider) : Operation(e), provider_(std::move(provider)) {}

 private:
  void run() override {
    Steps::remove(*this, app_key(provider_), 0, [this](Result<bool> r) {
      if (!r) return fail(r.error());
      if (!*r) return fail(make_error(ErrorCode::not_found, "no app credentials for '" + provider_ + "'"));
      succeed(RemoveResult{true, 0});
    });
  }
  std::string provider_;
};

}  // namespace

std::unique_ptr<Operation<AppInfo>> make_upsert_app(Engine& e, AppInput app, ClientRegistration registration) {
  return std::make_unique<UpsertApp>(e, std::move(app), std::move(registration));
}

}  // namespace latchkey::detail

namespace latchkey {

std::unique_ptr<Operation<std::vector<ProviderInfo>>> Engine::list_providers(ProviderFilter f) {
  return std::make_unique<detail::ListProviders>(*this, std::move(f));
}
std::unique_ptr<Operation<ProviderInfo>> Engine::get_provider(std::string key) {
  return std::make_unique<detail::GetProvider>(*this, std::move(key));
}
std::unique_ptr<Operation<ProviderInfo>> Engine::register_provider(std::string json) {
  return std::make_unique<detail::SaveProvider>(*this, std::move(json), true);
}
std::unique_ptr<Operation<ProviderInfo>> Engine::update_provider(std::string json) {
  return std::make_unique<detail::SaveProvider>(*this, std::move(json), false);
}
std::unique_ptr<Operation<RemoveResult>> Engine::remove_provider(std::string key, bool force) {
  return std::make_unique<detail::RemoveProvider>(*this, std::move(key), force);
}
std::unique_ptr<Operation<ProviderInfo>> Engine::discover_provider(std::string key, std::string issuer_url,
                                                                   bool allow_private_network) {
  return std::make_unique<detail::DiscoverProvider>(*this, std::move(key), std::move(issuer_url),
                                                    allow_private_network);
}
std::unique_ptr<Operation<ProviderInfo>> Engine::set_mode(std::string provider, Mode mode) {
  return std::make_unique<detail::SetMode>(*this, std::move(provider), mode);
}
std::unique_ptr<Operation<AppInfo>> Engine::upsert_app(AppInput app) {
  return std::make_unique<detail::UpsertApp>(*this, std::move(app), std::nullopt);
}
std::unique_ptr<Operation<AppInfo>> Engine::get_app(std::string provider) {
  return std::make_unique<detail::GetApp>(*this, std::move(provider));
}
std::unique_ptr<Operation<std::vector<AppInfo>>> Engine::list_apps() {
  return std::make_unique<detail::ListApps>(*this);
}
std::unique_ptr<Operation<RemoveResult>> Engine::delete_app(std::string provider) {
  return std::make_unique<detail::DeleteApp>(*this, std::move(provider));
}

}  // namespace latchkey
