// core/src/base/crypto.hpp against published test vectors (FIPS 180-2, RFC 4231, RFC 2202,
// RFC 4648, McGrew & Viega's GCM specification). Expected values come from those documents.
#include <gtest/gtest.h>

#include <string>

#include "crypto.hpp"

namespace latchkey::detail {
namespace {

std::string unhex(std::string_view h) {
  std::string out;
  EXPECT_TRUE(hex_decode(h, &out)) << h;
  return out;
}

TEST(Crypto, HexIsLowerCaseBothWays) {
  EXPECT_EQ(hex_encode(std::string("\x00\x0f\xa0\xff", 4)), "000fa0ff");
  std::string out;
  ASSERT_TRUE(hex_decode("000fa0ff", &out));
  EXPECT_EQ(out, std::string("\x00\x0f\xa0\xff", 4));
  EXPECT_FALSE(hex_decode("0F", &out));   // one spelling per value
  EXPECT_FALSE(hex_decode("abc", &out));  // odd length
  EXPECT_FALSE(hex_decode("zz", &out));
}

TEST(Crypto, Sha256Fips180Abc) {
  EXPECT_EQ(hex_encode(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // FIPS 180-2 appendix B.2, the two-block message.
  EXPECT_EQ(hex_encode(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex_encode(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Crypto, HmacSha256Rfc4231) {
  // Test case 1.
  EXPECT_EQ(hex_encode(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2.
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HmacSha1Rfc2202) {
  EXPECT_EQ(hex_encode(hmac_sha1(std::string(20, '\x0b'), "Hi There")), "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(hex_encode(hmac_sha1("Jefe", "what do ya want for nothing?")), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(Crypto, Base64Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Crypto, Base64DecodeRejectsNonCanonicalInput) {
  for (const char* bad : {"Zg", "Zm9vY", "Zm9v!", "Zm9v\n", "Zm9v ", " Zm9v", "Zm 9v", "Zg=a", "Z===", "=Zm9",
                          "Zm9v====", "Zm-_", "Zm9\xc3\xa9"}) {
    EXPECT_FALSE(base64_decode(bad).ok()) << "accepted '" << bad << "'";
  }
}

TEST(Crypto, Base64UrlRoundTrip) {
  // RFC 4648 §5: '-' and '_' replace '+' and '/'; no padding on output.
  const std::string bytes = "\xfb\xff\xbf";
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  // Decoding takes the URL-safe alphabet with or without padding.
  const std::pair<const char*, const char*> decodes[] = {{"Zg", "f"}, {"Zg==", "f"}, {"Zm8", "fo"}, {"Zm8=", "fo"}};
  for (const auto& [text, plain] : decodes) {
    auto d = base64url_decode(text);
    ASSERT_TRUE(d.ok()) << text;
    EXPECT_EQ(*d, plain);
  }
  auto d = base64url_decode("-_-_");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, bytes);
  // Every byte value survives a round trip.
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  auto back = base64url_decode(base64url_encode(all));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(Crypto, Base64UrlDecodeRejectsBadCharacters) {
  for (const char* bad : {"+/+/", "ab+c", "ab/c", "ab*c", "ab c", "abc\n", "ab\r\ncd", "ab.c", "a", "abcde",
                          "ab=c", "\xc3\xa9\xc3\xa9"}) {
    EXPECT_FALSE(base64url_decode(bad).ok()) << "accepted '" << bad << "'";
  }
}

TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("state-1234", "state-1234"));
  EXPECT_FALSE(constant_time_equal("state-1234", "state-1235"));
  EXPECT_FALSE(constant_time_equal("xtate-1234", "state-1234"));
  EXPECT_FALSE(constant_time_equal("state-1234", "state-12345"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

// McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, 60-byte
// plaintext, 20-byte AAD, 96-bit IV).
const char* kGcmKey = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
const char* kGcmIv = "cafebabefacedbaddecaf888";
const char* kGcmAad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
const char* kGcmPlain =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
const char* kGcmCipher =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
const char* kGcmTag = "76fc6ece0f4e1768cddf8853bb2d551b";

TEST(Crypto, Aes256GcmSpecTestCase16) {
  std::string sealed = aes256gcm_seal(unhex(kGcmKey), unhex(kGcmIv), unhex(kGcmAad), unhex(kGcmPlain));
  EXPECT_EQ(hex_encode(sealed), std::string(kGcmCipher) + kGcmTag);
  auto opened = aes256gcm_open(unhex(kGcmKey), unhex(kGcmIv), unhex(kGcmAad), unhex(std::string(kGcmCipher) + kGcmTag));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(hex_encode(*opened), kGcmPlain);
}

TEST(Crypto, Aes256GcmRoundTripAndTamperDetection) {
  const std::string key(32, 'k');
  const std::string nonce(12, 'n');
  const std::string plain = "refresh-token-\x00-\xff-value";
  std::string sealed = aes256gcm_seal(key, nonce, "conn:github:alice", plain);
  ASSERT_EQ(sealed.size(), plain.size() + 16);
  EXPECT_NE(sealed.substr(0, plain.size()), plain);

  auto opened = aes256gcm_open(key, nonce, "conn:github:alice", sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, plain);

  // Empty plaintext: just a tag.
  std::string empty = aes256gcm_seal(key, nonce, "", "");
  EXPECT_EQ(empty.size(), 16u);
  auto opened_empty = aes256gcm_open(key, nonce, "", empty);
  ASSERT_TRUE(opened_empty.ok());
  EXPECT_EQ(*opened_empty, "");

  // Any flipped bit (tag or ciphertext), other AAD, key or nonce: refused with a crypto error.
  for (std::size_t i : {std::size_t{0}, plain.size() - 1, plain.size(), sealed.size() - 1}) {
    std::string t = sealed;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    auto r = aes256gcm_open(key, nonce, "conn:github:alice", t);
    ASSERT_FALSE(r.ok()) << "flip at " << i;
    EXPECT_EQ(r.error().code, ErrorCode::crypto);
  }
  EXPECT_FALSE(aes256gcm_open(key, nonce, "conn:github:bob", sealed).ok());
  EXPECT_FALSE(aes256gcm_open(std::string(32, 'K'), nonce, "conn:github:alice", sealed).ok());
  EXPECT_FALSE(aes256gcm_open(key, std::string(12, 'N'), "conn:github:alice", sealed).ok());
  EXPECT_FALSE(aes256gcm_open(key, nonce, "conn:github:alice", sealed.substr(0, 15)).ok());
  EXPECT_FALSE(aes256gcm_open(std::string(16, 'k'), nonce, "conn:github:alice", sealed).ok());
}

TEST(Crypto, DrbgIsDeterministicPerSeed) {
  const std::string seed_a(32, 'a');
  const std::string seed_b = std::string(31, 'a') + 'b';
  auto a1 = Drbg::create(seed_a);
  auto a2 = Drbg::create(seed_a);
  auto b = Drbg::create(seed_b);
  ASSERT_TRUE(a1.ok() && a2.ok() && b.ok());
  std::string x1 = (*a1)->bytes(48);
  std::string x2 = (*a2)->bytes(48);
  ASSERT_EQ(x1.size(), 48u);
  EXPECT_EQ(x1, x2);
  EXPECT_NE((*b)->bytes(48), x1);
  // The stream moves on, and large requests (over one CTR-DRBG request) work.
  EXPECT_NE((*a1)->bytes(48), x1);
  EXPECT_EQ((*a1)->bytes(5000).size(), 5000u);
  EXPECT_EQ((*a1)->bytes(0), "");

  // Extra seed bytes beyond 32 count too.
  auto c1 = Drbg::create(seed_a + "more");
  auto c2 = Drbg::create(seed_a + "mord");
  ASSERT_TRUE(c1.ok() && c2.ok());
  EXPECT_NE((*c1)->bytes(32), (*c2)->bytes(32));

  // add_entropy changes what follows, deterministically.
  auto d1 = Drbg::create(seed_a);
  auto d2 = Drbg::create(seed_a);
  ASSERT_TRUE(d1.ok() && d2.ok());
  (*d1)->add_entropy("host entropy");
  (*d2)->add_entropy("host entropy");
  std::string y1 = (*d1)->bytes(32);
  EXPECT_EQ(y1, (*d2)->bytes(32));
  EXPECT_NE(y1, x1.substr(0, 32));
}

TEST(Crypto, DrbgRefusesShortSeeds) {
  for (std::size_t n : {0, 1, 16, 31}) {
    auto d = Drbg::create(std::string(n, 's'));
    ASSERT_FALSE(d.ok()) << n;
    EXPECT_EQ(d.error().code, ErrorCode::invalid_request);
  }
  EXPECT_TRUE(Drbg::create(std::string(32, 's')).ok());
  EXPECT_TRUE(Drbg::create(std::string(1000, 's')).ok());
}

}  // namespace
}  // namespace latchkey::detail
