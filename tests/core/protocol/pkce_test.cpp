#include <gtest/gtest.h>

#include "latchkey/pkce.hpp"

namespace latchkey {
namespace {

// RFC 7636 Appendix B: the 32 octets, the verifier they encode to, and its S256 challenge.
const unsigned char kAppendixBOctets[32] = {116, 24,  223, 180, 151, 153, 224, 37,  79,  250, 96,
                                            125, 216, 173, 187, 186, 22,  212, 37,  77,  105, 214,
                                            191, 240, 91,  88,  5,   88,  83,  132, 141, 121};
constexpr const char* kAppendixBVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* kAppendixBChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

TEST(Pkce, Rfc7636AppendixBVerifierFromOctets) {
  std::string octets(reinterpret_cast<const char*>(kAppendixBOctets), 32);
  auto v = pkce_verifier_from_random(octets);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, kAppendixBVerifier);
}

TEST(Pkce, Rfc7636AppendixBChallenge) { EXPECT_EQ(pkce_challenge_s256(kAppendixBVerifier), kAppendixBChallenge); }

TEST(Pkce, VerifierLengthBounds) {
  EXPECT_FALSE(check_pkce_verifier(std::string(42, 'a')).ok());
  EXPECT_TRUE(check_pkce_verifier(std::string(43, 'a')).ok());
  EXPECT_TRUE(check_pkce_verifier(std::string(128, 'a')).ok());
  EXPECT_FALSE(check_pkce_verifier(std::string(129, 'a')).ok());
}

TEST(Pkce, VerifierCharacterSet) {
  EXPECT_TRUE(check_pkce_verifier(std::string(40, 'A') + "-._~").ok());
  EXPECT_FALSE(check_pkce_verifier(std::string(43, 'a') + "+").ok());
  EXPECT_FALSE(check_pkce_verifier(std::string(43, 'a') + "=").ok());
  EXPECT_EQ(check_pkce_verifier(std::string(43, '/')).error().code, ErrorCode::invalid_request);
}

TEST(Pkce, VerifierFromRandomNeedsEnoughEntropy) {
  EXPECT_FALSE(pkce_verifier_from_random(std::string(31, 'x')).ok());
  auto longest = pkce_verifier_from_random(std::string(200, 'x'));
  ASSERT_TRUE(longest.ok());
  EXPECT_EQ(longest->size(), 128u);  // capped at the RFC maximum
  EXPECT_TRUE(check_pkce_verifier(*longest).ok());
}

}  // namespace
}  // namespace latchkey
