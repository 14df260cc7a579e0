// The device authorization grant (RFC 8628), driven by scripted effects: the code request, the
// polling loop's answers (pending, slow_down, denied, expired, hiccups), and what is stored.
#include <gtest/gtest.h>

#include <deque>

#include "device_authorization.hpp"
#include "records.hpp"
#include "steps.hpp"
#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::AcmeTest;
using testing::form_fields;
using testing::respond;
using testing::transport_failure;

constexpr const char* kDeviceCode = "DC-very-secret-device-code";
constexpr const char* kDeviceEndpoint = "https://auth.acme.test/device";
constexpr const char* kTokenEndpoint = "https://auth.acme.test/token";

std::string device_answer(int expires_in = 600, int interval = 5) {
  return std::string("{\"device_code\":\"") + kDeviceCode +
         "\",\"user_code\":\"WDJB-MJHT\",\"verification_uri\":\"https://auth.acme.test/device\","
         "\"verification_uri_complete\":\"https://auth.acme.test/device?user_code=WDJB-MJHT\",\"expires_in\":" +
         std::to_string(expires_in) + ",\"interval\":" + std::to_string(interval) + "}";
}

EffectResult oauth_error(const std::string& code, const std::string& description = "") {
  std::string body = "{\"error\":\"" + code + "\"";
  if (!description.empty()) body += ",\"error_description\":\"" + description + "\"";
  return respond(400, body + "}");
}

EffectResult tokens() {
  return respond(200, R"({"access_token":"A1","token_type":"Bearer","expires_in":3600,"refresh_token":"R1","scope":"read"})");
}

struct Device : AcmeTest {
  void SetUp() override {
    AcmeTest::SetUp();
    std::string def = testing::kAcmeProvider;
    const std::string anchor = "\"token_endpoint\":";
    def.insert(def.find(anchor), std::string("\"device_authorization_endpoint\": \"") + kDeviceEndpoint + "\",\n  ");
    auto p = host.run(engine->update_provider(def));
    ASSERT_TRUE(p.ok()) << p.error().message;
    // The device endpoint answers `device`; the token endpoint answers from `polls`, in order.
    host.http = [this](const HttpRequest& r) -> EffectResult {
      if (r.url == kDeviceEndpoint) return device;
      if (r.url == kTokenEndpoint && !polls.empty()) {
        EffectResult next = polls.front();
        polls.pop_front();
        return next;
      }
      return transport_failure("unexpected request to " + r.url);
    };
  }

  Result<DeviceAuthorization> start(const std::string& principal = "alice") {
    DeviceRequest r;
    r.principal = principal;
    r.provider = "acme";
    return host.run(engine->device_authorize(r));
  }

  Result<ConnectionInfo> poll(const std::string& handle, const std::string& principal = "alice") {
    return host.run(engine->device_poll({principal, handle}));
  }

  /// Token endpoint calls made so far.
  std::vector<HttpRequest> token_calls() const {
    std::vector<HttpRequest> out;
    for (const auto& c : host.calls) {
      if (c.url == kTokenEndpoint) out.push_back(c);
    }
    return out;
  }

  bool stored_anywhere(const std::string& text) const {
    for (const auto& [key, rec] : host.store.records) {
      if (rec.value.find(text) != std::string::npos) return true;
    }
    return false;
  }

  std::size_t device_records() const {
    std::size_t n = 0;
    for (const auto& [key, rec] : host.store.records) n += key.rfind("device/", 0) == 0;
    return n;
  }

  /// Starts, scripts the polls, polls to the end; checks the device code stays out of the error.
  Result<ConnectionInfo> flow(std::deque<EffectResult> answers) {
    auto s = start();
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    if (!s.ok()) return s.error();
    host.sleeps.clear();
    polls = std::move(answers);
    auto c = poll(s->handle);
    if (!c.ok()) {
      EXPECT_EQ(c.error().message.find(kDeviceCode), std::string::npos) << c.error().message;
      EXPECT_EQ(c.error().provider_description.find(kDeviceCode), std::string::npos);
    }
    return c;
  }

  EffectResult device = respond(200, device_answer());
  std::deque<EffectResult> polls;
};

TEST_F(Device, StartAsksForACodeWithClientAuthAndScopes) {
  auto s = start();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->user_code, "WDJB-MJHT");
  EXPECT_EQ(s->verification_uri, "https://auth.acme.test/device");
  EXPECT_EQ(s->verification_uri_complete, "https://auth.acme.test/device?user_code=WDJB-MJHT");
  EXPECT_EQ(s->expires_at_ms, host.now_ms + 600 * 1000);
  EXPECT_EQ(s->interval_ms, 5000);
  EXPECT_GE(s->handle.size(), 43u);
  ASSERT_EQ(host.calls.size(), 1u);
  const HttpRequest& req = host.calls[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_FALSE(req.follow_redirects);
  auto body = form_fields(req.body);
  EXPECT_EQ(body["scope"], "read");
  EXPECT_EQ(body.count("client_secret"), 0u);
  const std::string* auth = detail::find_header(req.headers, "authorization");
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->rfind("Basic ", 0), 0u);
  // The handle is all the host gets; the device code is only in the store, sealed.
  EXPECT_EQ(s->handle.find(kDeviceCode), std::string::npos);
  EXPECT_FALSE(stored_anywhere(kDeviceCode));
  EXPECT_EQ(device_records(), 1u);
}

TEST_F(Device, PendingPendingSlowDownThenApproved) {
  auto c = flow({oauth_error("authorization_pending"), oauth_error("authorization_pending"),
                 oauth_error("slow_down"), tokens()});
  ASSERT_TRUE(c.ok()) << c.error().message;
  // Every request waits the interval first; after slow_down it is 5 s longer (RFC 8628 §3.5).
  EXPECT_EQ(host.sleeps, (std::vector<std::int64_t>{5000, 5000, 5000, 10000}));
  auto calls = token_calls();
  ASSERT_EQ(calls.size(), 4u);
  auto body = form_fields(calls[0].body);
  EXPECT_EQ(body["grant_type"], "urn:ietf:params:oauth:grant-type:device_code");
  EXPECT_EQ(body["device_code"], kDeviceCode);
  EXPECT_NE(detail::find_header(calls[0].headers, "authorization"), nullptr);
  // Stored like any connection: sealed tokens, scope, account, and it refreshes.
  EXPECT_EQ(c->grant, "device_code");
  EXPECT_EQ(c->account, "default");
  EXPECT_EQ(c->scope, "read");
  EXPECT_TRUE(c->has_refresh_token);
  EXPECT_FALSE(stored_anywhere("\"A1\""));
  EXPECT_EQ(device_records(), 0u);
  auto t = host.run(engine->get_token({"alice", "acme", "default"}));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "A1");
  host.now_ms += 3600 * 1000;
  polls = {respond(200, R"({"access_token":"A2","token_type":"Bearer","expires_in":3600})")};
  auto refreshed = host.run(engine->get_token({"alice", "acme", "default"}));
  ASSERT_TRUE(refreshed.ok()) << refreshed.error().message;
  EXPECT_EQ(refreshed->access_token, "A2");
  EXPECT_EQ(form_fields(token_calls().back().body)["grant_type"], "refresh_token");
}

// A master key rotation during a sign-in: reseal re-seals the waiting device code too, so the
// old key can be dropped without breaking the poll.
TEST_F(Device, ResealCoversWaitingDeviceCodes) {
  auto s = start();
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto r = host.run(testing::make_rotated_engine()->reseal());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->failed, 0);
  for (const auto& [key, rec] : host.store.records) EXPECT_EQ(rec.value.find("\"lk1.1."), std::string::npos) << key;
  engine = testing::make_rotated_engine(false);
  polls = {tokens()};
  auto c = poll(s->handle);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(form_fields(token_calls().back().body)["device_code"], kDeviceCode);
}

TEST_F(Device, SlowDownAddsUpAndIsKeptForALaterPoll) {
  auto s = start();
  ASSERT_TRUE(s.ok());
  host.sleeps.clear();
  // Two slow_downs, then a transport failure four times: this poll gives up...
  polls = {oauth_error("slow_down"), oauth_error("slow_down"), transport_failure("reset"), transport_failure("reset"),
           transport_failure("reset"), transport_failure("reset")};
  auto first = poll(s->handle);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, ErrorCode::transport);
  EXPECT_EQ(host.sleeps, (std::vector<std::int64_t>{5000, 10000, 15000, 15000, 15000, 15000}));
  // ...and the next one resumes at the slower interval.
  host.sleeps.clear();
  polls = {tokens()};
  ASSERT_TRUE(poll(s->handle).ok());
  EXPECT_EQ(host.sleeps, std::vector<std::int64_t>{15000});
}

TEST_F(Device, ServerHiccupsAreWaitedOut) {
  auto c = flow({respond(503, "<html>busy</html>", "text/html"), transport_failure("timeout"),
                 respond(429, ""), tokens()});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(token_calls().size(), 4u);
}

TEST_F(Device, AccessDenied) {
  auto c = flow({oauth_error("authorization_pending"), oauth_error("access_denied", "End-User denied the request")});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::provider_error);
  EXPECT_EQ(c.error().provider_code, "access_denied");
  EXPECT_NE(c.error().message.find("denied"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("--device"), std::string::npos) << c.error().message;
  EXPECT_EQ(device_records(), 0u);
  EXPECT_TRUE(host.store.records.count(detail::connection_key({"alice", "acme", "default"})) == 0);
}

TEST_F(Device, ExpiredToken) {
  auto c = flow({oauth_error("expired_token")});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::state_expired);
  EXPECT_NE(c.error().message.find("expired"), std::string::npos);
  EXPECT_NE(c.error().message.find("start again"), std::string::npos);
  EXPECT_EQ(device_records(), 0u);
}

TEST_F(Device, StopsAtExpiresInWithoutAskingAgain) {
  device = respond(200, device_answer(12, 5));
  auto c = flow({oauth_error("authorization_pending"), oauth_error("authorization_pending"),
                 oauth_error("authorization_pending"), oauth_error("authorization_pending")});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::state_expired);
  // Polls at 5 s and 10 s; at 15 s the code is dead, so no third request.
  EXPECT_EQ(token_calls().size(), 2u);
  EXPECT_EQ(device_records(), 0u);
  // A finished handle is gone.
  auto again = poll("whatever");
  EXPECT_EQ(again.error().code, ErrorCode::invalid_state);
}

// The host's own limit (connect --device --timeout 3) ends the sign-in as the code's expiry
// would: at 3 s, however long the code lives and however long the interval is.
// Each wait is a deadline in the host's clock: the interval from when the poll looked, never past
// the code's end; a host that resumes early is asked for the same deadline again, no request made.
TEST_F(Device, WaitsAreDeadlinesAtTheIntervalAndNeverPastTheEnd) {
  DeviceRequest r;
  r.principal = "alice";
  r.provider = "acme";
  r.timeout_ms = 12000;
  const std::int64_t t0 = host.now_ms;
  auto s = host.run(engine->device_authorize(r));
  ASSERT_TRUE(s.ok()) << s.error().message;
  polls = {oauth_error("authorization_pending"), oauth_error("authorization_pending")};
  auto op = engine->device_poll({"alice", s->handle});
  const Effect* e = op->start(host.now_ms);
  while (e && e->kind != EffectKind::wait) {
    const EffectResult r = host.perform(*e);
    e = op->resume(r, host.now_ms);
  }
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->until_ms, t0 + 5000);
  e = op->resume({}, t0 + 4999);  // a timer a millisecond early
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EffectKind::wait);
  EXPECT_EQ(e->until_ms, t0 + 5000);
  EXPECT_TRUE(token_calls().empty());
  host.sleeps.clear();
  host.deadlines.clear();
  while (e) {
    const EffectResult r = host.perform(*e);  // first: a wait moves the clock to its deadline
    e = op->resume(r, host.now_ms);
  }
  ASSERT_FALSE(op->result().ok());
  EXPECT_EQ(op->result().error().code, ErrorCode::state_expired);
  // 5 s (the interval), 10 s, then 12 s: the end, not 15 s. Two requests, at 5 s and 10 s.
  EXPECT_EQ(host.deadlines, (std::vector<std::int64_t>{t0 + 5000, t0 + 10000, t0 + 12000}));
  EXPECT_EQ(token_calls().size(), 2u);
}

TEST_F(Device, ATimeoutEndsTheSignInAsExpiryDoes) {
  device = respond(200, device_answer(600, 1));
  DeviceRequest r;
  r.principal = "alice";
  r.provider = "acme";
  r.timeout_ms = 3000;
  const std::int64_t started = host.now_ms;
  auto s = host.run(engine->device_authorize(r));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->expires_at_ms, started + 3000);
  host.sleeps.clear();
  polls = {oauth_error("authorization_pending"), oauth_error("authorization_pending"), oauth_error("authorization_pending"),
           oauth_error("authorization_pending")};
  auto c = poll(s->handle);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::state_expired);
  EXPECT_NE(c.error().message.find("start again"), std::string::npos) << c.error().message;
  EXPECT_EQ(host.slept_ms(), 3000);
  EXPECT_EQ(token_calls().size(), 2u);  // at 1 s and 2 s; at 3 s the time allowed is over
  EXPECT_EQ(device_records(), 0u);

  // A long interval is not overslept: with 5 s between polls, a 3 s limit still ends at 3 s.
  device = respond(200, device_answer(600, 5));
  auto slow = host.run(engine->device_authorize(r));
  ASSERT_TRUE(slow.ok());
  host.sleeps.clear();
  auto ended = poll(slow->handle);
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.error().code, ErrorCode::state_expired);
  EXPECT_EQ(host.slept_ms(), 3000);

  // A poll once after the limit answers the same.
  auto once = host.run(engine->device_authorize(r));
  ASSERT_TRUE(once.ok());
  host.now_ms += 3000;
  EXPECT_EQ(host.run(engine->device_poll_once({"alice", once->handle})).error().code, ErrorCode::state_expired);

  // A limit longer than the code's life changes nothing; a negative one is refused.
  r.timeout_ms = 3600 * 1000;
  auto longer = host.run(engine->device_authorize(r));
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(longer->expires_at_ms, host.now_ms + 600 * 1000);
  r.timeout_ms = -1;
  EXPECT_EQ(host.run(engine->device_authorize(r)).error().code, ErrorCode::invalid_request);
}

TEST_F(Device, MalformedPollAnswersStop) {
  auto html = flow({respond(200, "<!DOCTYPE html><html>login</html>", "text/html")});
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.error().code, ErrorCode::malformed_response);
  auto garbage = flow({respond(200, "{\"access_token\": ")});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, ErrorCode::malformed_response);
  auto other = flow({oauth_error("invalid_client")});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::provider_error);
  EXPECT_EQ(device_records(), 0u);
}

TEST_F(Device, DeviceCodeEchoedByTheServerIsScrubbed) {
  auto c = flow({oauth_error("invalid_grant", std::string("device code ") + kDeviceCode + " is unknown")});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().provider_description.find("[device code]"), std::string::npos)
      << c.error().provider_description;
  auto d = flow({oauth_error("access_denied", std::string("no to ") + kDeviceCode)});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message.find(kDeviceCode), std::string::npos);
}

TEST_F(Device, MalformedDeviceAuthorizationAnswers) {
  struct Case {
    EffectResult answer;
    ErrorCode code;
  };
  std::vector<Case> cases = {
      {respond(200, "{\"device_code\": \"x\", "), ErrorCode::malformed_response},
      {respond(200, "<html><body>Sign in</body></html>", "text/html"), ErrorCode::malformed_response},
      {respond(200, "[]"), ErrorCode::malformed_response},
      {respond(200, R"({"user_code":"A","verification_uri":"https://a.test/d","expires_in":60})"),
       ErrorCode::malformed_response},
      {respond(200, R"({"device_code":"d","verification_uri":"https://a.test/d","expires_in":60})"),
       ErrorCode::malformed_response},
      {respond(200, R"({"device_code":"d","user_code":"A\u001b[2J","verification_uri":"https://a.test/d"})"),
       ErrorCode::malformed_response},
      {respond(200, R"({"device_code":"d","user_code":"A","verification_uri":"http://evil.test/d"})"),
       ErrorCode::malformed_response},
      {respond(200, R"({"device_code":"d","user_code":"A","verification_uri":"https://a.test/d","expires_in":"soon"})"),
       ErrorCode::malformed_response},
      {respond(400, R"({"error":"unauthorized_client"})"), ErrorCode::provider_error},
      {respond(500, "<html>oops</html>", "text/html"), ErrorCode::malformed_response},
  };
  for (const auto& c : cases) {
    device = c.answer;
    auto s = start();
    ASSERT_FALSE(s.ok()) << c.answer.response.body;
    EXPECT_EQ(s.error().code, c.code) << c.answer.response.body << ": " << s.error().message;
  }
  EXPECT_EQ(device_records(), 0u);
}

TEST_F(Device, GoogleSpellingAndDefaults) {
  device = respond(200, R"({"device_code":"d","user_code":"ABC-DEF","verification_url":"https://www.google.com/device"})");
  auto s = start();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->verification_uri, "https://www.google.com/device");
  EXPECT_EQ(s->verification_uri_complete, "");
  EXPECT_EQ(s->interval_ms, 5000);
  EXPECT_EQ(s->expires_at_ms, host.now_ms + 15 * 60 * 1000);
  device = respond(200, R"({"device_code":"d","user_code":"A","verification_uri":"https://a.test/d","interval":0})");
  auto fast = start();
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ(fast->interval_ms, 1000);  // never a busy loop
}

// expires_in and interval are read as a token response's expires_in is: an integral JSON number
// (900.0) and a quoted one ("7") are whole numbers of seconds; a fraction is not.
TEST_F(Device, WholeNumbersInAnyFormTheTokenEndpointMayUse) {
  device = respond(
      200, R"({"device_code":"d","user_code":"A","verification_uri":"https://a.test/d","expires_in":900.0,"interval":"7"})");
  auto s = start();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->expires_at_ms, host.now_ms + 900 * 1000);
  EXPECT_EQ(s->interval_ms, 7000);
  device = respond(200, R"({"device_code":"d","user_code":"A","verification_uri":"https://a.test/d","expires_in":900.5})");
  auto fraction = start();
  ASSERT_FALSE(fraction.ok());
  EXPECT_EQ(fraction.error().code, ErrorCode::malformed_response);
}

TEST_F(Device, HandleBelongsToItsPrincipal) {
  auto s = start("alice");
  ASSERT_TRUE(s.ok());
  polls = {tokens()};
  auto other = poll(s->handle, "mallory");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::invalid_state);
  EXPECT_TRUE(token_calls().empty());
  EXPECT_EQ(poll("no-such-handle").error().code, ErrorCode::invalid_state);
  auto mine = poll(s->handle, "");  // empty principal: the handle is the proof
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  EXPECT_EQ(mine->principal, "alice");
}

TEST_F(Device, ProviderWithoutDeviceEndpoint) {
  // An update names what changes: the device endpoint, removed.
  auto p = host.run(engine->update_provider(R"({"key": "acme", "device_authorization_endpoint": null})"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(p->provider.device_authorization_endpoint.empty());
  auto s = start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::unsupported);
  EXPECT_NE(s.error().message.find("device_authorization_endpoint"), std::string::npos);
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(Device, ExpiredRecordsAreSweptByLaterStarts) {
  ASSERT_TRUE(start().ok());
  host.now_ms += 601 * 1000;
  ASSERT_TRUE(start().ok());
  EXPECT_EQ(device_records(), 1u);
}

// device_poll_once: what a gateway calls per request, holding nothing while the user decides.

Result<DevicePollStatus> poll_once(testing::FakeHost& host, Engine& engine, const std::string& handle) {
  return host.run(engine.device_poll_once({"alice", handle, "acme"}));
}

TEST_F(Device, OnceAsksAtMostOncePerIntervalAndNeverSleeps) {
  auto s = start();
  ASSERT_TRUE(s.ok()) << s.error().message;
  const std::int64_t t0 = host.now_ms;
  // Just shown the code: not due, so not asked (RFC 8628 §3.5), and nothing written.
  host.calls.clear();
  auto first = poll_once(host, *engine, s->handle);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->pending);
  EXPECT_EQ(first->next_poll_at_ms, t0 + 5000);
  EXPECT_EQ(first->interval_ms, 5000);
  EXPECT_EQ(first->expires_at_ms, s->expires_at_ms);
  EXPECT_TRUE(host.calls.empty());

  host.now_ms = t0 + 5000;
  polls = {oauth_error("authorization_pending")};
  auto second = poll_once(host, *engine, s->handle);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->pending);
  EXPECT_EQ(second->next_poll_at_ms, t0 + 10000);
  EXPECT_EQ(token_calls().size(), 1u);
  // Asked again too soon (a client polling in a loop): answered from the store alone.
  host.now_ms = t0 + 9999;
  EXPECT_TRUE(poll_once(host, *engine, s->handle)->pending);
  EXPECT_EQ(token_calls().size(), 1u);

  host.now_ms = t0 + 10000;
  polls = {oauth_error("slow_down")};
  auto slowed = poll_once(host, *engine, s->handle);
  ASSERT_TRUE(slowed.ok());
  EXPECT_EQ(slowed->interval_ms, 10000);  // 5 s more, kept for every later poll
  EXPECT_EQ(slowed->next_poll_at_ms, t0 + 20000);
  host.now_ms = t0 + 15000;
  EXPECT_TRUE(poll_once(host, *engine, s->handle)->pending);
  EXPECT_EQ(token_calls().size(), 2u);

  host.now_ms = t0 + 20000;
  polls = {tokens()};
  auto done = poll_once(host, *engine, s->handle);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_FALSE(done->pending);
  EXPECT_EQ(done->connection.grant, "device_code");
  EXPECT_EQ(done->connection.principal, "alice");
  EXPECT_EQ(token_calls().size(), 3u);
  EXPECT_TRUE(host.sleeps.empty());
  EXPECT_EQ(device_records(), 0u);
  EXPECT_FALSE(stored_anywhere("\"A1\""));
  EXPECT_EQ(poll_once(host, *engine, s->handle).error().code, ErrorCode::invalid_state);  // spent
}

TEST_F(Device, OnceCountsHiccupsAcrossCallsAndAnAnswerResetsThem) {
  auto s = start();
  ASSERT_TRUE(s.ok());
  auto at = [&](int n) { host.now_ms = s->expires_at_ms - 600 * 1000 + n * 5000; };
  // Hiccup, an answer, then three hiccups: still pending (the answer reset the count).
  int n = 1;
  for (const EffectResult& r : {transport_failure("reset"), oauth_error("authorization_pending"), respond(503, "{}"),
                                transport_failure("reset"), respond(429, "{}")}) {
    at(n++);
    polls = {r};
    auto p = poll_once(host, *engine, s->handle);
    ASSERT_TRUE(p.ok()) << n << ": " << p.error().message;
    EXPECT_TRUE(p->pending);
  }
  // A fourth in a row is reported; the record stays, so the next poll resumes afresh.
  at(n++);
  polls = {transport_failure("reset")};
  auto failed = poll_once(host, *engine, s->handle);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::transport);
  EXPECT_EQ(device_records(), 1u);
  at(n++);
  polls = {transport_failure("reset")};
  EXPECT_TRUE(poll_once(host, *engine, s->handle)->pending);
  at(n++);
  polls = {tokens()};
  auto done = poll_once(host, *engine, s->handle);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_FALSE(done->pending);
  EXPECT_EQ(token_calls().size(), static_cast<std::size_t>(n - 1));
}

// The waiting poll counts hiccups in a row as the once poll does: an answer resets the count,
// and hiccups once-polls left in the record are theirs, not this poll's.
TEST_F(Device, WaitingCountsItsOwnHiccupsInARow) {
  auto s = start();
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 2; ++i) {
    host.now_ms += 5000;
    polls = {transport_failure("reset")};
    auto p = poll_once(host, *engine, s->handle);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_TRUE(p->pending);
  }
  polls = {transport_failure("reset"), transport_failure("reset"), transport_failure("reset"),
           oauth_error("authorization_pending"), transport_failure("reset"), transport_failure("reset"),
           transport_failure("reset"), tokens()};
  auto c = poll(s->handle);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(polls.empty());
}

TEST_F(Device, OnceEndsAsTheWaitingPollDoes) {
  auto s = start();
  ASSERT_TRUE(s.ok());
  host.now_ms += 5000;
  polls = {oauth_error("access_denied", "no thanks")};
  auto denied = poll_once(host, *engine, s->handle);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::provider_error);
  EXPECT_EQ(denied.error().provider_code, "access_denied");
  EXPECT_EQ(device_records(), 0u);

  auto late = start();
  ASSERT_TRUE(late.ok());
  host.now_ms = late->expires_at_ms;
  auto expired = poll_once(host, *engine, late->handle);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::state_expired);
  // Another principal's (or provider's) handle is unknown, as for the waiting poll.
  auto other = start();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(host.run(engine->device_poll_once({"bob", other->handle, "acme"})).error().code, ErrorCode::invalid_state);
  EXPECT_EQ(host.run(engine->device_poll_once({"alice", other->handle, "github"})).error().code, ErrorCode::invalid_state);
}

// Two hosts polling the same handle at the same moment: the record is claimed before the
// request, so the provider is asked once (racing polls would earn a slow_down).
TEST_F(Device, OnceConcurrentPollsAskTheProviderOnce) {
  auto s = start();
  ASSERT_TRUE(s.ok());
  host.now_ms += 5000;
  polls = {oauth_error("authorization_pending"), oauth_error("authorization_pending")};
  auto a = engine->device_poll_once({"alice", s->handle, "acme"});
  auto b = engine->device_poll_once({"alice", s->handle, "acme"});
  const Effect* ea = a->start(host.now_ms);
  const Effect* eb = b->start(host.now_ms);
  // Both read the record before either claims it.
  ASSERT_EQ(ea->kind, EffectKind::store_get);
  ASSERT_EQ(eb->kind, EffectKind::store_get);
  ea = a->resume(host.perform(*ea), host.now_ms);
  eb = b->resume(host.perform(*eb), host.now_ms);
  while (ea && ea->kind != EffectKind::http) ea = a->resume(host.perform(*ea), host.now_ms);
  ASSERT_NE(ea, nullptr);  // a claimed it and is asking
  while (eb) eb = b->resume(host.perform(*eb), host.now_ms);
  ASSERT_TRUE(b->result().ok()) << b->result().error().message;
  EXPECT_TRUE(b->result()->pending);  // b lost the claim: "not yet", without a request
  while (ea) ea = a->resume(host.perform(*ea), host.now_ms);
  ASSERT_TRUE(a->result().ok());
  EXPECT_TRUE(a->result()->pending);
  EXPECT_EQ(token_calls().size(), 1u);
}

TEST(DeviceVerdict, Classification) {
  using detail::poll_verdict;
  using detail::PollVerdict;
  auto err = [](std::string code, int status) {
    Error e = make_error(ErrorCode::provider_error, "x");
    e.provider_code = std::move(code);
    e.http_status = status;
    return Result<TokenSet>(e);
  };
  EXPECT_EQ(poll_verdict(TokenSet{}), PollVerdict::approved);
  EXPECT_EQ(poll_verdict(err("authorization_pending", 400)), PollVerdict::pending);
  EXPECT_EQ(poll_verdict(err("slow_down", 400)), PollVerdict::slow_down);
  EXPECT_EQ(poll_verdict(err("access_denied", 400)), PollVerdict::denied);
  EXPECT_EQ(poll_verdict(err("expired_token", 400)), PollVerdict::expired);
  EXPECT_EQ(poll_verdict(err("", 502)), PollVerdict::retry);
  EXPECT_EQ(poll_verdict(err("", 400)), PollVerdict::failed);
  EXPECT_EQ(poll_verdict(err("invalid_grant", 400)), PollVerdict::failed);
}

}  // namespace
}  // namespace latchkey
