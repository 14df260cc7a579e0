#include "steps.hpp"

#include <algorithm>
#include <memory>

#include "engine_memory.hpp"
#include "latchkey/catalog.hpp"
#include "text.hpp"
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

void Steps::list(OperationBase& op, std::string prefix, Then<std::vector<StoreRecord>> then, std::size_t limit) {
  Effect e = store_effect(EffectKind::store_list, "");
  e.prefix = prefix;
  e.limit = limit;
  op.request(std::move(e), [prefix, limit, then](const EffectResult& r) {
    if (!r.store_error.empty()) return then(store_failure(r, prefix));
    if (limit == 0 || r.records.size() <= limit) return then(r.records);
    // A host that ignored the limit: its answer is in key order, so the first ones are ours.
    then(std::vector<StoreRecord>(r.records.begin(), r.records.begin() + static_cast<std::ptrdiff_t>(limit)));
  });
}

namespace {

// One expired sign-in the sweep removes: its record (absent already when it was finished) and
// its index entry (at the version listed; nothing rewrites one).
struct Expired {
  std::string record_key;  ///< Empty for an index key that names no record (a damaged store).
  std::string index_key;
  std::int64_t index_version = 0;
};

// A sweep in progress: the removals to make and how far it got. Each pending removal's
// continuation holds the sweep, and the sweep holds nothing that refers back to it (only the
// caller's `then`), so it goes with the last removal's answer, or with an operation dropped
// mid-sweep, and nothing can leak or dangle.
struct Sweep {
  OperationBase* op = nullptr;
  EngineMemory* memory = nullptr;
  std::string record_prefix;
  std::vector<Expired> expired;
  std::size_t next = 0;
  Then<Ok> then;
};

// A sweep is skipped for at most this long, whatever the index says: an entry edited by hand
// (or written with a wrong clock) far in the future must not stop sweeping for good.
constexpr std::int64_t kMaxSweepSkipMs = 60 * 1000;

void sweep_next(const std::shared_ptr<Sweep>& s) {
  if (s->next == s->expired.size()) return s->then(Ok{});
  const Expired& x = s->expired[s->next++];
  auto drop_index = [s, index_key = x.index_key, index_version = x.index_version](Result<bool> removed) {
    // The entry stays while its record might: the next start sweeps again.
    if (!removed) {
      s->memory->sweep_due.erase(s->record_prefix);
      return sweep_next(s);
    }
    Steps::remove(*s->op, index_key, index_version, [s](Result<bool>) { sweep_next(s); });
  };
  // Unconditionally: an expired sign-in is of no use at any version (a callback or poll arriving
  // now is refused as expired either way), and its expiry never changes.
  if (x.record_key.empty()) return drop_index(true);
  Steps::remove(*s->op, x.record_key, 0, std::move(drop_index));
}

}  // namespace

void Steps::sweep_expired(OperationBase& op, std::string record_prefix, std::int64_t now_ms, Then<Ok> then) {
  // Until the first live entry the last sweep saw expires, a sweep would list and remove
  // nothing: the engine skips it (a store round trip on every start). Records another engine
  // adds that expire sooner wait for that time, or for that engine's own sweeps.
  auto& due = op.engine().memory().sweep_due;
  if (auto it = due.find(record_prefix); it != due.end() && now_ms <= it->second) return then(Ok{});
  auto listed = [&op, now_ms, then, record_prefix](Result<std::vector<StoreRecord>> r) {
    if (!r) return then(r.error());
    auto s = std::make_shared<Sweep>();
    s->op = &op;
    s->memory = &op.engine().memory();
    s->record_prefix = record_prefix;
    s->then = then;
    auto& due = op.engine().memory().sweep_due;
    due.erase(record_prefix);  // no live entry seen: sweep again at the next start
    for (const auto& entry : *r) {
      auto parsed = expiry_entry_from_key(entry.key);
      if (parsed && parsed->expires_at_ms >= now_ms) {  // index order is expiry order: the rest are live too
        due[record_prefix] = std::min(parsed->expires_at_ms, now_ms + kMaxSweepSkipMs);  // live until then
        break;
      }
      s->expired.push_back({parsed ? parsed->record_key : "", entry.key, entry.version});
    }
    sweep_next(s);
  };
  list(op, expiry_index_prefix(record_prefix), std::move(listed), kExpirySweepBatch);
}

void Steps::create_after_sweep(OperationBase& op, std::string key, std::string value, std::int64_t expires_at_ms,
                               std::int64_t now_ms, Then<std::int64_t> then) {
  const std::string prefix = key.substr(0, key.find('/') + 1);
  sweep_expired(op, prefix, now_ms,
                [&op, key = std::move(key), value = std::move(value), expires_at_ms, then](Result<Ok> swept) {
                  if (!swept) return then(swept.error());
                  // The index entry first, so every record that may exist has one, whatever fails
                  // next. An entry whose record was never written (or was finished) costs the
                  // sweep one removal of nothing; one whose write met another record under the
                  // same key expires after that record did, so it never cuts a sign-in short.
                  put(op, expiry_index_key(key, expires_at_ms), "", [&op, key, value, then](Result<std::int64_t> indexed) {
                    if (!indexed) return then(indexed.error());
                    cas(op, key, value, 0, then);
                  });
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

void Steps::wait_until(OperationBase& op, std::int64_t until_ms, std::function<void()> then) {
  Effect e;
  e.kind = EffectKind::wait;
  e.until_ms = until_ms;
  op.request(std::move(e), [&op, until_ms, then](const EffectResult&) {
    if (op.now_ms() < until_ms) return wait_until(op, until_ms, then);  // resumed early: the rest
    then();
  });
}

void Steps::provider(OperationBase& op, std::string key, Then<Provider> then) {
  if (const Provider* p = find_builtin(key)) return then(*p);
  get(op, provider_key(key), [&op, key, then](Result<std::optional<StoreRecord>> r) {
    if (!r) return then(r.error());
    if (!*r) {
      return then(make_error(ErrorCode::not_found, "no provider '" + clean(key, 64) +
                                                       "': see `latchkey providers list`, or register it with "
                                                       "`latchkey providers register`"));
    }
    auto& memory = op.engine().memory();
    const std::string& text = (*r)->value;
    if (const Provider* known = memory.provider_read(key, text)) return then(*known);
    auto p = provider_from_json(text);
    if (!p) {
      Error e = p.error();
      e.code = ErrorCode::storage;
      e.message = "the stored definition of provider '" + key + "' is invalid: " + e.message;
      return then(e);
    }
    memory.keep_provider(key, text, *p);
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

TokenHttpResponse token_http(HttpResponse response) {
  TokenHttpResponse t;
  t.status = response.status;
  if (const std::string* ct = find_header(response.headers, "content-type")) t.content_type = *ct;
  t.body = std::move(response.body);
  return t;
}

}  // namespace latchkey::detail
