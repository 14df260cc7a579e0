#include "signed_client_secret.hpp"

#include "json.hpp"

namespace latchkey::detail {

namespace {

Error missing(const std::string& what) {
  return make_error(ErrorCode::invalid_request, "the signed client secret needs " + what);
}

}  // namespace

Result<std::string> make_signed_client_secret(const SignedClientSecretInput& in, Drbg& drbg) {
  const SignedClientSecret& rules = in.rules;
  const bool es256 = rules.algorithm == "ES256";
  const char* key_kind = es256 ? "an unencrypted PEM P-256 (prime256v1) EC private key, such as the .p8 file "
                                 "Apple gives"
                               : "an unencrypted PEM RSA private key";
  const std::string set_key =
      std::string(": set it with `latchkey apps upsert --client-secret-file ") + (es256 ? "key.p8`" : "key.pem`");
  if (in.client_id.empty()) return missing("the app's client ID (its sub claim)");
  if (in.key_id.empty()) {
    return missing("the ID of the app's signing key (its kid header): set it with `latchkey apps upsert --key-id "
                   "KEY_ID`");
  }
  if (in.private_key.empty()) {
    return missing(std::string("the app's private key as its client secret, ") + key_kind + set_key);
  }
  if (rules.issuer.empty()) return missing("an issuer (iss): the provider's signed_client_secret.issuer");
  if (rules.audience.empty()) return missing("an audience (aud): the provider's signed_client_secret.audience");
  if (!es256 && rules.algorithm != "RS256") {
    return make_error(ErrorCode::invalid_request, "signed_client_secret.algorithm must be \"ES256\" or \"RS256\"");
  }
  if (rules.lifetime_seconds < kMinSignedSecretLifetimeS || rules.lifetime_seconds > kMaxSignedSecretLifetimeS) {
    return make_error(ErrorCode::invalid_request, "signed_client_secret.lifetime_seconds must be between " +
                                                      std::to_string(kMinSignedSecretLifetimeS) + " and " +
                                                      std::to_string(kMaxSignedSecretLifetimeS) + " (six months)");
  }

  const std::int64_t iat = in.now_ms / 1000;
  json::Object claims;
  claims["iss"] = json::Value(rules.issuer);
  claims["iat"] = json::num(iat);
  claims["exp"] = json::num(iat + rules.lifetime_seconds);
  claims["aud"] = json::Value(rules.audience);
  claims["sub"] = json::Value(in.client_id);
  const std::string payload = base64url_encode(json::serialize(json::Value(claims)));

  // The key decides the algorithm jws_sign uses; the provider decides the one it accepts.
  std::string signing_input, used_alg;
  auto sig = jws_sign(
      in.private_key,
      [&](const std::string& alg) {
        used_alg = alg;
        json::Object h;
        h["alg"] = json::Value(alg);
        h["kid"] = json::Value(in.key_id);
        signing_input = base64url_encode(json::serialize(json::Value(h))) + "." + payload;
        return signing_input;
      },
      drbg);
  if (!sig && sig.error().code != ErrorCode::invalid_request) return sig.error();
  if (!sig || used_alg != rules.algorithm) {
    // jws_sign's own message speaks of private_key_jwt; this one names what this provider needs.
    return make_error(ErrorCode::invalid_request,
                      std::string("the signed client secret is ") + rules.algorithm +
                          ", which needs the app's client secret to be " + key_kind +
                          "; it is not one" + set_key);
  }
  return signing_input + "." + base64url_encode(*sig);
}

}  // namespace latchkey::detail
