// Thin wrappers over mbedTLS: the only place the core touches crypto primitives.
// Byte strings are std::string (binary-safe) throughout.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "latchkey/result.hpp"

namespace latchkey::detail {

std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string hmac_sha1(std::string_view key, std::string_view data);

std::string sha1(std::string_view data);

class Drbg;
/// RSASSA-PKCS1-v1_5 with SHA-1 (OAuth 1.0a RSA-SHA1, RFC 5849 §3.4.3) under a PEM (PKCS#1 or
/// PKCS#8, unencrypted) RSA private key. `drbg` blinds the private-key operation. invalid_request
/// if the key cannot be parsed or is not RSA; the message never quotes the key.
Result<std::string> rsa_sha1_sign(std::string_view pem_private_key, std::string_view data, Drbg& drbg);

/// JWS signing (RFC 7518 §3.3, §3.4) under a PEM private key (PKCS#1, SEC1 or PKCS#8,
/// unencrypted): RS256 (RSASSA-PKCS1-v1_5 with SHA-256) for an RSA key, ES256 (ECDSA P-256 with
/// SHA-256, the signature as the 64-byte r || s that JWS uses, not DER) for a P-256 key. The key
/// decides the alg, and the JWS header names it, so `signing_input` is called once with "RS256"
/// or "ES256" to build what is signed; the result is the signature of that text. The key is
/// parsed once. invalid_request if it cannot be parsed or is of another kind (the message never
/// quotes the key); crypto if signing fails.
Result<std::string> jws_sign(std::string_view pem_private_key,
                             const std::function<std::string(const std::string& alg)>& signing_input, Drbg& drbg);

/// Lower-case hex, and back (lower-case only: false for anything else or an odd length).
std::string hex_encode(std::string_view bytes);
bool hex_decode(std::string_view text, std::string* out);

std::string base64_encode(std::string_view data);
/// Standard alphabet with padding; rejects anything else.
Result<std::string> base64_decode(std::string_view text);
/// RFC 4648 §5 alphabet, no padding (PKCE, state, sealed values).
std::string base64url_encode(std::string_view data);
/// Accepts the URL-safe alphabet with or without padding.
Result<std::string> base64url_decode(std::string_view text);

/// Overwrites a secret's bytes with zeros (a write the compiler may not drop, unlike a plain
/// memset before free) and empties it: for key copies the core is done with.
void wipe(std::string& secret);

/// Constant-time equality for secrets (state, tags).
bool constant_time_equal(std::string_view a, std::string_view b);

/// AES-256-GCM. `key` is 32 bytes, `nonce` 12 bytes; returns ciphertext || 16-byte tag.
std::string aes256gcm_seal(std::string_view key, std::string_view nonce, std::string_view aad,
                           std::string_view plaintext);
/// Opens ciphertext || tag; a crypto error if the tag does not verify.
Result<std::string> aes256gcm_open(std::string_view key, std::string_view nonce, std::string_view aad,
                                   std::string_view sealed);

/// AES-256-GCM with its key schedule computed once (the Sealer keeps one per master key).
class Aes256Gcm {
 public:
  /// `key` must be 32 bytes.
  explicit Aes256Gcm(std::string_view key);
  ~Aes256Gcm();
  Aes256Gcm(const Aes256Gcm&) = delete;
  Aes256Gcm& operator=(const Aes256Gcm&) = delete;
  std::string seal(std::string_view nonce, std::string_view aad, std::string_view plaintext) const;
  Result<std::string> open(std::string_view nonce, std::string_view aad, std::string_view sealed) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// CTR-DRBG (NIST SP 800-90A, AES-256) seeded by the host: the core never reads an entropy source
/// itself. Deterministic for a given seed, which is what makes the tests reproducible.
class Drbg {
 public:
  /// `seed` must hold at least 32 bytes from a CSPRNG.
  static Result<std::unique_ptr<Drbg>> create(std::string_view seed);
  ~Drbg();
  Drbg(const Drbg&) = delete;
  Drbg& operator=(const Drbg&) = delete;

  /// Mixes more host entropy into the state (e.g. on every host call in long-lived processes).
  void add_entropy(std::string_view data);
  /// `n` random bytes.
  std::string bytes(std::size_t n);

 private:
  Drbg();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace latchkey::detail
