// Sign-ins in progress (pending authorizations, device codes) and the sweep that clears the
// expired ones (issue 12), driven by scripted effects: a start asks the store for a fixed few
// things however many sign-ins are outstanding, never reads a live one, removes a bounded number
// of expired ones per call and all of them eventually.
#include <gtest/gtest.h>

#include "records.hpp"
#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::AcmeTest;
using testing::respond;

constexpr std::int64_t kTtl = 600 * 1000;  // the engine's default pending_ttl_ms

/// One store effect as the host saw it, with what it handed back.
struct Seen {
  Effect effect;
  EffectResult answer;
};

struct Sweep : AcmeTest {
  /// Runs `op` on the fake host, logging every store effect. With `ignore_limit`, the host
  /// answers store_list with every match, as a host that predates `limit` does.
  template <class T>
  Result<T> logged(std::unique_ptr<Operation<T>> op, bool ignore_limit = false) {
    seen.clear();
    const Effect* e = op->start(host.now_ms);
    while (e) {
      Effect asked = *e;
      if (ignore_limit) asked.limit = 0;
      EffectResult r;
      if (fail_deletes && asked.kind == EffectKind::store_delete) r.store_error = "the disk is full";
      else r = host.perform(asked);
      if (asked.kind != EffectKind::http && asked.kind != EffectKind::wait) seen.push_back({*e, r});
      e = op->resume(r, host.now_ms);
    }
    return op->result();
  }

  Result<AuthorizationStart> authorize(bool ignore_limit = false) {
    AuthorizeRequest r;
    r.principal = "alice";
    r.provider = "acme";
    return logged(engine->authorize(r), ignore_limit);
  }

  std::size_t count(const std::string& prefix) const {
    std::size_t n = 0;
    for (const auto& [k, v] : host.store.records) n += k.rfind(prefix, 0) == 0;
    return n;
  }

  /// How many records of `prefix` the logged effects handed to the core.
  std::size_t read_under(const std::string& prefix) const {
    std::size_t n = 0;
    for (const Seen& s : seen) {
      if (s.effect.kind == EffectKind::store_get && s.answer.found) n += s.effect.key.rfind(prefix, 0) == 0;
      for (const auto& rec : s.answer.records) n += rec.key.rfind(prefix, 0) == 0;
    }
    return n;
  }

  std::size_t kinds(EffectKind kind) const {
    std::size_t n = 0;
    for (const Seen& s : seen) n += s.effect.kind == kind;
    return n;
  }

  std::vector<Seen> seen;
  bool fail_deletes = false;  ///< the store refuses every removal
};

TEST(ExpiryIndex, KeysSortByExpiryAndNameTheirRecord) {
  EXPECT_EQ(detail::expiry_index_key("pending/abc-_9", 1700000600000), "expiry/pending/00000001700000600000/abc-_9");
  EXPECT_EQ(detail::expiry_index_key("device/x", 5), "expiry/device/00000000000000000005/x");
  EXPECT_EQ(detail::expiry_index_prefix("pending/"), "expiry/pending/");
  auto e = detail::expiry_entry_from_key("expiry/device/09223372036854775807/x");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->record_key, "device/x");
  EXPECT_EQ(e->expires_at_ms, 9223372036854775807);
  for (const char* bad : {"expiry/pending/123/x", "expiry/pending/0000000170000060000x/x", "pending/abc",
                          "expiry//00000001700000600000/x", "expiry/pending/00000001700000600000/",
                          "expiry/pending/00000001700000600000/a/b", "expiry/pending/99999999999999999999/x"}) {
    EXPECT_FALSE(detail::expiry_entry_from_key(bad).ok()) << bad;
  }
}

TEST_F(Sweep, AStartWithAThousandLiveSignInsOutstandingReadsNoneOfThem) {
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(authorize().ok());
  ASSERT_EQ(count("pending/"), 1000u);

  // Another engine on the same store (another process) has not swept yet: it lists the first
  // index entries, and only those.
  engine = testing::make_other_engine();
  auto s = authorize();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(read_under("pending/"), 0u);         // no live sign-in was read
  EXPECT_EQ(read_under("expiry/pending/"), 8u);  // only the first index entries, which are empty
  // The provider, the app, the first index entries, the new entry, the new record: five.
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0].effect.key, "provider/acme");
  EXPECT_EQ(seen[1].effect.key, "app/acme");
  EXPECT_EQ(seen[2].effect.kind, EffectKind::store_list);
  EXPECT_EQ(seen[2].effect.prefix, "expiry/pending/");
  EXPECT_EQ(seen[2].effect.limit, 8u);
  EXPECT_EQ(seen[3].effect.kind, EffectKind::store_put);
  EXPECT_EQ(seen[3].effect.key, detail::expiry_index_key(detail::pending_key(s->state), host.now_ms + kTtl));
  EXPECT_EQ(seen[4].effect.kind, EffectKind::store_cas);
  EXPECT_EQ(seen[4].effect.key, detail::pending_key(s->state));
  for (const auto& rec : seen[2].answer.records) EXPECT_EQ(rec.value, "");
  EXPECT_EQ(kinds(EffectKind::store_delete), 0u);  // nothing has expired
  EXPECT_EQ(count("pending/"), 1001u);
  EXPECT_EQ(count("expiry/pending/"), 1001u);
}

TEST_F(Sweep, UntilTheFirstLiveSignInMayHaveExpiredAStartDoesNotSweep) {
  const std::int64_t t0 = host.now_ms;
  ASSERT_TRUE(authorize().ok());  // an empty index: listed
  EXPECT_EQ(kinds(EffectKind::store_list), 1u);
  host.now_ms = t0 + 1000;
  ASSERT_TRUE(authorize().ok());  // the first sign-in is live: listed, and skipped for a minute
  EXPECT_EQ(kinds(EffectKind::store_list), 1u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(authorize().ok());
    // provider, app, new entry, new record: no listing
    ASSERT_EQ(seen.size(), 4u);
    EXPECT_EQ(kinds(EffectKind::store_list), 0u);
  }
  host.now_ms = t0 + 1000 + 60 * 1000;  // a minute on: still skipped, at the very end of it
  ASSERT_TRUE(authorize().ok());
  EXPECT_EQ(kinds(EffectKind::store_list), 0u);
  host.now_ms += 1;  // past it: listed again, the first one still live, nothing removed
  ASSERT_TRUE(authorize().ok());
  EXPECT_EQ(kinds(EffectKind::store_list), 1u);
  EXPECT_EQ(kinds(EffectKind::store_delete), 0u);
  host.now_ms = t0 + kTtl + 1;  // the first one has expired
  ASSERT_TRUE(authorize().ok());
  EXPECT_EQ(kinds(EffectKind::store_list), 1u);
  EXPECT_EQ(kinds(EffectKind::store_delete), 2u);  // it and its entry
  EXPECT_EQ(count("pending/"), 9u);
}

TEST_F(Sweep, AnIndexEntryFarInTheFutureDelaysTheSweepByAMinuteAtMost) {
  // An entry edited by hand (or written with a clock in microseconds) as the only live one.
  host.store.records["expiry/pending/09000000000000000000/zz"] = StoreRecord{"expiry/pending/09000000000000000000/zz", "", host.store.next_version++};
  ASSERT_TRUE(authorize().ok());
  EXPECT_EQ(kinds(EffectKind::store_list), 1u);
  for (int i = 0; i < 19; ++i) ASSERT_TRUE(authorize().ok());
  host.now_ms += kTtl + 1;  // all 20 real ones expired
  ASSERT_TRUE(authorize().ok());
  EXPECT_EQ(kinds(EffectKind::store_list), 1u);
  EXPECT_EQ(kinds(EffectKind::store_delete), 16u);
}

TEST_F(Sweep, AFailedRemovalIsTriedAgainAtTheNextStart) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(authorize().ok());
  host.now_ms += kTtl / 2;
  ASSERT_TRUE(authorize().ok());
  host.now_ms += kTtl / 2 + 1;  // the first five expired, the sixth is live
  fail_deletes = true;
  ASSERT_TRUE(authorize().ok());  // a failed removal does not fail the start
  EXPECT_EQ(kinds(EffectKind::store_list), 1u);
  EXPECT_EQ(count("pending/"), 7u);
  fail_deletes = false;
  ASSERT_TRUE(authorize().ok());
  EXPECT_EQ(kinds(EffectKind::store_list), 1u);
  EXPECT_EQ(kinds(EffectKind::store_delete), 10u);
  EXPECT_EQ(count("pending/"), 3u);
}

TEST_F(Sweep, AHostThatIgnoresTheLimitStillCostsABoundedSweep) {
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(authorize().ok());
  host.now_ms += kTtl + 1;  // all 30 expired
  ASSERT_TRUE(authorize(/*ignore_limit=*/true).ok());
  EXPECT_EQ(seen[2].answer.records.size(), 30u);  // the host answered them all
  EXPECT_EQ(kinds(EffectKind::store_delete), 16u);  // 8 records and their 8 entries
  EXPECT_EQ(count("pending/"), 30u - 8u + 1u);
  EXPECT_EQ(count("expiry/pending/"), 30u - 8u + 1u);
}

TEST_F(Sweep, ExpiredSignInsGoEightPerStartAndAllEventually) {
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(authorize().ok());
  host.now_ms += kTtl + 1;

  ASSERT_TRUE(authorize().ok());
  // provider, app, list, 8 × (record, entry), new entry, new record
  EXPECT_EQ(seen.size(), 21u);
  EXPECT_EQ(kinds(EffectKind::store_delete), 16u);
  EXPECT_EQ(read_under("pending/"), 0u);  // expired ones are removed without being read either
  EXPECT_EQ(count("pending/"), 13u);      // 12 expired + 1 live
  EXPECT_EQ(count("expiry/pending/"), 13u);

  ASSERT_TRUE(authorize().ok());
  EXPECT_EQ(count("pending/"), 6u);  // 4 expired + 2 live
  ASSERT_TRUE(authorize().ok());
  EXPECT_EQ(count("pending/"), 3u);  // the 3 live ones
  EXPECT_EQ(count("expiry/pending/"), 3u);
  EXPECT_EQ(kinds(EffectKind::store_delete), 8u);  // the last 4 and their entries

  ASSERT_TRUE(authorize().ok());
  EXPECT_EQ(kinds(EffectKind::store_delete), 0u);
  EXPECT_EQ(count("pending/"), 4u);
}

TEST_F(Sweep, TheSweepStopsAtTheFirstLiveSignIn) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(authorize().ok());
  host.now_ms += kTtl / 2;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(authorize().ok());
  host.now_ms += kTtl / 2 + 1;  // the first five expired, the next five have half their time left

  ASSERT_TRUE(authorize().ok());
  EXPECT_EQ(kinds(EffectKind::store_delete), 10u);  // the five expired and their entries only
  EXPECT_EQ(count("pending/"), 6u);
  for (const auto& [key, rec] : host.store.records) {
    if (key.rfind("pending/", 0) != 0) continue;
    auto p = detail::pending_from_json(rec.value);
    ASSERT_TRUE(p.ok());
    EXPECT_GT(p->expires_at_ms, host.now_ms) << key;
  }
}

TEST_F(Sweep, TheCallbackFindsItsSignInAmongManyAndTheSweepTakesItAfterExpiry) {
  ASSERT_TRUE(authorize().ok());
  host.now_ms += 1;  // so these two are the first to expire
  const std::string state = authorize()->state;
  host.now_ms += 1;
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(authorize().ok());
  host.http = [](const HttpRequest&) {
    return respond(200, R"({"access_token":"A1","token_type":"Bearer","expires_in":3600,"scope":"read"})");
  };
  auto c = host.run(engine->complete_callback(
      {"alice", "http://127.0.0.1:8765/callback?code=abc&state=" + state + "&iss=https%3A%2F%2Fauth.acme.test"}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  // Consumed, it stays until it expires, so a replay is told apart from a stranger's state.
  auto replay = host.run(engine->complete_callback(
      {"alice", "http://127.0.0.1:8765/callback?code=abc&state=" + state + "&iss=https%3A%2F%2Fauth.acme.test"}));
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().code, ErrorCode::state_reused);
  const std::string key = detail::pending_key(state);
  ASSERT_EQ(host.store.records.count(key), 1u);

  host.now_ms += kTtl + 1;
  ASSERT_TRUE(authorize().ok());  // the first 8 to expire: the one started before it, then it
  EXPECT_EQ(host.store.records.count(key), 0u);
  EXPECT_EQ(count("pending/"), 202u - 8u + 1u);
}

// ---- device codes --------------------------------------------------------------------------

struct DeviceSweep : Sweep {
  void SetUp() override {
    Sweep::SetUp();
    std::string def = testing::kAcmeProvider;
    const std::string anchor = "\"token_endpoint\":";
    def.insert(def.find(anchor), "\"device_authorization_endpoint\": \"https://auth.acme.test/device\",\n  ");
    auto p = host.run(engine->update_provider(def));
    ASSERT_TRUE(p.ok()) << p.error().message;
    host.http = [this](const HttpRequest& r) -> EffectResult {
      if (r.url == "https://auth.acme.test/device") {
        return respond(200, R"({"device_code":"DC)" + std::to_string(++codes) +
                                R"(","user_code":"WDJB-MJHT","verification_uri":"https://auth.acme.test/device",)"
                                R"("expires_in":600,"interval":5})");
      }
      return respond(200, R"({"access_token":"A1","token_type":"Bearer","expires_in":3600,"scope":"read"})");
    };
  }

  Result<DeviceAuthorization> start(bool ignore_limit = false) {
    DeviceRequest r;
    r.principal = "alice";
    r.provider = "acme";
    return logged(engine->device_authorize(r), ignore_limit);
  }

  int codes = 0;
};

TEST_F(DeviceSweep, AStartWithAThousandLiveCodesOutstandingReadsNoneOfThem) {
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(start().ok());
  ASSERT_EQ(count("device/"), 1000u);
  engine = testing::make_other_engine();  // another process's engine, which has not swept yet
  auto s = start();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(read_under("device/"), 0u);
  EXPECT_EQ(read_under("expiry/device/"), 8u);
  ASSERT_EQ(seen.size(), 5u);  // provider, app, list, new entry, new record
  EXPECT_EQ(seen[2].effect.prefix, "expiry/device/");
  EXPECT_EQ(seen[2].effect.limit, 8u);
  EXPECT_EQ(seen[3].effect.key, detail::expiry_index_key(detail::device_key(s->handle), s->expires_at_ms));
  EXPECT_EQ(seen[4].effect.key, detail::device_key(s->handle));
  EXPECT_EQ(count("device/"), 1001u);
}

TEST_F(DeviceSweep, ExpiredCodesGoEightPerStartAndAFinishedOnesEntryGoesAfterExpiry) {
  auto done = start();
  ASSERT_TRUE(done.ok());
  host.now_ms += 5000;
  auto c = host.run(engine->device_poll({"alice", done->handle}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(count("device/"), 0u);         // the code is spent: its record went at once
  EXPECT_EQ(count("expiry/device/"), 1u);  // its entry waits for the sweep
  for (int i = 0; i < 11; ++i) ASSERT_TRUE(start().ok());

  host.now_ms += 600 * 1000 + 1;
  ASSERT_TRUE(start().ok());
  EXPECT_EQ(kinds(EffectKind::store_delete), 16u);
  EXPECT_EQ(count("device/"), 11u - 7u + 1u);  // the finished one's entry was the first of the 8
  EXPECT_EQ(count("expiry/device/"), 12u - 8u + 1u);
  ASSERT_TRUE(start().ok());
  EXPECT_EQ(count("device/"), 2u);
  EXPECT_EQ(count("expiry/device/"), 2u);
}

}  // namespace
}  // namespace latchkey
