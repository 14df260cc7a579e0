// OAuth 1.0a signing: RFC 5849's own example, §3.6 encoding, parameter normalization, the body
// hash, and each signature method (RSA-SHA1 checked with mbedTLS's verify on a fresh key).
#include <gtest/gtest.h>

#include <mbedtls/pk.h>

#include "crypto.hpp"
#include "oauth1_signature.hpp"
#include "steps.hpp"
#include "support/fake_host.hpp"
#include "support/test_keys.hpp"
#include "url.hpp"

namespace latchkey {
namespace {

using namespace detail;

using testing::drbg;

// RFC 5849 §3.4.1.1: POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b with body "c2&a3=2+q".
constexpr const char* kRfcUrl = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b";
const Params kRfcOAuth = {{"realm", "Example"},
                          {"oauth_consumer_key", "9djdj82h48djs9d2"},
                          {"oauth_token", "kkk9d7dh3k39sjv7"},
                          {"oauth_signature_method", "HMAC-SHA1"},
                          {"oauth_timestamp", "137131201"},
                          {"oauth_nonce", "7d8f3e4a"},
                          {"oauth_signature", "bYT5CMsGcbgUdFHObYMEfcx6bsw="}};
constexpr const char* kRfcBaseString =
    "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%"
    "3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_"
    "timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7";

Params rfc_body() {
  auto b = detail::decode_form("c2&a3=2+q");
  if (!b) std::abort();
  return *b;
}

TEST(OAuth1Signature, Rfc5849BaseStringExample) {
  auto base = signature_base_string("POST", kRfcUrl, rfc_body(), kRfcOAuth);
  ASSERT_TRUE(base.ok()) << base.error().message;
  EXPECT_EQ(*base, kRfcBaseString);
  EXPECT_EQ(base->size(), 281u);
}

TEST(OAuth1Signature, Rfc5849SignatureWithTheErratum) {
  // §3.1 prints bYT5CMsGcbgUdFHObYMEfcx6bsw=, which does not match the printed base string (a
  // known erratum); this is HMAC-SHA1 of that 281-character string under the example's secrets.
  OAuth1Credentials c;
  c.consumer_secret = "j49sk3j29djd";
  c.token_secret = "dh893hdasih9";
  auto d = drbg();
  auto sig = oauth1_signature(c, kRfcBaseString, *d);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, "r6/TJjbCOr97/+UU0NsvSne7s5g=");
  EXPECT_NE(*sig, "bYT5CMsGcbgUdFHObYMEfcx6bsw=");
}

TEST(OAuth1Signature, PercentEncodingPerSection3_6) {
  EXPECT_EQ(oauth1_encode("abcABC123-._~"), "abcABC123-._~");  // unreserved stay
  EXPECT_EQ(oauth1_encode(" "), "%20");                         // never '+'
  EXPECT_EQ(oauth1_encode("+"), "%2B");
  EXPECT_EQ(oauth1_encode("*"), "%2A");
  EXPECT_EQ(oauth1_encode("!'()"), "%21%27%28%29");
  EXPECT_EQ(oauth1_encode("=&%/:?"), "%3D%26%25%2F%3A%3F");
  EXPECT_EQ(oauth1_encode("\xc3\xa9"), "%C3%A9");  // UTF-8 bytes, upper-case hex
  EXPECT_EQ(oauth1_encode(std::string("\0", 1)), "%00");
}

TEST(OAuth1Signature, DuplicatesSortByNameThenEncodedValue) {
  Params p = {{"b", "2"}, {"a", "z"}, {"a", "10"}, {"a", "1"}, {"a", "a b"}, {"a%", "x"}, {"a", ""}};
  // Encoded "a b" is "a%20b"; "a%" encodes to "a%25" and sorts after "a" ("a" < "a%25").
  EXPECT_EQ(normalize_parameters(p), "a=&a=1&a=10&a=a%20b&a=z&a%25=x&b=2");
}

TEST(OAuth1Signature, BaseStringUri) {
  EXPECT_EQ(*base_string_uri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123"), "http://example.com/r%20v/X");
  EXPECT_EQ(*base_string_uri("https://www.example.net:8080/?q=1"), "https://www.example.net:8080/");
  EXPECT_EQ(*base_string_uri("https://example.net:443"), "https://example.net/");
  EXPECT_EQ(*base_string_uri("http://127.0.0.1:8080/x#frag"), "http://127.0.0.1:8080/x");
  EXPECT_FALSE(base_string_uri("/relative").ok());
}

TEST(OAuth1Signature, PlaintextIsTheEncodedKey) {
  OAuth1Credentials c;
  c.method = SignatureMethod::plaintext;
  c.consumer_secret = "s&cret";
  c.token_secret = "";
  auto d = drbg();
  EXPECT_EQ(*oauth1_signature(c, "ignored", *d), "s%26cret&");
  c.token_secret = "t s";
  EXPECT_EQ(*oauth1_signature(c, "ignored", *d), "s%26cret&t%20s");
}

TEST(OAuth1Signature, HmacSha256UsesTheSameKey) {
  OAuth1Credentials c;
  c.method = SignatureMethod::hmac_sha256;
  c.consumer_secret = "j49sk3j29djd";
  c.token_secret = "dh893hdasih9";
  auto d = drbg();
  // Computed apart from this code, over the same base string and key:
  //   python3 -c 'import hmac,hashlib,base64; b="<kRfcBaseString>"; print(base64.b64encode(
  //     hmac.new(b"j49sk3j29djd&dh893hdasih9", b.encode(), hashlib.sha256).digest()).decode())'
  EXPECT_EQ(*oauth1_signature(c, kRfcBaseString, *d), "lIfydhbOitvsm4DvUwgM0NdR1Mzd08HnXI+q+EG0QKo=");
}

TEST(OAuth1Signature, BodyHash) {
  // SHA-1 of the empty string and of "Hello World!" (the body hash draft's example).
  EXPECT_EQ(oauth1_body_hash(SignatureMethod::hmac_sha1, ""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
  EXPECT_EQ(oauth1_body_hash(SignatureMethod::hmac_sha1, "Hello World!"), "Lve95gjOVATpfV8EL5X4nxwjKHE=");
  EXPECT_EQ(oauth1_body_hash(SignatureMethod::hmac_sha256, ""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

// Recomputes the signature the way a server would, from what is on the wire.
std::string server_side_base(const HttpRequest& req, const std::map<std::string, std::string>& oauth) {
  Params op(oauth.begin(), oauth.end());
  Params body;
  if (const std::string* ct = find_header(req.headers, "content-type"); ct && *ct == "application/x-www-form-urlencoded") {
    body = *detail::decode_form(req.body);
  }
  return *signature_base_string(req.method, req.url, body, op);
}

TEST(OAuth1Signature, SignsARequestInPlace) {
  HttpRequest req;
  req.method = "post";
  req.url = "https://api.example.org/1/statuses?include=a+b&x=%2A";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"authorization", "Bearer caller's"}};
  req.body = "status=Hello%20Ladies%20%2b%20Gentlemen&x=1";
  OAuth1Credentials c{SignatureMethod::hmac_sha1, "ck", "cs", "tok", "ts"};
  auto d = drbg();
  ASSERT_TRUE(sign_oauth1_request(req, c, {}, 1700000000123, *d).ok());
  int auth_headers = 0;
  for (const auto& h : req.headers) auth_headers += find_header({h}, "authorization") != nullptr;
  EXPECT_EQ(auth_headers, 1);  // the caller's was replaced
  auto o = testing::oauth_header_fields(req);
  EXPECT_EQ(o["oauth_consumer_key"], "ck");
  EXPECT_EQ(o["oauth_token"], "tok");
  EXPECT_EQ(o["oauth_signature_method"], "HMAC-SHA1");
  EXPECT_EQ(o["oauth_timestamp"], "1700000000");
  EXPECT_EQ(o["oauth_version"], "1.0");
  EXPECT_EQ(o["oauth_nonce"].size(), 24u);
  EXPECT_EQ(o.count("oauth_body_hash"), 0u);  // never for form bodies
  std::string sig = o["oauth_signature"];
  o.erase("oauth_signature");
  std::string base = server_side_base(req, o);
  EXPECT_NE(base.find("status%3DHello%2520Ladies%2520%252B%2520Gentlemen"), std::string::npos) << base;
  EXPECT_NE(base.find("include%3Da%2520b"), std::string::npos) << base;
  EXPECT_EQ(sig, base64_encode(hmac_sha1("cs&ts", base)));
}

TEST(OAuth1Signature, NoncesDiffer) {
  auto d = drbg();
  OAuth1Credentials c{SignatureMethod::hmac_sha1, "ck", "cs", "", ""};
  HttpRequest a, b;
  a.url = b.url = "https://api.example.org/x";
  ASSERT_TRUE(sign_oauth1_request(a, c, {}, 0, *d).ok());
  ASSERT_TRUE(sign_oauth1_request(b, c, {}, 0, *d).ok());
  EXPECT_NE(testing::oauth_header_fields(a)["oauth_nonce"], testing::oauth_header_fields(b)["oauth_nonce"]);
  EXPECT_EQ(testing::oauth_header_fields(a).count("oauth_token"), 0u);  // no token yet: temporary credentials
}

TEST(OAuth1Signature, JsonBodyGetsABodyHashAndIsNotParsed) {
  HttpRequest req;
  req.method = "POST";
  req.url = "https://api.example.org/x";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = R"({"a=b":"c&d"})";
  OAuth1Credentials c{SignatureMethod::hmac_sha1, "ck", "cs", "tok", "ts"};
  auto d = drbg();
  ASSERT_TRUE(sign_oauth1_request(req, c, {}, 0, *d).ok());
  auto o = testing::oauth_header_fields(req);
  EXPECT_EQ(o["oauth_body_hash"], base64_encode(sha1(req.body)));
  std::string sig = o["oauth_signature"];
  o.erase("oauth_signature");
  std::string base = server_side_base(req, o);
  EXPECT_EQ(base.find("c%26d"), std::string::npos);  // the JSON is not a parameter
  EXPECT_EQ(sig, base64_encode(hmac_sha1("cs&ts", base)));

  // Changing the body changes the hash, hence the signature.
  HttpRequest other = req;
  other.headers = {{"Content-Type", "application/json"}};
  other.body = R"({"a=b":"X&d"})";
  ASSERT_TRUE(sign_oauth1_request(other, c, {}, 0, *d).ok());
  EXPECT_NE(testing::oauth_header_fields(other)["oauth_body_hash"], testing::oauth_header_fields(req)["oauth_body_hash"]);

  // PLAINTEXT signs nothing of the request, so a body hash would protect nothing.
  HttpRequest plain = other;
  plain.headers = {{"Content-Type", "application/json"}};
  c.method = SignatureMethod::plaintext;
  ASSERT_TRUE(sign_oauth1_request(plain, c, {}, 0, *d).ok());
  EXPECT_EQ(testing::oauth_header_fields(plain).count("oauth_body_hash"), 0u);
  EXPECT_EQ(testing::oauth_header_fields(plain)["oauth_signature"], "cs&ts");
}

using testing::make_rsa_key;
using testing::TestKey;

bool rsa_verifies(TestKey& key, const std::string& data, const std::string& signature) {
  std::string digest = sha1(data);
  return mbedtls_pk_verify(&key.pub, MBEDTLS_MD_SHA1, reinterpret_cast<const unsigned char*>(digest.data()),
                           digest.size(), reinterpret_cast<const unsigned char*>(signature.data()),
                           signature.size()) == 0;
}

TEST(OAuth1Signature, RsaSha1VerifiesWithThePublicKey) {
  auto d = drbg();
  TestKey key;
  make_rsa_key(key, *d);
  ASSERT_FALSE(key.private_pem.empty());
  OAuth1Credentials c;
  c.method = SignatureMethod::rsa_sha1;
  c.consumer_secret = key.private_pem;
  auto sig = oauth1_signature(c, kRfcBaseString, *d);
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  auto raw = base64_decode(*sig);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), 128u);
  EXPECT_TRUE(rsa_verifies(key, kRfcBaseString, *raw));
  EXPECT_FALSE(rsa_verifies(key, std::string(kRfcBaseString) + "x", *raw));
  // PKCS#1 v1.5 is deterministic: blinding must not change the signature.
  EXPECT_EQ(*oauth1_signature(c, kRfcBaseString, *d), *sig);
}

TEST(OAuth1Signature, RsaSha1RefusesAKeyThatIsNotOne) {
  OAuth1Credentials c;
  c.method = SignatureMethod::rsa_sha1;
  c.consumer_secret = "not a pem key";
  auto d = drbg();
  auto sig = oauth1_signature(c, "x", *d);
  ASSERT_FALSE(sig.ok());
  EXPECT_EQ(sig.error().code, ErrorCode::invalid_request);
  EXPECT_NE(sig.error().message.find("PEM"), std::string::npos);
  EXPECT_EQ(sig.error().message.find("not a pem key"), std::string::npos);  // never quotes the secret
}

}  // namespace
}  // namespace latchkey
