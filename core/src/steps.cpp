#include "steps.hpp"

#include <cctype>
#include <memory>

#include "latchkey/catalog.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

Error store_failure(const EffectResult& r, const std::string& key) {
  return make_error(ErrorCode::storage, "the store failed while accessing '" + key + "': " + r.store_error);
}

Effect store_effect(EffectKind kind, std::string key) {
  Effect e;
  e.kind = kind;
  e.key = std::move(key);
  return e;
}

}  // namespace

void Steps::get(OperationBase& op, std::string key, Then<std::optional<StoreRecord>> then) {
  Effect e = store_effect(EffectKind::store_get, key);
  op.request(std::move(e), [key, then](const EffectResult& r) {
    if (!r.store_error.empty()) return then(store_failure(r, key));
    if (!r.found) return then(std::optional<StoreRecord>());
    std::optional<StoreRecord> rec(std::in_place, StoreRecord{key, r.record.value, r.record.version});
    then(std::move(rec));
  });
}

void Steps::put(OperationBase& op, std::string key, std::string value, Then<std::int64_t> then) {
  Effect e = store_effect(EffectKind::store_put, key);
  e.value = std::move(value);
  op.request(std::move(e), [key, then](const EffectResult& r) {
    if (!r.store_error.empty()) return then(store_failure(r, key));
    then(r.record.version);
  });
}

void Steps::cas(OperationBase& op, std::string key, std::string value, std::int64_t expected,
                Then<std::int64_t> then) {
  Effect e = store_effect(EffectKind::store_cas, key);
  e.value = std::move(value);
  e.expected_version = expected;
  op.request(std::move(e), [key, then](const EffectResult& r) {
    if (!r.store_error.empty()) return then(store_failure(r, key));
    if (r.conflict) return then(make_error(ErrorCode::conflict, "'" + key + "' changed while latchkey was updating it"));
    then(r.record.version);
  });
}

void Steps::remove(OperationBase& op, std::string key, std::int64_t expected, Then<bool> then) {
  Effect e = store_effect(EffectKind::store_delete, key);
  e.expected_version = expected;
  op.request(std::move(e), [key, then](const EffectResult& r) {
    if (!r.store_error.empty()) return then(store_failure(r, key));
    if (r.conflict) return then(make_error(ErrorCode::conflict, "'" + key + "' changed while latchkey was deleting it"));
    then(r.found);
  });
}

void Steps::list(OperationBase& op, std::string prefix, Then<std::vector<StoreRecord>> then) {
  Effect e = store_effect(EffectKind::store_list, "");
  e.prefix = prefix;
  op.request(std::move(e), [prefix, then](const EffectResult& r) {
    if (!r.store_error.empty()) return then(store_failure(r, prefix));
    then(r.records);
  });
}

void Steps::sweep_expired(OperationBase& op, std::string prefix,
                          std::function<std::int64_t(const std::string& value)> expires_at, std::int64_t now_ms,
                          Then<Ok> then) {
  list(op, std::move(prefix), [&op, expires_at, now_ms, then](Result<std::vector<StoreRecord>> r) {
    if (!r) return then(r.error());
    auto expired = std::make_shared<std::vector<std::pair<std::string, std::int64_t>>>();
    for (const auto& rec : *r) {
      std::int64_t at = expires_at(rec.value);
      if (at != 0 && at < now_ms) expired->push_back({rec.key, rec.version});
      if (expired->size() == 16) break;
    }
    // Each removal's continuation owns the next step; the step itself only refers to it, so
    // nothing is left holding itself when the sweep ends.
    auto next = std::make_shared<std::function<void(std::size_t)>>();
    *next = [&op, expired, self = std::weak_ptr(next), then](std::size_t i) {
      if (i == expired->size()) return then(Ok{});
      // At its version only: a record rewritten meanwhile is someone else's business.
      remove(op, (*expired)[i].first, (*expired)[i].second,
             [step = self.lock(), i](Result<bool>) { (*step)(i + 1); });
    };
    (*next)(0);
  });
}

void Steps::create_after_sweep(OperationBase& op, std::string prefix,
                               std::function<std::int64_t(const std::string& value)> expires_at,
                               std::int64_t now_ms, std::string key, std::string value, Then<std::int64_t> then) {
  sweep_expired(op, std::move(prefix), std::move(expires_at), now_ms,
                [&op, key = std::move(key), value = std::move(value), then](Result<Ok> swept) {
                  if (!swept) return then(swept.error());
                  cas(op, key, value, 0, then);
                });
}

void Steps::http(OperationBase& op, HttpRequest request, Then<HttpResponse> then) {
  Effect e;
  e.kind = EffectKind::http;
  std::string url = request.url;
  std::string method = request.method;
  e.http = std::move(request);
  op.request(std::move(e), [url, method, then](const EffectResult& r) {
    if (!r.transport_error.empty()) {
      // The URL is ours (an endpoint), never carries a secret: tokens go in headers or bodies.
      std::string shown = url.substr(0, url.find('?'));
      return then(make_error(ErrorCode::transport, method + " " + shown + " failed: " + r.transport_error +
                                                       " (check the network, the URL and the CA trust settings)"));
    }
    then(r.response);
  });
}

void Steps::first_found(OperationBase& op, HttpRequest request, std::vector<std::string> urls,
                        Then<HttpResponse> then) {
  HttpRequest req = request;
  req.url = urls.front();
  http(op, std::move(req), [&op, request, urls, then](Result<HttpResponse> r) mutable {
    if (!r || r->status == 200 || urls.size() == 1) return then(std::move(r));
    urls.erase(urls.begin());
    first_found(op, std::move(request), std::move(urls), std::move(then));
  });
}

void Steps::sleep(OperationBase& op, std::int64_t ms, std::function<void()> then) {
  Effect e;
  e.kind = EffectKind::sleep;
  e.sleep_ms = ms;
  op.request(std::move(e), [then](const EffectResult&) { then(); });
}

void Steps::provider(OperationBase& op, std::string key, Then<Provider> then) {
  if (const Provider* p = find_builtin(key)) return then(*p);
  get(op, provider_key(key), [key, then](Result<std::optional<StoreRecord>> r) {
    if (!r) return then(r.error());
    if (!*r) {
      return then(make_error(ErrorCode::not_found, "no provider '" + key +
                                                       "': see `latchkey providers list`, or register it with "
                                                       "`latchkey providers register`"));
    }
    auto p = provider_from_json((*r)->value);
    if (!p) {
      Error e = p.error();
      e.code = ErrorCode::storage;
      e.message = "the stored definition of provider '" + key + "' is invalid: " + e.message;
      return then(e);
    }
    then(std::move(*p));
  });
}

void Steps::app(OperationBase& op, std::string provider, Then<AppRecord> then) {
  get(op, app_key(provider), [provider, then](Result<std::optional<StoreRecord>> r) {
    if (!r) return then(r.error());
    if (!*r) {
      return then(make_error(ErrorCode::not_found,
                             "no app credentials for '" + provider + "': run `latchkey apps upsert --provider " +
                                 provider + " --client-id ID --client-secret-stdin` first"));
    }
    then(app_from_json((*r)->value));
  });
}

namespace {

Result<Versioned> versioned(const StoreRecord& rec) {
  auto parsed = connection_from_json(rec.value);
  if (!parsed) return parsed.error();
  return Versioned{std::move(*parsed), rec.version};
}

Error no_connection(const ConnectionRef& ref) {
  std::string account = ref.account.empty() || ref.account == "default" ? "" : " --account " + ref.account;
  return make_error(ErrorCode::not_found, "no connection to '" + ref.provider + "'" +
                                              (ref.account.empty() ? "" : " for account '" + ref.account + "'") +
                                              ": run `latchkey connect " + ref.provider + account + "`");
}

}  // namespace

void Steps::connection(OperationBase& op, ConnectionRef ref, Then<Versioned> then) {
  if (ref.account.empty()) {
    // No account named: the principal's only connection to this provider.
    std::string prefix = connection_prefix(ref.principal) + percent_encode(ref.provider) + "/";
    return list(op, prefix, [ref, then](Result<std::vector<StoreRecord>> r) {
      if (!r) return then(r.error());
      if (r->empty()) return then(no_connection(ref));
      if (r->size() > 1) {
        std::string accounts;
        for (const auto& rec : *r) {
          auto parsed = connection_ref_from_key(rec.key);
          if (parsed) accounts += (accounts.empty() ? "" : ", ") + parsed->account;
        }
        return then(make_error(ErrorCode::invalid_request, "there are several '" + ref.provider +
                                                               "' connections (" + accounts +
                                                               "): choose one with --account"));
      }
      then(versioned(r->front()));
    });
  }
  get(op, connection_key(ref), [ref, then](Result<std::optional<StoreRecord>> r) {
    if (!r) return then(r.error());
    if (!*r) return then(no_connection(ref));
    then(versioned(**r));
  });
}

const std::string* find_header(const Params& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return &v;
  }
  return nullptr;
}

TokenHttpResponse token_http(HttpResponse response) {
  TokenHttpResponse t;
  t.status = response.status;
  if (const std::string* ct = find_header(response.headers, "content-type")) t.content_type = *ct;
  t.body = std::move(response.body);
  return t;
}

}  // namespace latchkey::detail
