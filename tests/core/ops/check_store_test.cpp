// check_store: every sealed secret of every record opened under the engine's keys, records
// counted by kind, and the records that do not open named by key — never by value.
#include <gtest/gtest.h>

#include "records.hpp"
#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::AcmeTest;

struct CheckStoreTest : AcmeTest {
  std::string conn_key() { return detail::connection_key(ref); }

  /// Replaces member `field` of the JSON record `key` with `value`, as an edit of the store would.
  void set_member(const std::string& key, const std::string& field, const std::string& value) {
    std::string& text = host.store.records.at(key).value;
    const std::string start = "\"" + field + "\":\"";
    auto at = text.find(start);
    ASSERT_NE(at, std::string::npos) << key << " has no " << field;
    at += start.size();
    text.replace(at, text.find('"', at) - at, value);
  }
  std::string member(const std::string& key, const std::string& field) {
    const std::string& text = host.store.records.at(key).value;
    const std::string start = "\"" + field + "\":\"";
    auto at = text.find(start) + start.size();
    return text.substr(at, text.find('"', at) - at);
  }
};

TEST_F(CheckStoreTest, CountsRecordsByKindAndOpensEverySecret) {
  connect();
  host.store.records["gwkey/abc"] = StoreRecord{"gwkey/abc", "{\"principal\":\"alice\"}", 1};
  auto before = host.store.records;
  auto r = host.run(engine->check_store());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::map<std::string, int> expected{{"app", 1}, {"conn", 1}, {"expiry", 1},
                                            {"gwkey", 1}, {"pending", 1}, {"provider", 1}};
  EXPECT_EQ(r->records, expected);
  // The app's client secret, the sign-in's code verifier, the access and refresh tokens.
  EXPECT_EQ(r->opened, 4);
  EXPECT_TRUE(r->failed.empty());
  // Read only.
  ASSERT_EQ(host.store.records.size(), before.size());
  for (const auto& [k, v] : before) EXPECT_EQ(host.store.records.at(k).version, v.version) << k;
}

TEST_F(CheckStoreTest, NamesARecordWhoseSecretWasAlteredByKeyAndField) {
  connect();
  std::string sealed = member(conn_key(), "access_token");
  // One hex digit of the ciphertext changed, as a one-byte edit of the store would.
  char& c = sealed[sealed.size() - 40];
  c = c == '0' ? '1' : '0';
  set_member(conn_key(), "access_token", sealed);
  auto r = host.run(engine->check_store());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].key, "conn/alice/acme/default");
  EXPECT_EQ(r->failed[0].problem.rfind("access_token does not open", 0), 0u) << r->failed[0].problem;
  EXPECT_EQ(r->failed[0].problem.find(sealed), std::string::npos);
  EXPECT_EQ(r->opened, 2);  // the app's secret and the code verifier; the connection stopped at its first field
}

TEST_F(CheckStoreTest, ASecretMovedToAnotherRecordDoesNotOpenThere) {
  connect();
  // A well-formed sealed value, but sealed for the app record's client_secret.
  set_member(conn_key(), "refresh_token", member("app/acme", "client_secret"));
  auto r = host.run(engine->check_store());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].key, "conn/alice/acme/default");
  EXPECT_EQ(r->failed[0].problem.rfind("refresh_token does not open", 0), 0u) << r->failed[0].problem;
}

TEST_F(CheckStoreTest, ARecordThatIsNotJsonFailsAndOthersAreStillChecked) {
  connect();
  host.store.records.at("app/acme").value = "{\"client_secret\":";
  host.store.records["conn/bob/acme/default"] = StoreRecord{"conn/bob/acme/default", "{\"access_token\":7}", 1};
  auto r = host.run(engine->check_store());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->failed.size(), 2u);
  EXPECT_EQ(r->failed[0].key, "app/acme");
  EXPECT_EQ(r->failed[0].problem, "not a JSON object");
  EXPECT_EQ(r->failed[1].key, "conn/bob/acme/default");
  EXPECT_EQ(r->failed[1].problem, "access_token is not a string");
  EXPECT_EQ(r->records.at("conn"), 2);
  EXPECT_EQ(r->opened, 3);  // alice's two tokens and the code verifier
}

TEST_F(CheckStoreTest, UnderAnotherKeyEverySealedRecordFails) {
  connect();
  EngineConfig wrong;
  wrong.master_keys = {{1, std::string(32, 'w')}};
  auto r = host.run(testing::make_engine(wrong)->check_store());
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::vector<std::string> keys;
  for (const auto& f : r->failed) keys.push_back(f.key);
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0], "app/acme");
  EXPECT_EQ(keys[1], "conn/alice/acme/default");
  EXPECT_EQ(keys[2].rfind("pending/", 0), 0u);
  EXPECT_EQ(r->opened, 0);
}

TEST_F(CheckStoreTest, AfterARotationTheOldAndNewKeysOpenTheirOwnSecrets) {
  connect();
  auto rotated = testing::make_rotated_engine();
  auto resealed = host.run(rotated->reseal());
  ASSERT_TRUE(resealed.ok());
  EXPECT_TRUE(host.run(rotated->check_store())->failed.empty());
  // The new key alone opens what was re-sealed: everything.
  auto only_new = host.run(testing::make_rotated_engine(false)->check_store());
  ASSERT_TRUE(only_new.ok());
  EXPECT_TRUE(only_new->failed.empty());
  EXPECT_EQ(only_new->opened, 4);
  // The old key alone no longer opens any of it.
  EXPECT_EQ(host.run(engine->check_store())->failed.size(), 3u);
}

TEST_F(CheckStoreTest, AStoreFailureIsAStorageError) {
  host.store.fail_with = "disk gone";
  auto r = host.run(engine->check_store());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::storage);
}

}  // namespace
}  // namespace latchkey
