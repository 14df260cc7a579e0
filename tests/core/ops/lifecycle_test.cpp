// The token lifecycle: refresh, rotation, single-flight, failures, client credentials,
// revocation and signing — driven by scripted effects.
#include <gtest/gtest.h>

#include "records.hpp"
#include "results_json.hpp"
#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::AcmeTest;
using testing::form_fields;
using testing::respond;

struct Lifecycle : AcmeTest {
  Result<AccessToken> token(bool force = false) { return host.run(engine->get_token(ref, force)); }
  void expire() { host.now_ms += 3600 * 1000 - 30 * 1000; }  // inside the 60 s buffer
};

TEST_F(Lifecycle, FreshTokenNeedsNoHttp) {
  connect();
  host.calls.clear();
  auto t = token();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "A1");
  EXPECT_FALSE(t->refreshed);
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(Lifecycle, RefreshInsideBufferRotatesTokens) {
  connect();
  host.calls.clear();
  expire();
  token_endpoint("A2", "R2");
  auto t = token();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "A2");
  EXPECT_TRUE(t->refreshed);
  ASSERT_EQ(host.calls.size(), 1u);
  auto body = form_fields(host.calls[0].body);
  EXPECT_EQ(body["grant_type"], "refresh_token");
  EXPECT_EQ(body["refresh_token"], "R1");
  // The rotated refresh token is used next time.
  expire();
  token_endpoint("A3", "R3");
  ASSERT_TRUE(token().ok());
  EXPECT_EQ(form_fields(host.calls[1].body)["refresh_token"], "R2");
}

TEST_F(Lifecycle, RefreshWithoutNewRefreshTokenKeepsTheOldOne) {
  connect();
  expire();
  token_endpoint("A2", "");
  ASSERT_TRUE(token().ok());
  expire();
  token_endpoint("A3", "");
  auto t = token();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->access_token, "A3");
  EXPECT_EQ(form_fields(host.calls.back().body)["refresh_token"], "R1");
  EXPECT_TRUE(record().refresh_token_sealed.size() > 0);
}

TEST_F(Lifecycle, ForceRefresh) {
  connect();
  token_endpoint("A2", "R2");
  auto t = token(true);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->access_token, "A2");
}

TEST_F(Lifecycle, TwoRefreshersMakeExactlyOneRefreshCall) {
  connect();
  host.calls.clear();
  expire();
  int http_calls = 0;
  host.http = [&](const HttpRequest&) {
    ++http_calls;
    return respond(200, R"({"access_token":"A2","refresh_token":"R2","expires_in":3600,"token_type":"bearer"})");
  };
  auto op1 = engine->get_token(ref);
  auto op2 = engine->get_token(ref);
  // Drive op1 until it asks for HTTP (it holds the lease by then).
  const Effect* e1 = op1->start(host.now_ms);
  while (e1 && e1->kind != EffectKind::http) e1 = op1->resume(host.perform(*e1), host.now_ms);
  ASSERT_NE(e1, nullptr);
  // op2 runs meanwhile: it must wait, not refresh. The access token has 30 s left, so it may
  // hand out the current one instead; either way it makes no HTTP call.
  const Effect* e2 = op2->start(host.now_ms);
  while (e2 && e2->kind != EffectKind::wait) {
    ASSERT_NE(e2->kind, EffectKind::http) << "the second refresher called the token endpoint";
    e2 = op2->resume(host.perform(*e2), host.now_ms);
  }
  // Finish op1, then op2.
  while (e1) e1 = op1->resume(host.perform(*e1), host.now_ms);
  while (e2) {
    ASSERT_NE(e2->kind, EffectKind::http);
    e2 = op2->resume(host.perform(*e2), host.now_ms);
  }
  ASSERT_TRUE(op1->result().ok());
  ASSERT_TRUE(op2->result().ok());
  EXPECT_EQ(op1->result()->access_token, "A2");
  EXPECT_EQ(http_calls, 1);
}

TEST_F(Lifecycle, SecondRefresherWaitsForTheFirstWhenTheTokenIsExpired) {
  connect();
  host.now_ms += 3600 * 1000 + 1;  // fully expired: nobody may hand out the old token
  int http_calls = 0;
  host.http = [&](const HttpRequest&) {
    ++http_calls;
    return respond(200, R"({"access_token":"A2","refresh_token":"R2","expires_in":3600})");
  };
  auto op1 = engine->get_token(ref);
  auto op2 = engine->get_token(ref);
  const Effect* e1 = op1->start(host.now_ms);
  while (e1 && e1->kind != EffectKind::http) e1 = op1->resume(host.perform(*e1), host.now_ms);
  const Effect* e2 = op2->start(host.now_ms);
  while (e2 && e2->kind != EffectKind::wait) e2 = op2->resume(host.perform(*e2), host.now_ms);
  ASSERT_NE(e2, nullptr) << "the second refresher should be waiting";
  while (e1) e1 = op1->resume(host.perform(*e1), host.now_ms);
  while (e2) e2 = op2->resume(host.perform(*e2), host.now_ms);
  ASSERT_TRUE(op2->result().ok()) << op2->result().error().message;
  EXPECT_EQ(op2->result()->access_token, "A2");
  EXPECT_EQ(http_calls, 1);
}

// Drives `op` until it asks for HTTP; returns that effect (nullptr if it finished).
const Effect* until_http(testing::FakeHost& host, Operation<AccessToken>& op) {
  const Effect* e = op.start(host.now_ms);
  while (e && e->kind != EffectKind::http) e = op.resume(host.perform(*e), host.now_ms);
  return e;
}

TEST_F(Lifecycle, ALateRefresherDoesNotOverwriteANewerRefreshToken) {
  connect();
  host.now_ms += 3600 * 1000;  // expired
  auto slow = engine->get_token(ref);
  const Effect* e1 = until_http(host, *slow);
  ASSERT_NE(e1, nullptr);
  EXPECT_LE(e1->http.timeout_ms, engine->config().lease_ms / 2);  // the attempt ends inside the lease
  host.now_ms += engine->config().lease_ms + 1;  // its lease runs out while it waits
  token_endpoint("A2", "R2");
  auto fast = token();  // takes a new lease, refreshes with R1, stores R2
  ASSERT_TRUE(fast.ok()) << fast.error().message;
  EXPECT_EQ(fast->access_token, "A2");
  // The slow one's answer arrives: R1 was already rotated, so the provider issued it R1' — it
  // must not replace R2 in the store.
  EffectResult late = testing::respond(200, R"({"access_token":"A-late","refresh_token":"R-late","expires_in":3600})");
  const Effect* e = slow->resume(late, host.now_ms);
  while (e) e = slow->resume(host.perform(*e), host.now_ms);
  ASSERT_TRUE(slow->result().ok());
  EXPECT_EQ(slow->result()->access_token, "A-late");  // still a valid token for its caller
  host.now_ms += 3600 * 1000;
  token_endpoint("A3", "R3");
  ASSERT_TRUE(token().ok());
  EXPECT_EQ(form_fields(host.calls.back().body)["refresh_token"], "R2");
}

TEST_F(Lifecycle, AWaiterTakesOverFromARefresherThatDied) {
  connect();
  host.now_ms += 3600 * 1000;
  auto dead = engine->get_token(ref);
  ASSERT_NE(until_http(host, *dead), nullptr);  // holds the lease, then its process is killed
  dead.reset();
  const std::int64_t started = host.now_ms;
  token_endpoint("A2", "R2");
  auto waiter = token();
  ASSERT_TRUE(waiter.ok()) << waiter.error().message;
  EXPECT_EQ(waiter->access_token, "A2");
  // It waited for the lease to run out, no longer.
  EXPECT_GE(host.now_ms - started, engine->config().lease_ms);
  EXPECT_LT(host.now_ms - started, engine->config().lease_ms + 1000);
}

// A forced get_token means "the API refused this token". When it finds another refresher at
// work it waits for that refresher's token — never the refused one, and without a second refresh.
TEST_F(Lifecycle, AForcedRefreshThatMeetsAnotherRefresherTakesItsNewToken) {
  connect();  // A1, fresh for an hour
  host.calls.clear();
  auto other = engine->get_token(ref, true);
  const Effect* e1 = until_http(host, *other);
  ASSERT_NE(e1, nullptr);  // holds the lease, its request in flight
  auto forced = engine->get_token(ref, true);
  const Effect* e2 = forced->start(host.now_ms);
  int waits = 0;
  while (e2 && waits < 3) {
    ASSERT_NE(e2->kind, EffectKind::http) << "the forced op called the token endpoint";
    waits += e2->kind == EffectKind::wait;
    const EffectResult r = host.perform(*e2);  // first: a wait moves the clock to its deadline
    e2 = forced->resume(r, host.now_ms);
  }
  ASSERT_NE(e2, nullptr) << "it stopped waiting while the other refresh was in flight, with "
                         << (forced->result().ok() ? forced->result()->access_token : forced->result().error().message);
  e1 = other->resume(respond(200, R"({"access_token":"A2","refresh_token":"R2","expires_in":3600})"), host.now_ms);
  while (e1) e1 = other->resume(host.perform(*e1), host.now_ms);
  ASSERT_TRUE(other->result().ok()) << other->result().error().message;
  while (e2) {
    ASSERT_NE(e2->kind, EffectKind::http) << "the forced op called the token endpoint";
    e2 = forced->resume(host.perform(*e2), host.now_ms);
  }
  ASSERT_TRUE(forced->result().ok()) << forced->result().error().message;
  EXPECT_EQ(forced->result()->access_token, "A2");
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(Lifecycle, AForcedRefreshWhoseOtherRefresherDiedRefreshesItself) {
  connect();
  host.calls.clear();
  auto dead = engine->get_token(ref, true);
  ASSERT_NE(until_http(host, *dead), nullptr);  // holds the lease, then its process is killed
  dead.reset();
  const std::int64_t started = host.now_ms;
  token_endpoint("A2", "R2");
  auto t = token(true);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "A2");  // not A1, still fresh but refused
  EXPECT_TRUE(t->refreshed);
  ASSERT_EQ(host.calls.size(), 1u);
  EXPECT_EQ(form_fields(host.calls[0].body)["refresh_token"], "R1");
  EXPECT_GE(host.now_ms - started, engine->config().lease_ms);  // it waited the lease out first
}

TEST_F(Lifecycle, AForcedRefreshDoesNotHandBackTheRefusedTokenWhenTheBreakerOpensMeanwhile) {
  EngineConfig config;
  config.breaker_threshold = 1;  // the other refresher's one failure opens it
  engine = testing::make_engine(config);  // same key and store: acme and its app are there
  connect();
  host.calls.clear();
  auto other = engine->get_token(ref, true);
  const Effect* e1 = until_http(host, *other);
  ASSERT_NE(e1, nullptr);
  auto forced = engine->get_token(ref, true);
  const Effect* e2 = forced->start(host.now_ms);
  while (e2 && e2->kind != EffectKind::wait) e2 = forced->resume(host.perform(*e2), host.now_ms);
  ASSERT_NE(e2, nullptr) << "the forced op should be waiting";
  e1 = other->resume(respond(401, R"({"error":"invalid_client"})"), host.now_ms);
  while (e1) e1 = other->resume(host.perform(*e1), host.now_ms);
  ASSERT_FALSE(other->result().ok());
  ASSERT_GT(record().breaker_until_ms, host.now_ms);
  while (e2) e2 = forced->resume(host.perform(*e2), host.now_ms);
  ASSERT_FALSE(forced->result().ok()) << "handed back " << forced->result()->access_token;
  EXPECT_EQ(forced->result().error().code, ErrorCode::rate_limited);
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(Lifecycle, AFailedLateRefresherDoesNotMarkAHealthyConnection) {
  connect();
  host.now_ms += 3600 * 1000;
  auto slow = engine->get_token(ref);
  ASSERT_NE(until_http(host, *slow), nullptr);
  host.now_ms += engine->config().lease_ms + 1;
  token_endpoint("A2", "R2");
  ASSERT_TRUE(token().ok());
  // The provider rejects the slow refresher's (already rotated) R1.
  const Effect* e = slow->resume(testing::respond(400, R"({"error":"invalid_grant"})"), host.now_ms);
  while (e) e = slow->resume(host.perform(*e), host.now_ms);
  EXPECT_EQ(record().status, "connected");
  EXPECT_TRUE(record().lease_id.empty());
  host.http = nullptr;
  EXPECT_EQ(token()->access_token, "A2");
}

TEST_F(Lifecycle, RetriesRenewTheLease) {
  connect();
  host.now_ms += 3600 * 1000;
  int n = 0;
  std::int64_t lease_seen = 0;
  host.http = [&](const HttpRequest&) {
    if (++n == 1) return respond(503, "");
    lease_seen = record().lease_until_ms;  // renewed before the second attempt
    return respond(200, R"({"access_token":"A2","expires_in":3600})");
  };
  ASSERT_TRUE(token().ok());
  EXPECT_GT(lease_seen, host.now_ms);
}

TEST_F(Lifecycle, AQueryHoldingAUrlIsStillAPath) {
  connect();
  HttpRequest req;
  req.url = "/search?next=https://example.com/x";
  auto s = host.run(engine->sign_request(ref, req));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->url, "https://api.acme.test/search?next=https://example.com/x");
}

TEST_F(Lifecycle, ExpiredPendingAuthorizationsAreSwept) {
  for (int i = 0; i < 3; ++i) start();
  auto pending = [&] {
    int n = 0;
    for (const auto& [k, v] : host.store.records) n += k.rfind("pending/", 0) == 0;
    return n;
  };
  EXPECT_EQ(pending(), 3);
  host.now_ms += 11 * 60 * 1000;
  start();
  EXPECT_EQ(pending(), 1);  // the three expired ones went, the new one stays
}

TEST_F(Lifecycle, ResealWalksALargeStore) {
  // 50,000 records that need nothing: a walk that recursed once per record would overflow an
  // 8 MiB native stack, let alone the wasm builds' 1 MiB.
  for (int i = 0; i < 50000; ++i) {
    std::string key = "conn/zz/p/" + std::to_string(i);
    host.store.records[key] = StoreRecord{key, "{\"scope\":\"\"}", 1};
  }
  connect();  // and one connection sealed under the older key
  auto both = testing::make_rotated_engine();
  auto r = host.run(both->reseal());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->failed, 0);
  EXPECT_GE(r->resealed, 2);  // the app secret and alice's connection
}

TEST_F(Lifecycle, AWrongMasterKeyIsRefusedBeforeAnythingIsTouched) {
  ASSERT_TRUE(host.run(engine->check_master_key()).ok());  // the first run records key 1's check
  ASSERT_EQ(host.store.records.count("meta/key-check/1"), 1u);
  ASSERT_TRUE(host.run(engine->check_master_key()).ok());  // and later runs agree with it
  auto before = host.store.records;
  EngineConfig wrong;
  wrong.master_keys = {{1, std::string(32, 'w')}};
  auto other = testing::make_engine(wrong);
  auto r = host.run(other->check_master_key());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::crypto);
  EXPECT_NE(r.error().message.find("version 1"), std::string::npos);
  EXPECT_EQ(host.store.records.size(), before.size());
  // A new key version is recorded beside the old one, which must still match.
  ASSERT_TRUE(host.run(testing::make_rotated_engine()->check_master_key()).ok());
  EXPECT_EQ(host.store.records.count("meta/key-check/2"), 1u);
}

TEST(EngineConfig, TimingsAreChecked) {
  EngineConfig bad;
  bad.master_keys[1] = std::string(32, 'k');
  bad.entropy = std::string(32, 'e');
  bad.retry_max_ms = -1;
  EXPECT_EQ(Engine::create(bad).error().code, ErrorCode::invalid_request);
  bad.retry_max_ms = 30000;
  bad.lease_ms = 10;
  EXPECT_FALSE(Engine::create(bad).ok());
  bad.lease_ms = 30000;
  EXPECT_TRUE(Engine::create(bad).ok());
}

TEST_F(Lifecycle, CasConflictWhileStoringIsRetriedWithoutLosingTheRotatedToken) {
  connect();
  expire();
  std::string key = detail::connection_key(ref);
  host.http = [&](const HttpRequest&) {
    // Another writer touches the record while the refresh is in flight (e.g. a status update).
    StoreRecord& rec = host.store.records.at(key);
    rec.version = host.store.next_version++;
    return respond(200, R"({"access_token":"A2","refresh_token":"R2","expires_in":3600})");
  };
  auto t = token();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "A2");
  host.http = nullptr;
  auto again = token();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->access_token, "A2");  // stored, not lost
  EXPECT_TRUE(record().lease_id.empty());
}

TEST_F(Lifecycle, InvalidGrantMarksNeedsReauthAndKeepsTheRecord) {
  connect();
  expire();
  host.now_ms += 60 * 1000;  // expired
  host.http = [](const HttpRequest&) {
    return respond(400, R"({"error":"invalid_grant","error_description":"Token has been revoked."})");
  };
  auto t = token();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::needs_reauth);
  EXPECT_EQ(t.error().provider_code, "invalid_grant");
  EXPECT_NE(t.error().message.find("latchkey connect acme"), std::string::npos);
  auto rec = record();
  EXPECT_EQ(rec.status, "needs_reauth");
  EXPECT_FALSE(rec.access_token_sealed.empty());  // nothing deleted
  // Later calls fail fast without hammering the provider.
  std::size_t calls = host.calls.size();
  EXPECT_EQ(token().error().code, ErrorCode::needs_reauth);
  EXPECT_EQ(host.calls.size(), calls);
  // Reconnecting clears it.
  connect();
  EXPECT_EQ(record().status, "connected");
}

TEST_F(Lifecycle, ServerErrorsAreRetriedWithBackoff) {
  connect();
  host.calls.clear();
  expire();
  int n = 0;
  host.http = [&](const HttpRequest&) {
    if (++n < 3) return respond(503, "<html>busy</html>", "text/html");
    return respond(200, R"({"access_token":"A2","expires_in":3600})");
  };
  auto t = token();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(n, 3);
  EXPECT_GE(host.slept_ms(), 250 + 500);  // jittered halves of 500 ms and 1000 ms
  EXPECT_LE(host.slept_ms(), 500 + 1000);
}

TEST_F(Lifecycle, RetryAfterIsHonoured) {
  connect();
  expire();
  int n = 0;
  host.http = [&](const HttpRequest&) {
    if (++n == 1) return respond(429, "", "", {{"Retry-After", "3"}});
    return respond(200, R"({"access_token":"A2","expires_in":3600})");
  };
  ASSERT_TRUE(token().ok());
  EXPECT_GE(host.slept_ms(), 3000);
}

TEST_F(Lifecycle, ClientErrorsFailAtOnceButAStillValidTokenIsServed) {
  connect();
  expire();
  host.http = [](const HttpRequest&) { return respond(401, R"({"error":"invalid_client"})"); };
  std::size_t before = host.calls.size();
  auto t = token();
  EXPECT_EQ(host.calls.size(), before + 1);  // no retries on 4xx
  ASSERT_TRUE(t.ok());                       // 30 s of validity left
  EXPECT_EQ(t->access_token, "A1");
  EXPECT_EQ(record().failures, 1);
  EXPECT_FALSE(record().last_error.empty());
  host.now_ms += 60 * 1000;  // now expired: the error surfaces
  auto expired = token();
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::provider_error);
  EXPECT_EQ(expired.error().provider_code, "invalid_client");
}

TEST_F(Lifecycle, CircuitBreakerStopsHammeringAFailingEndpoint) {
  connect();
  host.now_ms += 3600 * 1000;  // expired
  host.http = [](const HttpRequest&) { return testing::transport_failure("connection refused"); };
  for (int i = 0; i < 3; ++i) {
    auto t = token();
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().code, ErrorCode::transport);
  }
  EXPECT_EQ(host.calls.size(), 1u + 3 * 3);  // the exchange + 3 tries of (1 + 2 retries)
  auto t = token();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::rate_limited);
  EXPECT_GT(t.error().retry_at_ms, host.now_ms);
  EXPECT_EQ(host.calls.size(), 10u);  // no call while the breaker is open
  // After the pause, a successful refresh closes it.
  host.now_ms = t.error().retry_at_ms + 1;
  token_endpoint("A9", "R9");
  auto ok = token();
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(record().failures, 0);
}

TEST_F(Lifecycle, ExpiredTokenWithoutRefreshTokenNeedsReauth) {
  auto s = start();
  token_endpoint("A1", "");
  ASSERT_TRUE(host.run(engine->complete_callback({"alice", "?code=c&state=" + s.state})).ok());
  host.now_ms += 3601 * 1000;
  auto t = token();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::needs_reauth);
}

TEST_F(Lifecycle, NoExpiryMeansNoRefresh) {
  auto s = start();
  host.http = [](const HttpRequest&) { return respond(200, R"({"access_token":"forever","token_type":"bearer"})"); };
  ASSERT_TRUE(host.run(engine->complete_callback({"alice", "?code=c&state=" + s.state})).ok());
  host.now_ms += 365LL * 24 * 3600 * 1000;
  host.calls.clear();
  auto t = token();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->access_token, "forever");
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(Lifecycle, ClientCredentialsAreCachedAndRefetched) {
  token_endpoint("CC1", "", 600);
  auto c = host.run(engine->connect_client_credentials({"svc", "acme", "default"}, {"read", "write"}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->grant, "client_credentials");
  auto body = form_fields(host.calls.back().body);
  EXPECT_EQ(body["grant_type"], "client_credentials");
  EXPECT_EQ(body["scope"], "read write");
  ConnectionRef svc{"svc", "acme", "default"};
  std::size_t calls = host.calls.size();
  EXPECT_EQ(host.run(engine->get_token(svc))->access_token, "CC1");
  EXPECT_EQ(host.calls.size(), calls);  // cached
  host.now_ms += 600 * 1000;
  token_endpoint("CC2", "", 600);
  auto t = host.run(engine->get_token(svc));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "CC2");
  EXPECT_EQ(form_fields(host.calls.back().body)["grant_type"], "client_credentials");
}

TEST_F(Lifecycle, DisconnectWithRevokeRevokesRefreshThenAccessToken) {
  connect();
  host.calls.clear();
  host.http = [](const HttpRequest&) { return respond(200, ""); };
  auto d = host.run(engine->disconnect(ref, true));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_TRUE(d->deleted);
  EXPECT_TRUE(d->revoked);
  ASSERT_EQ(host.calls.size(), 2u);
  EXPECT_EQ(host.calls[0].url, "https://auth.acme.test/revoke");
  EXPECT_EQ(form_fields(host.calls[0].body)["token"], "R1");
  EXPECT_EQ(form_fields(host.calls[0].body)["token_type_hint"], "refresh_token");
  EXPECT_EQ(form_fields(host.calls[1].body)["token"], "A1");
  EXPECT_EQ(form_fields(host.calls[1].body)["token_type_hint"], "access_token");
  EXPECT_EQ(host.store.records.count(detail::connection_key(ref)), 0u);
  EXPECT_EQ(token().error().code, ErrorCode::not_found);
}

TEST_F(Lifecycle, DisconnectDeletesEvenWhenRevocationFails) {
  connect();
  host.http = [](const HttpRequest&) { return testing::transport_failure("timeout"); };
  auto d = host.run(engine->disconnect(ref, true));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->deleted);
  EXPECT_FALSE(d->revoked);
  EXPECT_NE(d->revocation_error.find("timeout"), std::string::npos);
}

TEST_F(Lifecycle, SignRequestInjectsBearerOnlyForAllowedHosts) {
  connect();
  HttpRequest req;
  req.url = "https://api.acme.test/v1/me";
  req.headers = {{"authorization", "Bearer caller-own"}, {"Accept", "application/json"}};
  auto s = host.run(engine->sign_request(ref, req));
  ASSERT_TRUE(s.ok()) << s.error().message;
  int auth_headers = 0;
  for (const auto& [k, v] : s->headers) {
    if (k == "Authorization" || k == "authorization") {
      ++auth_headers;
      EXPECT_EQ(v, "Bearer A1");
    }
  }
  EXPECT_EQ(auth_headers, 1);
  req.url = "https://eu.files.acme.test/x";  // wildcard subdomain
  EXPECT_TRUE(host.run(engine->sign_request(ref, req)).ok());
  for (const char* bad : {"https://evil.test/v1/me", "https://api.acme.test.evil.test/", "https://files.acme.test/",
                          "http://api.acme.test/v1/me", "https://api.acme.test:8443/v1/me"}) {
    req.url = bad;
    auto r = host.run(engine->sign_request(ref, req));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request) << bad;
  }
}

TEST_F(Lifecycle, SignRequestJoinsPathsToTheApiBaseUrl) {
  connect();
  HttpRequest req;
  req.url = "/v1/me?x=1";
  auto s = host.run(engine->sign_request(ref, req));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->url, "https://api.acme.test/v1/me?x=1");
  req.url = "v1/me";
  EXPECT_EQ(host.run(engine->sign_request(ref, req))->url, "https://api.acme.test/v1/me");
  // No path is the base URL itself (an MCP server's endpoint); "/" is its root.
  req.url = "";
  EXPECT_EQ(host.run(engine->sign_request(ref, req))->url, "https://api.acme.test");
  req.url = "?x=1";
  EXPECT_EQ(host.run(engine->sign_request(ref, req))->url, "https://api.acme.test?x=1");
  req.url = "/";
  EXPECT_EQ(host.run(engine->sign_request(ref, req))->url, "https://api.acme.test/");
}

TEST_F(Lifecycle, SignRequestCanPutTheTokenInTheQuery) {
  std::string def = testing::kAcmeProvider;
  def.replace(def.find("\"acme\""), 6, "\"acme-q\"");
  def.replace(def.find("\"header\": \"Authorization\", \"prefix\": \"Bearer \", \"query_param\": null"),
              std::string("\"header\": \"Authorization\", \"prefix\": \"Bearer \", \"query_param\": null").size(),
              "\"header\": null, \"prefix\": \"\", \"query_param\": \"access_token\"");
  auto reg = host.run(engine->register_provider(def));
  ASSERT_TRUE(reg.ok()) << reg.error().message;
  ASSERT_TRUE(host.run(engine->upsert_app(testing::app_input("acme-q", "id", "secret", ""))).ok());
  token_endpoint("QT", "QR");
  ASSERT_TRUE(host.run(engine->connect_client_credentials({"alice", "acme-q", "default"}, {})).ok());
  HttpRequest req;
  req.url = "https://api.acme.test/items?page=2";
  auto s = host.run(engine->sign_request({"alice", "acme-q", "default"}, req));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->url, "https://api.acme.test/items?page=2&access_token=QT");
  for (const auto& [k, v] : s->headers) EXPECT_NE(k, "Authorization");
}

// A host that signs many requests with one RequestSigner (latchkeyd's proxy) must send exactly
// what sign_request would (SignRequestJoinsPathsToTheApiBaseUrl and the injection tests pin
// that down too), and must learn when the token stops being fresh.
TEST_F(Lifecycle, RequestSignerSignsAsSignRequestDoes) {
  connect();
  const std::int64_t connected_at = host.now_ms;
  auto signer = host.run(engine->request_signer({"alice", "acme", ""}));  // the only account
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  EXPECT_EQ(signer->account, "default");
  EXPECT_EQ(signer->access_token, "A1");
  EXPECT_EQ(signer->fresh_until_ms, connected_at + 3600 * 1000 - 60 * 1000);  // expires_in minus the 60 s buffer
  // The caller's own Authorization (any case) is replaced by the token; other headers stay.
  const Params signed_headers = {{"Accept", "application/json"}, {"Authorization", "Bearer A1"}};
  struct Signed {
    const char* url;
    const char* expected_url;
  } const accepted[] = {
      {"/v1/me?x=1", "https://api.acme.test/v1/me?x=1"},
      {"v1/me", "https://api.acme.test/v1/me"},
      {"", "https://api.acme.test"},
      {"?x=1", "https://api.acme.test?x=1"},
      {"https://api.acme.test/v1/me", "https://api.acme.test/v1/me"},
      {"https://eu.files.acme.test/x", "https://eu.files.acme.test/x"},  // *.files.acme.test
      {"https://api.acme.test:443/v1/me", "https://api.acme.test:443/v1/me"},  // the default port, named
  };
  for (const auto& c : accepted) {
    HttpRequest req;
    req.url = c.url;
    req.headers = {{"authorization", "Bearer caller-own"}, {"Accept", "application/json"}};
    auto got = sign_with(*signer, req);
    ASSERT_TRUE(got.ok()) << c.url << ": " << got.error().message;
    EXPECT_EQ(got->url, c.expected_url) << c.url;
    EXPECT_EQ(got->headers, signed_headers) << c.url;
    EXPECT_FALSE(got->follow_redirects) << c.url;
  }
  struct Refused {
    const char* url;
    const char* said;
  } const refused[] = {
      {"https://evil.test/v1/me", "'https://evil.test' is not an origin 'acme' tokens may be sent to"},
      {"http://api.acme.test/v1/me", "only sent over https"},
      {"https://files.acme.test/", "'https://files.acme.test' is not an origin"},  // the wildcard is for subdomains only
      // The definition's bare host names are https on 443: another port is another server, and
      // the refusal names the origins that are allowed.
      {"https://api.acme.test:8443/v1/me",
       "'https://api.acme.test:8443' is not an origin 'acme' tokens may be sent to (allowed: https://api.acme.test, "
       "https://*.files.acme.test)"},
      {"https://eu.files.acme.test:444/x", "'https://eu.files.acme.test:444' is not an origin"},
      {"https://api.acme.test.evil.test/", "is not an origin"},
  };
  for (const auto& c : refused) {
    HttpRequest req;
    req.url = c.url;
    auto got = sign_with(*signer, req);
    ASSERT_FALSE(got.ok()) << c.url;
    EXPECT_EQ(got.error().code, ErrorCode::invalid_request) << c.url;
    EXPECT_NE(got.error().message.find(c.said), std::string::npos) << c.url << ": " << got.error().message;
  }
}

TEST_F(Lifecycle, RequestSignerRefreshesATokenThatIsNoLongerFresh) {
  connect();
  expire();
  token_endpoint("A2", "R2", 600);
  host.calls.clear();
  auto signer = host.run(engine->request_signer(ref));
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  EXPECT_EQ(signer->access_token, "A2");
  EXPECT_EQ(signer->fresh_until_ms, host.now_ms + 600 * 1000 - 60 * 1000);
  EXPECT_EQ(host.calls.size(), 1u);
}

// Its JSON form (every operation has one) says whether it holds a token, never the token.
TEST_F(Lifecycle, RequestSignerJsonHoldsNoToken) {
  connect();
  auto op = engine->request_signer(ref);
  ASSERT_TRUE(host.run(*op).ok());
  const std::string json = detail::result_document(op->result());
  EXPECT_EQ(json.find("A1"), std::string::npos) << json;
  EXPECT_EQ(json.find("\"access_token\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"has_access_token\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"account\":\"default\""), std::string::npos) << json;
}

TEST_F(Lifecycle, RequestSignerOfAMissingConnectionIsNotFound) {
  auto signer = host.run(engine->request_signer(ref));
  ASSERT_FALSE(signer.ok());
  EXPECT_EQ(signer.error().code, ErrorCode::not_found);
}

TEST_F(Lifecycle, TemplatedInjectionHostsUseTheConnectionsValues) {
  AppInput app = testing::app_input("shopify", "id", "secret", "https://app.example.com/cb");
  ASSERT_TRUE(host.run(engine->upsert_app(app)).ok());
  AuthorizeRequest r;
  r.principal = "alice";
  r.provider = "shopify";
  r.template_values = {{"shop", "acme-store"}};
  auto s = host.run(engine->authorize(r));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->authorization_url.rfind("https://acme-store.myshopify.com/", 0), 0u);
  host.http = [](const HttpRequest& req) {
    EXPECT_EQ(req.url.rfind("https://acme-store.myshopify.com/", 0), 0u);
    return respond(200, R"({"access_token":"shpat_1","scope":"read_products"})");
  };
  ASSERT_TRUE(host.run(engine->complete_callback({"alice", "?code=c&state=" + s->state})).ok());
  HttpRequest req;
  req.url = "https://acme-store.myshopify.com/admin/api/2026-10/shop.json";
  ConnectionRef shop{"alice", "shopify", "default"};
  ASSERT_TRUE(host.run(engine->sign_request(shop, req)).ok());
  req.url = "https://other-store.myshopify.com/admin/api/2026-10/shop.json";
  auto other = host.run(engine->sign_request(shop, req));
  ASSERT_FALSE(other.ok());  // another shop's host never gets this shop's token
  EXPECT_EQ(other.error().code, ErrorCode::invalid_request);
  // A shop value that tries to change the host is refused before any URL is built.
  r.template_values = {{"shop", "evil.com/x"}};
  EXPECT_EQ(host.run(engine->authorize(r)).error().code, ErrorCode::invalid_request);
}

TEST_F(Lifecycle, StoreFailureIsReportedAndNothingIsLost) {
  connect();
  auto before = host.store.records;
  host.store.fail_with = "disk I/O error";
  auto t = token();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::storage);
  EXPECT_NE(t.error().message.find("disk I/O error"), std::string::npos);
  host.store.fail_with.clear();
  EXPECT_EQ(host.store.records.size(), before.size());
}

TEST_F(Lifecycle, CorruptConnectionRecordIsAStorageErrorNotACrash) {
  connect();
  std::string key = detail::connection_key(ref);
  std::string good = host.store.records.at(key).value;
  for (std::string bad : {std::string("{"), std::string("[]"), std::string("{\"access_token\": 5}"),
                          std::string("{\"provider\":\"acme\"}"), good.substr(0, good.size() / 2),
                          good + "x", std::string("\xff\xfe"), std::string(100000, '[')}) {
    host.store.records.at(key).value = bad;
    auto t = token();
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().code, ErrorCode::storage) << bad.substr(0, 40);
  }
  // Members a newer latchkey might add are skipped.
  std::string newer = good;
  newer.insert(1, "\"future\":{\"a\":[1,2,{\"b\":null}]},");
  host.store.records.at(key).value = newer;
  auto t = token();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "A1");
}

TEST_F(Lifecycle, MasterKeyRotationResealsEverySecret) {
  connect();
  auto both = testing::make_rotated_engine();
  auto r = host.run(both->reseal());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->failed, 0);
  EXPECT_EQ(r->skipped, 0);
  EXPECT_GE(r->resealed, 3);  // the app secret, the connection, the consumed pending record
  for (const auto& [key, rec] : host.store.records) EXPECT_EQ(rec.value.find("\"lk1.1."), std::string::npos) << key;
  // Only the new key is needed from now on.
  engine = testing::make_rotated_engine(false);
  auto t = token();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "A1");
  // Running it again finds nothing to do.
  EXPECT_EQ(host.run(engine->reseal())->resealed, 0);
}

}  // namespace
}  // namespace latchkey
