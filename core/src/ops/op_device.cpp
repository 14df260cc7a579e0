// The device authorization grant (RFC 8628): ask for a user code (DeviceAuthorize), then poll the
// token endpoint while the user approves on another device (DevicePoll: waiting, or once per
// call). Between the two the pending record in the store holds the sealed device_code, so the
// host only ever carries a handle, and a poll can resume in another process.
#include <algorithm>

#include "authorization.hpp"
#include "client_auth.hpp"
#include "crypto.hpp"
#include "device_authorization.hpp"
#include "ops.hpp"
#include "redaction.hpp"
#include "seal.hpp"

namespace latchkey::detail {
namespace {

Error unknown_handle() {
  return make_error(ErrorCode::invalid_state,
                    "no device sign-in matches this handle (it finished, expired, or was started by another "
                    "latchkey store); start again with `latchkey connect PROVIDER --device`");
}

class DeviceAuthorize : public Operation<DeviceAuthorization> {
 public:
  DeviceAuthorize(Engine& e, DeviceRequest r) : Operation(e), req_(std::move(r)) {}

 private:
  void run() override {
    if (req_.principal.empty()) return fail(make_error(ErrorCode::invalid_request, "a principal is required"));
    if (req_.timeout_ms < 0) return fail(make_error(ErrorCode::invalid_request, "the device sign-in timeout must not be negative"));
    Steps::provider(*this, req_.provider, [this](Result<Provider> p) {
      if (!p) return fail(p.error());
      if (p->auth_mode != AuthMode::oauth2) {
        return fail(make_error(ErrorCode::invalid_request,
                               "'" + p->key + "' does not use OAuth 2.0 sign-ins, so it has no device grant"));
      }
      provider_ = std::move(*p);
      Steps::app(*this, req_.provider, [this](Result<AppRecord> a) {
        if (!a) return fail(a.error());
        ask(std::move(*a));
      });
    });
  }

  void ask(AppRecord app) {
    auto resolved = resolve_for(provider_, app.template_values, req_.template_values);
    if (!resolved) return fail(resolved.error());
    provider_ = std::move(*resolved);
    if (provider_.device_authorization_endpoint.empty()) {
      return fail(make_error(ErrorCode::unsupported,
                             "'" + provider_.key + "' has no device_authorization_endpoint, so it cannot connect "
                             "with a code (RFC 8628); connect it in a browser instead, or add the endpoint to "
                             "the provider (`latchkey providers update`)"));
    }
    auto client = client_credentials_for(engine(), provider_, app, now_ms());
    if (!client) return fail(client.error());
    values_ = app.template_values;
    for (const auto& [k, v] : req_.template_values) values_[k] = v;
    scope_ = requested_scope(provider_, req_.scopes, app);
    Params params;
    if (!scope_.empty()) params.emplace_back("scope", scope_);
    // The client authenticates here exactly as at the token endpoint (RFC 8628 §3.1).
    HttpRequest req = token_request(provider_, provider_.device_authorization_endpoint, *client, std::move(params));
    SentSecrets sent = SentSecrets::of(req);
    Steps::http(*this, std::move(req), [this, sent](Result<HttpResponse> r) {
      if (!r) return fail(r.error());
      auto grant = parse_device_authorization(token_http(std::move(*r)));
      if (!grant) return fail(sent.redact(grant.error()));
      record(std::move(*grant));
    });
  }

  void record(DeviceGrant grant) {
    Drbg& drbg = engine().drbg();
    std::string handle = base64url_encode(drbg.bytes(32));
    key_ = device_key(handle);
    DeviceRecord rec;
    rec.principal = req_.principal;
    rec.provider = req_.provider;
    rec.account = req_.account;
    rec.scope = scope_;
    rec.device_code_sealed = engine().sealer().seal(seal_place(key_, "device_code"), grant.device_code, drbg);
    rec.template_values = values_;
    rec.interval_ms = grant.interval_ms;
    rec.created_at_ms = now_ms();
    // The host's own limit (--timeout) ends the sign-in as the code's expiry would: every poll,
    // waiting or once, then answers alike.
    const std::int64_t lifetime_ms = req_.timeout_ms > 0 ? std::min(grant.lifetime_ms, req_.timeout_ms) : grant.lifetime_ms;
    rec.expires_at_ms = now_ms() + lifetime_ms;
    value_ = to_json(rec);
    result_.handle = std::move(handle);
    result_.user_code = std::move(grant.user_code);
    result_.verification_uri = std::move(grant.verification_uri);
    result_.verification_uri_complete = std::move(grant.verification_uri_complete);
    result_.expires_at_ms = rec.expires_at_ms;
    result_.interval_ms = rec.interval_ms;
    sweep();
  }

  // Abandoned device sign-ins (the host never polled to the end) are removed a few at a time by
  // later ones, as pending authorizations are: the store stays bounded. Then the new one is stored.
  // A finished one leaves only its index entry, which the sweep removes once it expires.
  void sweep() {
    Steps::create_after_sweep(*this, key_, value_, result_.expires_at_ms, now_ms(), [this](Result<std::int64_t> r) {
      if (!r) return fail(r.error());
      succeed(std::move(result_));
    });
  }

  DeviceRequest req_;
  Provider provider_;
  StringMap values_;
  std::string scope_;
  std::string key_;
  std::string value_;
  DeviceAuthorization result_;
};

// Polls for one device sign-in. Waiting (device_poll): waits the interval before every request
// until the user decides. Once (device_poll_once): no waits; asks at most once, only when the
// interval since the last request has passed, and answers pending otherwise — the pacing and
// the hiccup count then live in the record, between the host's calls.
class DevicePoll : public Operation<DevicePollStatus> {
 public:
  DevicePoll(Engine& e, DevicePollRequest r, bool once) : Operation(e), req_(std::move(r)), once_(once) {}

 private:
  // A few hiccups (5xx, 429, a dropped connection) in a row are waited out: the user may be
  // approving right now, and starting over would make them type a new code.
  static constexpr int kMaxHiccups = 3;

  void run() override {
    if (req_.handle.empty()) return fail(make_error(ErrorCode::invalid_request, "a device handle is required"));
    key_ = device_key(req_.handle);
    Steps::get(*this, key_, [this](Result<std::optional<StoreRecord>> r) {
      if (!r) return fail(r.error());
      if (!*r) return fail(unknown_handle());
      auto rec = device_from_json((*r)->value);
      if (!rec) return fail(rec.error());
      // Same answer as an unknown handle: another principal learns nothing about this one.
      if (!req_.principal.empty() && rec->principal != req_.principal) return fail(unknown_handle());
      if (!req_.provider.empty() && rec->provider != req_.provider) return fail(unknown_handle());
      rec_ = std::move(*rec);
      version_ = (*r)->version;
      // Hiccups in a row are counted in rec_.failures: across calls once (it is stored), within
      // this poll when waiting (it starts afresh and is stored only as slow_down clears it).
      if (!once_) rec_.failures = 0;
      load();
    });
  }

  void load() {
    Steps::provider(*this, rec_.provider, [this](Result<Provider> p) {
      if (!p) return fail(p.error());
      auto resolved = resolve_for(*p, rec_.template_values, {});
      if (!resolved) return fail(resolved.error());
      provider_ = std::move(*resolved);
      Steps::app(*this, rec_.provider, [this](Result<AppRecord> a) {
        if (!a) return fail(a.error());
        // Checked now, so a bad key fails before the first wait rather than after it.
        if (auto client = client_credentials_for(engine(), provider_, *a, now_ms()); !client) return fail(client.error());
        app_ = std::move(*a);
        auto code = engine().sealer().open(seal_place(key_, "device_code"), rec_.device_code_sealed);
        if (!code) return fail(code.error());
        device_code_ = std::move(*code);
        if (once_) return claim();
        wait();
      });
    });
  }

  // RFC 8628 §3.5: wait `interval` before every request, including the first (the user has
  // only just been shown the code), and stop once the code has expired.
  void wait() {
    if (now_ms() >= rec_.expires_at_ms) return expired();
    // Not past the end: a short --timeout must not be overslept by a long interval.
    Steps::wait_until(*this, std::min(now_ms() + rec_.interval_ms, rec_.expires_at_ms), [this] {
      if (now_ms() >= rec_.expires_at_ms) return expired();
      poll();
    });
  }

  // Once: the same pace without a wait. Not due yet → pending, from the store alone. Due → the
  // record is claimed (last_poll_at_ms, compare-and-swap) before the request, so of two hosts
  // polling the same handle at once only one asks the provider: no slow_down earned by racing.
  void claim() {
    if (now_ms() >= rec_.expires_at_ms) return expired();
    const std::int64_t due = std::max(rec_.created_at_ms, rec_.last_poll_at_ms) + rec_.interval_ms;
    if (now_ms() < due) return pending(due);
    rec_.last_poll_at_ms = now_ms();
    Steps::cas(*this, key_, to_json(rec_), version_, [this](Result<std::int64_t> r) {
      if (!r) {
        if (r.error().code == ErrorCode::conflict) return pending(now_ms() + rec_.interval_ms);  // another poll is asking
        return fail(r.error());
      }
      version_ = *r;
      poll();
    });
  }

  /// "Not yet": wait and ask again, or (once) say when to.
  void again() {
    if (!once_) return wait();
    pending(rec_.last_poll_at_ms + rec_.interval_ms);
  }

  void pending(std::int64_t next_poll_at_ms) {
    DevicePollStatus s;
    s.pending = true;
    s.interval_ms = rec_.interval_ms;
    s.next_poll_at_ms = next_poll_at_ms;
    s.expires_at_ms = rec_.expires_at_ms;
    succeed(std::move(s));
  }

  void poll() {
    // Built per poll: a private_key_jwt assertion is good for one request only.
    auto client = client_credentials_for(engine(), provider_, app_, now_ms());
    if (!client) return stop(client.error());
    Params grant = {{"grant_type", kDeviceCodeGrant}, {"device_code", device_code_}};
    HttpRequest req = token_request(provider_, provider_.token_endpoint, *client, std::move(grant));
    sent_ = SentSecrets::of(req);
    Steps::http(*this, std::move(req), [this](Result<HttpResponse> r) {
      if (!r) return hiccup(r.error());
      auto tokens = parse_token_response(token_http(std::move(*r)), provider_.token_response, now_ms(), rec_.scope);
      switch (poll_verdict(tokens)) {
        case PollVerdict::approved:
          tokens_ = std::move(*tokens);
          return finish([this] { approved(); });
        case PollVerdict::pending:
          return not_yet();
        case PollVerdict::slow_down:
          return slow_down();
        case PollVerdict::retry:
          return hiccup(tokens.error());
        case PollVerdict::denied:
          return finish([this, e = tokens.error()] { denied(e); });
        case PollVerdict::expired:
          return expired();
        case PollVerdict::failed:
          return finish([this, e = tokens.error()] { stop(e); });
      }
    });
  }

  // An answer: hiccups before it no longer count as "in a row".
  void not_yet() {
    if (rec_.failures == 0) return again();
    rec_.failures = 0;
    if (!once_) return again();
    keep([this] { again(); });
  }

  void hiccup(Error e) {
    const bool give_up = ++rec_.failures > kMaxHiccups;
    if (give_up) rec_.failures = 0;  // the record stays: a later poll may resume, counting afresh
    if (!once_) return give_up ? stop(std::move(e)) : wait();
    keep([this, give_up, e = std::move(e)] { give_up ? stop(e) : again(); });
  }

  /// Fails with `e` after taking the device code, and every other secret the poll sent (the
  /// client's credentials), out of the provider's words: a server that echoes them in an
  /// error_description must not put a live secret into logs.
  void stop(Error e) {
    auto scrub = [this](std::string& text) {
      if (device_code_.empty()) return;
      for (auto at = text.find(device_code_); at != std::string::npos; at = text.find(device_code_, at)) {
        text.replace(at, device_code_.size(), "[device code]");
      }
    };
    scrub(e.message);
    scrub(e.provider_description);
    scrub(e.provider_code);
    fail(sent_.redact(std::move(e)));
  }

  // The longer interval is kept in the record too, so a poll resumed elsewhere honours it.
  void slow_down() {
    rec_.failures = 0;
    rec_.interval_ms = std::min(rec_.interval_ms + kSlowDownStepMs, kMaxIntervalMs);
    keep([this] { again(); });
  }

  /// Writes rec_ back, then continues. A conflict only means another poller touched it: this
  /// one keeps its own view.
  void keep(std::function<void()> next) {
    Steps::cas(*this, key_, to_json(rec_), version_, [this, next = std::move(next)](Result<std::int64_t> r) {
      if (r) version_ = *r;
      else if (r.error().code != ErrorCode::conflict) return fail(r.error());
      next();
    });
  }

  /// Removes the record (the device code is spent either way), then continues.
  void finish(std::function<void()> next) {
    Steps::remove(*this, key_, 0, [next](Result<bool>) { next(); });
  }

  void expired() {
    finish([this] {
      fail(make_error(ErrorCode::state_expired,
                      "the sign-in was not approved before its code expired (or the time allowed ran out); "
                      "start again with `latchkey connect " + rec_.provider +
                          " --device` and enter the new code sooner"));
    });
  }

  void denied(Error e) {
    e.code = ErrorCode::provider_error;
    e.message = "the sign-in was denied at the provider (access_denied)";
    if (!e.provider_description.empty()) e.message += ": " + e.provider_description;
    e.message += "; start again with `latchkey connect " + rec_.provider + " --device` if this was not intended";
    stop(std::move(e));
  }

  void approved() {
    if (!rec_.account.empty()) return save(rec_.account);
    identify_account(*this, provider_, tokens_, [this](std::string name) { save(name); });
  }

  void save(const std::string& account) {
    ConnectionRef ref{rec_.principal, rec_.provider, account};
    save_connection(*this, engine(), ref, "device_code", rec_.template_values, std::move(tokens_), now_ms(),
                    [this](Result<ConnectionInfo> c) {
                      if (!c) return fail(c.error());
                      DevicePollStatus s;
                      s.connection = std::move(*c);
                      s.interval_ms = rec_.interval_ms;
                      s.expires_at_ms = rec_.expires_at_ms;
                      succeed(std::move(s));
                    });
  }

  DevicePollRequest req_;
  const bool once_;
  std::string key_;
  DeviceRecord rec_;
  std::int64_t version_ = 0;
  Provider provider_;
  AppRecord app_;
  std::string device_code_;
  SentSecrets sent_;  ///< What the last poll sent.
  TokenSet tokens_;
};

/// device_poll: the waiting DevicePoll, whose only success is the connection.
class DevicePollWaiting : public Operation<ConnectionInfo> {
 public:
  DevicePollWaiting(Engine& e, DevicePollRequest r) : Operation(e), req_(std::move(r)) {}

 private:
  void run() override {
    poll_ = std::make_shared<DevicePoll>(engine(), std::move(req_), false);
    delegate(poll_, [this] {
      const auto& r = poll_->result();
      if (!r) return fail(r.error());
      succeed(r->connection);
    });
  }

  DevicePollRequest req_;
  std::shared_ptr<DevicePoll> poll_;
};

}  // namespace

}  // namespace latchkey::detail

namespace latchkey {

std::unique_ptr<Operation<DeviceAuthorization>> Engine::device_authorize(DeviceRequest request) {
  return std::make_unique<detail::DeviceAuthorize>(*this, std::move(request));
}
std::unique_ptr<Operation<ConnectionInfo>> Engine::device_poll(DevicePollRequest request) {
  return std::make_unique<detail::DevicePollWaiting>(*this, std::move(request));
}
std::unique_ptr<Operation<DevicePollStatus>> Engine::device_poll_once(DevicePollRequest request) {
  return std::make_unique<detail::DevicePoll>(*this, std::move(request), true);
}

}  // namespace latchkey
