#include <gtest/gtest.h>

#include "crypto.hpp"
#include "seal.hpp"

namespace latchkey::detail {
namespace {

struct SealTest : ::testing::Test {
  void SetUp() override {
    auto d = Drbg::create(std::string(32, '\x11'));
    ASSERT_TRUE(d.ok());
    drbg = std::move(*d);
    auto s = Sealer::create({{1, std::string(32, 'k')}}, 1);
    ASSERT_TRUE(s.ok());
    sealer = std::move(*s);
  }
  std::unique_ptr<Drbg> drbg;
  Sealer sealer;
};

TEST_F(SealTest, RoundTrip) {
  std::string sealed = sealer.seal("conn/alice/github/default#access_token", "gho_secret", *drbg);
  EXPECT_EQ(sealed.rfind("lk1.1.", 0), 0u);
  EXPECT_EQ(sealed.find("gho_secret"), std::string::npos);
  auto opened = sealer.open("conn/alice/github/default#access_token", sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "gho_secret");
}

TEST_F(SealTest, FreshNonceEveryTime) {
  EXPECT_NE(sealer.seal("p", "same", *drbg), sealer.seal("p", "same", *drbg));
}

TEST_F(SealTest, FlippedBitIsDetected) {
  std::string sealed = sealer.seal("p", "token-value", *drbg);
  ASSERT_EQ(sealed.size(), 6 + 2 * (12 + 11 + 16));  // "lk1.1." + hex(nonce, ciphertext, tag)
  for (std::size_t i = 6; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] = tampered[i] == '0' ? '1' : '0';  // one nibble of nonce, ciphertext or tag
    auto r = sealer.open("p", tampered);
    ASSERT_FALSE(r.ok()) << "position " << i;
    EXPECT_EQ(r.error().code, ErrorCode::crypto);
  }
}

TEST_F(SealTest, MovedToAnotherRecordOrFieldFails) {
  std::string sealed = sealer.seal("conn/alice/github/default#refresh_token", "rt", *drbg);
  EXPECT_FALSE(sealer.open("conn/mallory/github/default#refresh_token", sealed).ok());  // other principal
  EXPECT_FALSE(sealer.open("conn/alice/gitlab/default#refresh_token", sealed).ok());    // other provider
  EXPECT_FALSE(sealer.open("conn/alice/github/work#refresh_token", sealed).ok());       // other account
  EXPECT_FALSE(sealer.open("conn/alice/github/default#access_token", sealed).ok());     // other field
}

TEST_F(SealTest, KeyVersionIsAuthenticated) {
  auto two = Sealer::create({{1, std::string(32, 'k')}, {2, std::string(32, 'k')}}, 2);
  ASSERT_TRUE(two.ok());
  std::string sealed = two->seal("p", "v", *drbg);
  ASSERT_EQ(Sealer::key_version(sealed), 2u);
  // Same key bytes under another version label must not open: the version is in the AAD.
  std::string relabelled = "lk1.1." + sealed.substr(6);
  EXPECT_FALSE(two->open("p", relabelled).ok());
}

TEST_F(SealTest, RotationKeepsOldRecordsReadable) {
  std::string old_sealed = sealer.seal("p", "old", *drbg);
  auto rotated = Sealer::create({{1, std::string(32, 'k')}, {2, std::string(32, 'n')}}, 2);
  ASSERT_TRUE(rotated.ok());
  auto opened = rotated->open("p", old_sealed);
  ASSERT_TRUE(opened.ok());
  std::string resealed = rotated->seal("p", *opened, *drbg);
  EXPECT_EQ(Sealer::key_version(resealed), 2u);
  auto only_new = Sealer::create({{2, std::string(32, 'n')}}, 2);
  ASSERT_TRUE(only_new.ok());
  EXPECT_TRUE(only_new->open("p", resealed).ok());
  auto missing = only_new->open("p", old_sealed);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("version 1"), std::string::npos);
}

TEST_F(SealTest, WrongKeyFails) {
  std::string sealed = sealer.seal("p", "v", *drbg);
  auto other = Sealer::create({{1, std::string(32, 'x')}}, 1);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->open("p", sealed).error().code, ErrorCode::crypto);
}

TEST_F(SealTest, GarbageIsRejectedNotCrashed) {
  for (const char* s : {"", "lk1.", "lk1.1.", "lk1.x.abc", "lk1.1.!!!!", "lk2.1.AAAA", "plaintext-token", "lk1.1.abc",
                        "lk1.1.ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01"}) {
    EXPECT_FALSE(sealer.open("p", s).ok()) << s;
  }
}

TEST(Sealer, RejectsBadKeys) {
  EXPECT_FALSE(Sealer::create({}, 1).ok());
  EXPECT_FALSE(Sealer::create({{1, std::string(16, 'k')}}, 1).ok());
  EXPECT_FALSE(Sealer::create({{1, std::string(32, 'k')}}, 2).ok());
  EXPECT_FALSE(Sealer::create({{0, std::string(32, 'k')}}, 0).ok());
}

}  // namespace
}  // namespace latchkey::detail
