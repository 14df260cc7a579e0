// Wait effects are deadlines ("resume at T", like ngtcp2's get_expiry): the core never sleeps,
// so an event-driven host can park an operation on a timer and hold no thread meanwhile. These
// drive get_token and device_poll by hand and check each wait's until_ms — in the clock the host
// passes — for the lease poll, the refresh backoff and the device interval, and that an
// operation resumed before its deadline only asks for the same deadline again.
#include <gtest/gtest.h>

#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::AcmeTest;
using testing::respond;

constexpr const char* kTokenUrl = "https://auth.acme.test/token";

struct Waits : AcmeTest {
  void expire() { host.now_ms += 3600 * 1000 + 1; }  // fully expired: nobody may use the old token

  /// Performs `op`'s effects until it asks for HTTP to `url` or to wait; returns that effect.
  const Effect* until(OperationBase& op, const Effect* e, EffectKind kind) {
    while (e && e->kind != kind) {
      EXPECT_FALSE(e->kind == EffectKind::http && kind == EffectKind::wait) << "asked for " << e->http.url;
      EXPECT_NE(e->kind, EffectKind::wait) << "asked to wait before its request";
      e = op.resume(host.perform(*e), host.now_ms);
    }
    return e;
  }

};

TEST_F(Waits, ALeaseHeldByAPeerIsPolledEveryHundredMillisecondsAsADeadline) {
  connect();
  expire();
  const std::int64_t t0 = host.now_ms;
  auto holder = engine->get_token(ref);
  const Effect* h = until(*holder, holder->start(host.now_ms), EffectKind::http);
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->http.url, kTokenUrl);  // it holds the lease, its refresh in flight

  auto waiter = engine->get_token(ref);
  host.now_ms = t0 + 5;
  const Effect* w = until(*waiter, waiter->start(host.now_ms), EffectKind::wait);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->until_ms, t0 + 5 + 100);  // absolute: when it looked, plus the 100 ms poll

  // Resumed early (a timer that fired 60 ms in): the same deadline again, no store read.
  w = waiter->resume({}, t0 + 65);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->kind, EffectKind::wait);
  EXPECT_EQ(w->until_ms, t0 + 105);
  // Resumed late: it reads the record again (the lease still held: another 100 ms from then).
  host.now_ms = t0 + 250;
  w = waiter->resume({}, host.now_ms);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->kind, EffectKind::store_get);
  w = until(*waiter, w, EffectKind::wait);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->until_ms, t0 + 350);

  // The holder finishes; the waiter, resumed at its deadline, takes the new token without HTTP.
  h = holder->resume(respond(200, R"({"access_token":"A2","refresh_token":"R2","expires_in":3600})"), host.now_ms);
  while (h) h = holder->resume(host.perform(*h), host.now_ms);
  ASSERT_TRUE(holder->result().ok()) << holder->result().error().message;
  host.now_ms = t0 + 350;
  w = waiter->resume({}, host.now_ms);
  while (w) {
    ASSERT_NE(w->kind, EffectKind::http);
    ASSERT_NE(w->kind, EffectKind::wait);
    w = waiter->resume(host.perform(*w), host.now_ms);
  }
  ASSERT_TRUE(waiter->result().ok()) << waiter->result().error().message;
  EXPECT_EQ(waiter->result()->access_token, "A2");
}

TEST_F(Waits, RefreshBackoffIsADeadlineAndAnEarlyResumeDoesNotRetry) {
  connect();
  expire();
  int token_calls = 0;
  host.http = [&](const HttpRequest&) {
    ++token_calls;
    return respond(503, R"({"error":"temporarily_unavailable"})", "application/json", {{"Retry-After", "7"}});
  };
  const std::int64_t t0 = host.now_ms;
  auto op = engine->get_token(ref);
  const Effect* e = op->start(host.now_ms);
  while (e && e->kind != EffectKind::wait) e = op->resume(host.perform(*e), host.now_ms);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(token_calls, 1);
  // Retry-After: 7 s (within retry_max_ms, 30 s) is longer than the first backoff (at most
  // retry_base_ms, 500 ms), so the retry is due 7 s after the 503 arrived.
  EXPECT_EQ(e->until_ms, t0 + 7000);

  const std::int64_t until = e->until_ms;
  for (std::int64_t early : {t0 + 1, t0 + 3500, t0 + 6999}) {
    e = op->resume({}, early);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->kind, EffectKind::wait) << "resumed at +" << (early - t0) << " ms";
    EXPECT_EQ(e->until_ms, until);
  }
  EXPECT_EQ(token_calls, 1) << "an early resume must not retry";
  // At the deadline: the lease is renewed (a store write), then the token endpoint is asked again.
  host.now_ms = until;
  e = op->resume({}, host.now_ms);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EffectKind::store_cas);
  while (e && e->kind != EffectKind::wait) e = op->resume(host.perform(*e), host.now_ms);
  EXPECT_EQ(token_calls, 2);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->until_ms, until + 7000);
}

TEST_F(Waits, RefreshBackoffWithoutRetryAfterIsBetweenHalfAndAllOfTheBase) {
  connect();
  expire();
  host.http = [&](const HttpRequest&) { return respond(500, "oops", "text/plain"); };
  const std::int64_t t0 = host.now_ms;
  auto op = engine->get_token(ref);
  const Effect* e = op->start(host.now_ms);
  while (e && e->kind != EffectKind::wait) e = op->resume(host.perform(*e), host.now_ms);
  ASSERT_NE(e, nullptr);
  // First retry: retry_base_ms (500) with full jitter on its upper half.
  EXPECT_GE(e->until_ms, t0 + 250);
  EXPECT_LE(e->until_ms, t0 + 500);
}

}  // namespace
}  // namespace latchkey
