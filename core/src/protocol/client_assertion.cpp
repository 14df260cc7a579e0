#include "client_assertion.hpp"

#include "json.hpp"

namespace latchkey::detail {

Result<std::string> make_client_assertion(const ClientAssertionInput& in, Drbg& drbg) {
  if (in.client_id.empty()) return make_error(ErrorCode::invalid_request, "the app has no client ID");
  if (in.private_key.empty()) {
    return make_error(ErrorCode::invalid_request,
                      "private_key_jwt needs the app's private key as its client secret: set it with `latchkey apps "
                      "upsert --auth-method private_key_jwt --client-secret-file key.pem`");
  }
  const std::int64_t iat = in.now_ms / 1000;
  json::Object claims;
  claims["iss"] = json::Value(in.client_id);
  claims["sub"] = json::Value(in.client_id);
  claims["aud"] = json::Value(in.audience);
  // Servers refuse a jti they have seen (replay detection): every assertion gets a fresh one.
  claims["jti"] = json::Value(base64url_encode(drbg.bytes(16)));
  claims["iat"] = json::num(iat);
  claims["exp"] = json::num(iat + kAssertionLifetimeS);
  const std::string payload = base64url_encode(json::serialize(json::Value(claims)));

  // The header names the algorithm, which the key decides.
  std::string signing_input;
  auto sig = jws_sign(
      in.private_key,
      [&](const std::string& alg) {
        json::Object h;
        h["alg"] = json::Value(alg);
        h["typ"] = json::Value(std::string("JWT"));
        if (!in.key_id.empty()) h["kid"] = json::Value(in.key_id);
        signing_input = base64url_encode(json::serialize(json::Value(h))) + "." + payload;
        return signing_input;
      },
      drbg);
  if (!sig) return sig.error();
  return signing_input + "." + base64url_encode(*sig);
}

}  // namespace latchkey::detail
