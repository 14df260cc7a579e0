// Refresh exactly once per token lifetime: a token is due `expiry_buffer_seconds` before it
// expires, but never earlier than half-way through its own life (issue time to expiry), so a
// token that lives less than twice the buffer is still fresh for a while. Scripted effects; the
// provider "acme" keeps the 60 s default buffer. Every expected time is a literal worked out by
// hand from the FakeHost's clock, which starts at 1700000000000.
#include <gtest/gtest.h>

#include <vector>

#include "records.hpp"
#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::AcmeTest;
using testing::respond;

constexpr std::int64_t kT0 = 1700000000000;  // FakeHost's clock: when connect() is answered

struct TokenLifetime : AcmeTest {
  int refreshes = 0;

  /// Connects alice with an access token that lives `ttl` seconds (issued at kT0); from then on
  /// the token endpoint issues A2, A3, … with the same lifetime and counts the refreshes.
  void connect_with(int ttl) {
    ASSERT_EQ(host.now_ms, kT0);
    auto s = start();
    token_endpoint("A1", "R1", ttl);
    auto c = host.run(engine->complete_callback(
        {"alice", "http://127.0.0.1:8765/callback?code=abc&state=" + s.state + "&iss=https%3A%2F%2Fauth.acme.test"}));
    ASSERT_TRUE(c.ok()) << c.error().message;
    host.http = [this, ttl](const HttpRequest&) {
      ++refreshes;
      return respond(200, "{\"access_token\":\"A" + std::to_string(refreshes + 1) +
                              "\",\"token_type\":\"Bearer\",\"refresh_token\":\"R" + std::to_string(refreshes + 1) +
                              "\",\"expires_in\":" + std::to_string(ttl) + "}");
    };
  }

  /// get_token at `at`.
  Result<AccessToken> token_at(std::int64_t at) {
    host.now_ms = at;
    return host.run(engine->get_token(ref));
  }

  /// `n` get_token operations at once after the token expired: the first one reaches the token
  /// endpoint, the rest find its lease and wait; then all run to the end. Waits overlap
  /// (each ends at its deadline); returns the tokens they handed out.
  std::vector<std::string> concurrent(int n) {
    std::vector<std::unique_ptr<Operation<AccessToken>>> ops;
    std::vector<const Effect*> at;
    for (int i = 0; i < n; ++i) ops.push_back(engine->get_token(ref));
    auto step = [&](int i) {
      const Effect* e = at[i];
      // A wait ends at its deadline: the shared clock moves there, as a host's timer firing would.
      if (e->kind == EffectKind::wait) host.now_ms = std::max(host.now_ms, e->until_ms);
      at[i] = ops[i]->resume(e->kind == EffectKind::wait ? EffectResult{} : host.perform(*e), host.now_ms);
    };
    for (int i = 0; i < n; ++i) at.push_back(ops[i]->start(host.now_ms));
    // Everyone runs up to the token endpoint or a wait; only one may get past its lease.
    for (int i = 0; i < n; ++i) {
      while (at[i] && at[i]->kind != EffectKind::http && at[i]->kind != EffectKind::wait) step(i);
    }
    // Then round-robin, one effect each, until all are done.
    for (bool busy = true; busy;) {
      busy = false;
      for (int i = 0; i < n; ++i) {
        if (!at[i]) continue;
        busy = true;
        step(i);
      }
    }
    std::vector<std::string> tokens;
    for (auto& op : ops) {
      EXPECT_TRUE(op->result().ok()) << op->result().error().message;
      tokens.push_back(op->result().ok() ? op->result()->access_token : "(failed)");
    }
    return tokens;
  }
};

// 6 s: half the lifetime (3 s) caps the 60 s buffer, so the token is due at kT0 + 3000.
TEST_F(TokenLifetime, SixSecondTokenIsFreshForItsFirstHalf) {
  connect_with(6);
  EXPECT_EQ(record().issued_at_ms, 1700000000000);
  EXPECT_EQ(record().expires_at_ms, 1700000006000);
  for (std::int64_t at : {1700000000000, 1700000001000, 1700000002000, 1700000002999}) {
    auto t = token_at(at);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->access_token, "A1") << at;
    EXPECT_FALSE(t->refreshed) << at;
    EXPECT_EQ(t->fresh_until_ms, 1700000003000) << at;
  }
  EXPECT_EQ(refreshes, 0);
  auto due = token_at(1700000003000);
  ASSERT_TRUE(due.ok()) << due.error().message;
  EXPECT_EQ(due->access_token, "A2");
  EXPECT_TRUE(due->refreshed);
  EXPECT_EQ(refreshes, 1);
  // The new token (issued at 1700000003000, expiring at 1700000009000) is due at 1700000006000.
  EXPECT_EQ(due->fresh_until_ms, 1700000006000);
  EXPECT_EQ(token_at(1700000005999)->access_token, "A2");
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(token_at(1700000006000)->access_token, "A3");
  EXPECT_EQ(refreshes, 2);
}

// Longer lifetimes, each a token issued at kT0: handed out until `due_at`, refreshed once there,
// and the new token (issued at `due_at`) fresh until `next_due`.
//  60 s: the buffer equals the lifetime, so half of it (30 s) applies: due at kT0 + 30000, the
//        next at 1700000030000 + 60000 - 30000.
//  3600 s: the 60 s buffer is far under half the lifetime and applies unchanged: due at
//        kT0 + 3600000 - 60000, the next at 1700003540000 + 3600000 - 60000.
struct Due {
  int ttl;
  std::int64_t due_at;
  std::int64_t next_due;
};
struct TokenDueTime : TokenLifetime, ::testing::WithParamInterface<Due> {};

TEST_P(TokenDueTime, IsFreshUntilItsDueTimeThenRefreshedOnce) {
  const Due& d = GetParam();
  connect_with(d.ttl);
  EXPECT_EQ(token_at(d.due_at - 1)->access_token, "A1");
  EXPECT_EQ(refreshes, 0);
  auto due = token_at(d.due_at);
  ASSERT_TRUE(due.ok()) << due.error().message;
  EXPECT_EQ(due->access_token, "A2");
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(due->fresh_until_ms, d.next_due);
}
INSTANTIATE_TEST_SUITE_P(Lifetimes, TokenDueTime,
                         ::testing::Values(Due{60, 1700000030000, 1700000060000},
                                           Due{3600, 1700003540000, 1700007080000}),
                         [](const auto& info) { return std::to_string(info.param.ttl) + "s"; });

// The gateway's signer cache keeps a signer until fresh_until_ms: the same capped due time.
TEST_F(TokenLifetime, RequestSignerIsFreshUntilTheCappedDueTime) {
  connect_with(6);
  host.now_ms = 1700000001000;
  auto signer = host.run(engine->request_signer(ref));
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  EXPECT_EQ(signer->access_token, "A1");
  EXPECT_EQ(signer->fresh_until_ms, 1700000003000);
  EXPECT_EQ(refreshes, 0);
  host.now_ms = 1700000007000;  // expired: the signer comes with a new token
  signer = host.run(engine->request_signer(ref));
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  EXPECT_EQ(signer->access_token, "A2");
  EXPECT_EQ(signer->fresh_until_ms, 1700000010000);  // issued 1700000007000 + 6000 - 3000
  EXPECT_EQ(refreshes, 1);
}

// 20 callers just after expiry (kT0 + ttl, plus 1 ms): one refresh, and the other 19 take its
// token instead of refreshing again (the new token must count as fresh for them).
struct Expiry {
  int ttl;
  std::int64_t just_after;
};
struct ConcurrentCallers : TokenLifetime, ::testing::WithParamInterface<Expiry> {};

TEST_P(ConcurrentCallers, TwentyJustAfterExpiryRefreshOnce) {
  connect_with(GetParam().ttl);
  host.now_ms = GetParam().just_after;
  EXPECT_EQ(concurrent(20), std::vector<std::string>(20, "A2"));
  EXPECT_EQ(refreshes, 1);
}
INSTANTIATE_TEST_SUITE_P(Lifetimes, ConcurrentCallers,
                         ::testing::Values(Expiry{6, 1700000006001}, Expiry{60, 1700000060001},
                                           Expiry{3600, 1700003600001}),
                         [](const auto& info) { return std::to_string(info.param.ttl) + "s"; });

// A record stored before issue times were kept has none: the buffer then applies uncapped (never
// later than before), and the next refresh stores the issue time, so the cap applies from then on.
TEST_F(TokenLifetime, RecordWithoutIssueTimeRefreshesOnceThenKeepsTheCap) {
  connect_with(6);
  const std::string key = detail::connection_key(ref);
  std::string& stored = host.store.records.at(key).value;
  const std::string member = "\"issued_at_ms\":1700000000000,";
  ASSERT_NE(stored.find(member), std::string::npos) << stored;
  stored.erase(stored.find(member), member.size());
  EXPECT_EQ(record().issued_at_ms, 0);

  // 1 s into a 6 s life: the uncapped 60 s buffer makes it due (due at kT0 + 6000 - 60000).
  auto t = token_at(1700000001000);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "A2");
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(record().issued_at_ms, 1700000001000);
  // The refreshed token carries its issue time: fresh until 1700000001000 + 3000.
  EXPECT_EQ(token_at(1700000003999)->access_token, "A2");
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(token_at(1700000004000)->access_token, "A3");
  EXPECT_EQ(refreshes, 2);
}

TEST(ConnectionRecordJson, IssueTimeRoundTripsAndIsOptional) {
  detail::ConnectionRecord r;
  r.provider = "acme";
  r.access_token_sealed = "sealed";
  r.expires_at_ms = 1700000006000;
  r.issued_at_ms = 1700000000000;
  const std::string json = detail::to_json(r);
  EXPECT_NE(json.find("\"issued_at_ms\":1700000000000"), std::string::npos) << json;
  auto back = detail::connection_from_json(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->issued_at_ms, 1700000000000);

  auto old = detail::connection_from_json(
      R"({"provider":"acme","access_token":"sealed","expires_at_ms":1700000006000,"scope":""})");
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_EQ(old->issued_at_ms, 0);
  r.issued_at_ms = 0;
  EXPECT_EQ(detail::to_json(r).find("issued_at_ms"), std::string::npos);
}

}  // namespace
}  // namespace latchkey
