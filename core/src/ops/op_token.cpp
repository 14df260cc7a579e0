// The token lifecycle: storing issued tokens, get-valid-token with single-flight refresh, and
// reading connection status. Signing requests with the token is op_sign_request.cpp.
#include <algorithm>

#include "authorization.hpp"
#include "client_auth.hpp"
#include "latchkey/catalog.hpp"
#include "crypto.hpp"
#include "oauth1_flow.hpp"
#include "ops.hpp"
#include "text.hpp"
#include "redaction.hpp"
#include "refresh_due.hpp"
#include "seal.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

// While a peer holds the refresh lease: how long until this op reads the record again.
constexpr std::int64_t kLeasePollMs = 100;

void seal_tokens(Engine& engine, const std::string& key, const TokenSet& t, ConnectionRecord& r) {
  Drbg& drbg = engine.drbg();
  r.access_token_sealed = engine.sealer().seal(seal_place(key, "access_token"), t.access_token, drbg);
  // A refresh response without a refresh token keeps the one we have (RFC 6749 §6).
  if (!t.refresh_token.empty()) {
    r.refresh_token_sealed = engine.sealer().seal(seal_place(key, "refresh_token"), t.refresh_token, drbg);
  }
  if (!t.id_token.empty()) r.id_token_sealed = engine.sealer().seal(seal_place(key, "id_token"), t.id_token, drbg);
  if (!t.token_secret.empty()) {
    r.token_secret_sealed = engine.sealer().seal(seal_place(key, "token_secret"), t.token_secret, drbg);
  }
  r.token_type = t.token_type;
  r.expires_at_ms = t.expires_at_ms;
  r.issued_at_ms = t.issued_at_ms;
  if (!t.scope.empty()) r.scope = t.scope;
  for (const auto& extra : t.extras) {
    auto it = std::find_if(r.extras.begin(), r.extras.end(), [&](const auto& p) { return p.first == extra.first; });
    if (it != r.extras.end()) it->second = extra.second;
    else r.extras.push_back(extra);
  }
  r.status = "connected";
  r.lease_id.clear();
  r.lease_until_ms = 0;
  r.failures = 0;
  r.breaker_until_ms = 0;
  r.last_error.clear();
}

struct SaveState {
  Engine* engine;
  OperationBase* op;
  ConnectionRef ref;
  std::string grant;
  StringMap template_values;
  TokenSet tokens;
  std::int64_t now_ms;
  Then<ConnectionInfo> then;
  int attempts = 0;
};

void save_attempt(std::shared_ptr<SaveState> s) {
  std::string key = connection_key(s->ref);
  Steps::get(*s->op, key, [s, key](Result<std::optional<StoreRecord>> got) {
    if (!got) return s->then(got.error());
    ConnectionRecord rec;
    std::int64_t version = 0;
    if (*got) {
      auto parsed = connection_from_json((*got)->value);
      if (parsed) rec = std::move(*parsed);  // an unreadable old record is replaced by the new connection
      version = (*got)->version;
    } else {
      rec.created_at_ms = s->now_ms;
    }
    rec.principal = s->ref.principal;
    rec.provider = s->ref.provider;
    rec.account = s->ref.account;
    rec.grant = s->grant;
    rec.template_values = s->template_values;
    rec.updated_at_ms = s->now_ms;
    if (rec.created_at_ms == 0) rec.created_at_ms = s->now_ms;
    // A new authorization replaces everything token-related, including an old refresh token.
    rec.refresh_token_sealed.clear();
    rec.id_token_sealed.clear();
    rec.token_secret_sealed.clear();
    rec.extras.clear();
    seal_tokens(*s->engine, key, s->tokens, rec);
    Steps::cas(*s->op, key, to_json(rec), version, [s, rec](Result<std::int64_t> r) {
      if (!r) {
        if (r.error().code == ErrorCode::conflict && ++s->attempts < 5) return save_attempt(s);
        return s->then(r.error());
      }
      s->then(connection_info(rec));
    });
  });
}

std::int64_t fresh_until(const ConnectionRecord& r, const Provider& p) {
  return refresh_due_ms(r.issued_at_ms, r.expires_at_ms, p.expiry_buffer_seconds);
}
bool fresh(const ConnectionRecord& r, const Provider& p, std::int64_t now) {
  const std::int64_t due = fresh_until(r, p);
  return due == 0 || now < due;
}
bool usable(const ConnectionRecord& r, std::int64_t now) { return r.expires_at_ms == 0 || r.expires_at_ms > now; }

std::int64_t retry_after_ms(const HttpResponse& resp, std::int64_t now) {
  const std::string* v = find_header(resp.headers, "retry-after");
  if (!v || v->empty() || v->size() > 6) return 0;
  std::int64_t secs = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return 0;  // HTTP-date form: fall back to our own backoff
    secs = secs * 10 + (c - '0');
  }
  return secs * 1000;
}

class GetToken : public Operation<AccessToken> {
 public:
  GetToken(Engine& e, ConnectionRef ref, bool force, std::string refused)
      : Operation(e), ref_(std::move(ref)), force_(force), refused_(std::move(refused)) {}

 private:
  void run() override { load(); }

  const std::string& key() {
    if (key_.empty()) key_ = connection_key(ref_);
    return key_;
  }

  Error gave_up() const {
    return make_error(ErrorCode::rate_limited,
                      "gave up waiting for another process to finish refreshing '" + ref_.provider + "'; try again");
  }

  void load() {
    // Conflicting writers and waits both come back here; either way this bounds the loop.
    if (++rounds_ > 1000) return fail(gave_up());
    Steps::connection(*this, ref_, [this](Result<Versioned> v) {
      if (!v) return fail(v.error());
      cur_ = std::move(*v);
      if (ref_.account.empty()) {
        ref_.account = cur_.record.account;
        key_.clear();
      }
      if (provider_) return decide();
      // Built-ins without template variables are used in place: no copy on the hot path.
      if (const Provider* builtin = find_builtin(ref_.provider); builtin && builtin->template_params.empty()) {
        provider_ = builtin;
        return decide();
      }
      Steps::provider(*this, ref_.provider, [this](Result<Provider> p) {
        if (!p) return fail(p.error());
        auto resolved = resolve_for(*p, cur_.record.template_values, {});
        if (!resolved) return fail(resolved.error());
        owned_provider_.emplace(std::move(*resolved));
        provider_ = &*owned_provider_;
        decide();
      });
    });
  }

  void decide() {
    ConnectionRecord& r = cur_.record;
    const std::int64_t now = now_ms();
    if (r.status == "needs_reauth") return fail(reauth_error(ref_, r.last_error));
    // OAuth 1.0a token credentials neither expire nor refresh: a forced refresh has nothing to do.
    if (r.grant == "oauth1") return deliver(false);
    // A refresh forced by a 401 replaces only the refused token: when the store holds another
    // one, a peer refreshed meanwhile (N requests refused at once make one refresh), and that
    // token is got as any other, refreshed only if it is due.
    if (force_ && !refused_.empty()) {
      auto stored = engine().sealer().open(seal_place(key(), "access_token"), r.access_token_sealed);
      if (!stored) return fail(stored.error());
      if (!constant_time_equal(*stored, refused_)) force_ = false;
      wipe(*stored);
    }
    // A forced op that waited on another refresher takes only a token other than the one it was
    // asked to replace (theirs); if their refresh failed, it refreshes itself.
    const bool replaced = r.access_token_sealed != replaced_access_;
    if (!force_ && replaced && fresh(r, *provider_, now)) return deliver(false);
    // A provider whose refresh trades the access token itself (Instagram) needs no refresh token.
    // ... while it is valid: an expired one cannot be traded, and the user must connect again.
    const bool trades_access = provider_->refresh && provider_->refresh->send_access_token;
    const bool still_valid = r.expires_at_ms == 0 || r.expires_at_ms > now;
    const bool can_refetch = r.grant == "client_credentials" || !r.refresh_token_sealed.empty() ||
                             (trades_access && r.grant != "oauth1" && !r.access_token_sealed.empty() && still_valid);
    if (!can_refetch) {
      if (!force_ && usable(r, now)) return deliver(false);
      return fail(reauth_error(ref_, "the access token expired and '" + ref_.provider + "' issued no refresh token"));
    }
    if (r.breaker_until_ms > now) {
      if (!force_ && replaced && usable(r, now)) return deliver(false);
      Error e = make_error(ErrorCode::rate_limited, "refreshing '" + ref_.provider +
                                                        "' failed repeatedly, so latchkey is pausing retries: " +
                                                        r.last_error);
      e.retry_at_ms = r.breaker_until_ms;
      return fail(e);
    }
    if (!r.lease_id.empty() && r.lease_until_ms > now && r.lease_id != lease_id_) {
      // Someone else is refreshing: use the current token while it lasts, else wait for theirs.
      if (!force_ && replaced && usable(r, now)) return deliver(false);
      if (force_) replaced_access_ = r.access_token_sealed;
      force_ = false;  // their refresh (a token other than replaced_access_) satisfies a forced one too
      // Wait past the lease's end: a refresher that died (a killed process) holds it until
      // then, and then this op takes over. Only one that keeps renewing outlasts the wait.
      if (wait_started_ms_ == 0) wait_started_ms_ = now;
      if (now - wait_started_ms_ > 2 * engine().config().lease_ms) return fail(gave_up());
      return Steps::wait_until(*this, now + kLeasePollMs, [this] { load(); });
    }
    lease_id_ = base64url_encode(engine().drbg().bytes(16));
    r.lease_id = lease_id_;
    r.lease_until_ms = now + engine().config().lease_ms;
    Steps::cas(*this, key(), to_json(r), cur_.version, [this](Result<std::int64_t> v) {
      if (!v) {
        if (v.error().code == ErrorCode::conflict) return load();
        return fail(v.error());
      }
      cur_.version = *v;
      used_refresh_sealed_ = cur_.record.refresh_token_sealed;
      used_access_sealed_ = cur_.record.access_token_sealed;
      Steps::app(*this, ref_.provider, [this](Result<AppRecord> a) {
        if (!a) return release_and_fail(a.error());
        app_ = std::move(*a);
        refresh();
      });
    });
  }

  // Before a retry: extend our lease so nobody else starts refreshing meanwhile. If the lease was
  // taken over (ours expired), stop and start again from the stored record.
  void renew_lease_then_refresh() {
    ConnectionRecord r = cur_.record;
    r.lease_until_ms = now_ms() + engine().config().lease_ms;
    Steps::cas(*this, key(), to_json(r), cur_.version, [this, r](Result<std::int64_t> v) {
      if (!v) {
        if (v.error().code != ErrorCode::conflict) return fail(v.error());
        lease_id_.clear();
        return load();
      }
      cur_.record = r;
      cur_.version = *v;
      refresh();
    });
  }

  void refresh() {
    const ConnectionRecord& r = cur_.record;
    // Built per attempt: a private_key_jwt assertion is good for one request only.
    auto client = client_credentials_for(engine(), *provider_, app_, now_ms());
    if (!client) return release_and_fail(client.error());
    const std::string& endpoint = provider_->refresh_endpoint.empty() ? provider_->token_endpoint : provider_->refresh_endpoint;
    HttpRequest req;
    TokenResponseRules rules = provider_->token_response;  // the styled grant's own root, if any
    std::string traded;  // the token the grant sends, for redaction
    if (r.grant == "client_credentials") {
      Params grant = {{"grant_type", provider_->client_credentials_grant_type}};
      if (!r.scope.empty()) grant.emplace_back("scope", r.scope);
      req = token_request(*provider_, endpoint, *client, std::move(grant));
    } else if (const GrantStyle* style = provider_->refresh ? &*provider_->refresh : nullptr) {
      const char* which = style->send_access_token ? "access_token" : "refresh_token";
      auto token = engine().sealer().open(seal_place(key(), which),
                                          style->send_access_token ? r.access_token_sealed : r.refresh_token_sealed);
      if (!token) return release_and_fail(token.error());
      req = styled_grant_request(*provider_, *style, style->url.empty() ? endpoint : style->url, *client, *token);
      rules = answer_rules(*provider_, provider_->refresh);
      traded = std::move(*token);
    } else {
      auto rt = engine().sealer().open(seal_place(key(), "refresh_token"), r.refresh_token_sealed);
      if (!rt) return release_and_fail(rt.error());
      req = token_request(*provider_, endpoint, *client, {{"grant_type", "refresh_token"}, {"refresh_token", *rt}});
    }
    // The whole attempt must end well inside our lease, or a second refresher could start.
    req.timeout_ms = std::min<std::int64_t>(req.timeout_ms, engine().config().lease_ms / 2);
    SentSecrets sent = SentSecrets::of(req);
    sent.add(traded);
    wipe(traded);
    Steps::http(*this, std::move(req), [this, sent, rules](Result<HttpResponse> resp) {
      if (!resp) return retry_or_fail(resp.error(), 0);
      if (resp->status == 429 || resp->status >= 500) {
        Error e = make_error(resp->status == 429 ? ErrorCode::rate_limited : ErrorCode::provider_error,
                             "the token endpoint of '" + ref_.provider + "' answered HTTP " +
                                 std::to_string(resp->status) + "; try again later");
        e.http_status = resp->status;
        return retry_or_fail(e, retry_after_ms(*resp, now_ms()));
      }
      auto tokens = parse_token_response(token_http(std::move(*resp)), rules, now_ms(), cur_.record.scope);
      if (!tokens) {
        // Before it becomes last_error or a message: the provider may echo what we sent.
        Error e = sent.redact(tokens.error());
        if (e.code == ErrorCode::invalid_grant) return mark_needs_reauth(e);
        return record_failure(e);
      }
      tokens_ = std::move(*tokens);
      store_refreshed();
    });
  }

  void retry_or_fail(Error e, std::int64_t retry_after) {
    const EngineConfig& cfg = engine().config();
    if (attempt_ >= cfg.refresh_retries) return record_failure(e);
    ++attempt_;
    std::int64_t delay = std::min(cfg.retry_max_ms, cfg.retry_base_ms << std::min(attempt_ - 1, 20));
    // Full jitter on the upper half, so a fleet of refreshers does not retry in lockstep.
    std::string r = engine().drbg().bytes(4);
    std::uint32_t rnd = 0;
    for (char c : r) rnd = (rnd << 8) | static_cast<unsigned char>(c);
    delay = std::max<std::int64_t>(delay, 2);
    delay = delay / 2 + static_cast<std::int64_t>(rnd % static_cast<std::uint64_t>(delay / 2 + 1));
    if (retry_after > cfg.retry_max_ms) {
      e.retry_at_ms = now_ms() + retry_after;
      return record_failure(e);
    }
    delay = std::max(delay, retry_after);
    Steps::wait_until(*this, now_ms() + delay, [this] { renew_lease_then_refresh(); });
  }

  // Writes `mutate(record)` back under our lease. On a conflict it re-reads the record and writes
  // again only if that is still safe: nobody else holds a live lease and the refresh token is the
  // one we refreshed with (else another refresher got further, and its result must stand).
  void write_back(std::function<void(ConnectionRecord&)> mutate, std::function<void(bool stored)> then) {
    ConnectionRecord r = cur_.record;
    mutate(r);
    Steps::cas(*this, key(), to_json(r), cur_.version, [this, mutate, then](Result<std::int64_t> v) {
      if (v) return then(true);
      if (v.error().code != ErrorCode::conflict || ++write_attempts_ > 5) return then(false);
      Steps::connection(*this, ref_, [this, mutate, then](Result<Versioned> latest) {
        if (!latest) return then(false);  // disconnected meanwhile: do not resurrect it
        const ConnectionRecord& l = latest->record;
        bool someone_else = !l.lease_id.empty() && l.lease_id != lease_id_ && l.lease_until_ms > now_ms();
        // For a provider whose refresh trades the access token, the token traded says the same.
        const bool trades_access = provider_->refresh && provider_->refresh->send_access_token;
        const bool moved_on = l.refresh_token_sealed != used_refresh_sealed_ ||
                              (trades_access && l.access_token_sealed != used_access_sealed_);
        if (someone_else || moved_on) return then(false);
        cur_ = std::move(*latest);
        write_back(mutate, then);
      });
    });
  }

  // Clears the lease only if it is still ours.
  void drop_lease(ConnectionRecord& r) const {
    if (r.lease_id == lease_id_) {
      r.lease_id.clear();
      r.lease_until_ms = 0;
    }
  }

  void record_failure(Error e) {
    const EngineConfig& cfg = engine().config();
    const std::int64_t now = now_ms();
    std::string message = e.message;
    write_back(
        [this, &cfg, now, message](ConnectionRecord& r) {
          drop_lease(r);
          r.failures += 1;
          r.last_error = message;
          if (r.failures >= cfg.breaker_threshold) {
            int over = std::min(r.failures - cfg.breaker_threshold, 20);
            r.breaker_until_ms = now + std::min<std::int64_t>(cfg.breaker_max_ms, std::int64_t{30000} << over);
          }
        },
        [this, e](bool) {
          // A refresh that fails inside the expiry buffer still leaves a working token.
          if (!force_ && usable(cur_.record, now_ms())) return deliver(false);
          fail(e);
        });
  }

  void release_and_fail(Error e) {
    write_back([this](ConnectionRecord& r) { drop_lease(r); }, [this, e](bool) { fail(e); });
  }

  void mark_needs_reauth(Error e) {
    std::string why = "the provider rejected the refresh token: " +
                      (e.provider_description.empty() ? std::string("invalid_grant") : e.provider_description);
    write_back(
        [this, why](ConnectionRecord& r) {
          r.status = "needs_reauth";
          drop_lease(r);
          r.last_error = why;
        },
        [this, e, why](bool) {
          Error out = reauth_error(ref_, why);
          out.provider_code = e.provider_code;
          out.provider_description = e.provider_description;
          out.http_status = e.http_status;
          fail(out);
        });
  }

  void store_refreshed() {
    Engine& eng = engine();
    std::string k = key();
    TokenSet t = tokens_;
    std::int64_t now = now_ms();
    write_back(
        [&eng, k, t, now](ConnectionRecord& r) {
          seal_tokens(eng, k, t, r);
          r.updated_at_ms = now;
        },
        // Stored or not (the connection vanished or kept changing), the token is valid: hand it over.
        [this](bool) {
          AccessToken out;
          out.access_token = tokens_.access_token;
          out.token_type = tokens_.token_type;
          out.expires_at_ms = tokens_.expires_at_ms;
          out.fresh_until_ms = refresh_due_ms(tokens_.issued_at_ms, tokens_.expires_at_ms,
                                              provider_->expiry_buffer_seconds);
          out.refreshed = true;
          out.extras = tokens_.extras;
          succeed(std::move(out));
        });
  }

  void deliver(bool refreshed) {
    const ConnectionRecord& r = cur_.record;
    auto access = engine().sealer().open(seal_place(key(), "access_token"), r.access_token_sealed);
    if (!access) return fail(access.error());
    AccessToken out;
    out.access_token = std::move(*access);
    out.token_type = r.token_type;
    out.expires_at_ms = r.expires_at_ms;
    out.fresh_until_ms = fresh_until(r, *provider_);
    out.refreshed = refreshed;
    out.extras = r.extras;
    if (!lease_id_.empty() && r.lease_id == lease_id_) {
      // We took the lease but are not refreshing after all: give it back.
      return release_and_fail_or([this, out]() mutable { succeed(std::move(out)); });
    }
    succeed(std::move(out));
  }

  void release_and_fail_or(std::function<void()> then) {
    write_back([this](ConnectionRecord& r) { drop_lease(r); }, [then](bool) { then(); });
  }

  ConnectionRef ref_;
  bool force_;
  std::string refused_;          // the token a 401 refused (plain), when the caller knows it
  std::string replaced_access_;  // sealed: the token a forced op waited on another refresher to replace
  int rounds_ = 0;
  std::int64_t wait_started_ms_ = 0;
  int attempt_ = 0;
  int write_attempts_ = 0;
  std::string lease_id_;
  std::string used_refresh_sealed_;  // the refresh token our lease refreshes with
  std::string used_access_sealed_;   // the access token it trades, for providers whose refresh does
  Versioned cur_;
  const Provider* provider_ = nullptr;
  std::optional<Provider> owned_provider_;  // only for custom or templated providers
  AppRecord app_;
  TokenSet tokens_;
  std::string key_;
};

class ConnectionStatus : public Operation<ConnectionInfo> {
 public:
  ConnectionStatus(Engine& e, ConnectionRef ref) : Operation(e), ref_(std::move(ref)) {}

 private:
  void run() override {
    Steps::connection(*this, ref_, [this](Result<Versioned> v) {
      if (!v) return fail(v.error());
      succeed(connection_info(v->record));
    });
  }

  ConnectionRef ref_;
};

class ListConnections : public Operation<std::vector<ConnectionInfo>> {
 public:
  ListConnections(Engine& e, std::string principal) : Operation(e), principal_(std::move(principal)) {}

 private:
  void run() override {
    Steps::list(*this, connection_prefix(principal_), [this](Result<std::vector<StoreRecord>> r) {
      if (!r) return fail(r.error());
      std::vector<ConnectionInfo> out;
      for (const auto& rec : *r) {
        auto c = connection_from_json(rec.value);
        if (!c) return fail(c.error());
        out.push_back(connection_info(*c));
      }
      succeed(std::move(out));
    });
  }
  std::string principal_;
};

}  // namespace

Error reauth_error(const ConnectionRef& ref, const std::string& why) {
  // The names come from the store's keys, which another writer may have filled with anything.
  const std::string provider = clean(ref.provider), account = clean(ref.account);
  return make_error(ErrorCode::needs_reauth,
                    "the connection to '" + provider + "' (account '" + account +
                        "') needs to be authorized again" + (why.empty() ? "" : " (" + why + ")") +
                        ": run `latchkey connect " + provider +
                        (account == "default" ? "" : " --account " + account) + "`");
}

void save_connection(OperationBase& op, Engine& engine, ConnectionRef ref, std::string grant, StringMap template_values,
                     TokenSet tokens, std::int64_t now_ms, Then<ConnectionInfo> then) {
  auto s = std::make_shared<SaveState>();
  s->engine = &engine;
  s->op = &op;
  s->ref = std::move(ref);
  s->grant = std::move(grant);
  s->template_values = std::move(template_values);
  s->tokens = std::move(tokens);
  s->now_ms = now_ms;
  s->then = std::move(then);
  save_attempt(s);
}

std::unique_ptr<Operation<AccessToken>> make_get_token(Engine& engine, ConnectionRef ref, bool force_refresh,
                                                       std::string refused_access_token) {
  return std::make_unique<GetToken>(engine, std::move(ref), force_refresh, std::move(refused_access_token));
}

}  // namespace latchkey::detail

namespace latchkey {

std::unique_ptr<Operation<AccessToken>> Engine::get_token(ConnectionRef ref, bool force_refresh) {
  return detail::make_get_token(*this, std::move(ref), force_refresh);
}
std::unique_ptr<Operation<ConnectionInfo>> Engine::status(ConnectionRef ref) {
  return std::make_unique<detail::ConnectionStatus>(*this, std::move(ref));
}
std::unique_ptr<Operation<std::vector<ConnectionInfo>>> Engine::list_connections(std::string principal) {
  return std::make_unique<detail::ListConnections>(*this, std::move(principal));
}

}  // namespace latchkey
