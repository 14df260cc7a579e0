// Sealing secrets (client secrets, tokens, code verifiers) before they reach any store.
//
// Format: "lk1.<key version>.<hex(nonce[12] || ciphertext || tag[16])>", AES-256-GCM with a
// random 96-bit nonce. Hex rather than base64: the sealed access token is decoded on every
// get-token, and mbedTLS's base64 decoder is constant-time by design (it exists for PEM keys),
// about 180 instructions a character; ciphertext is not secret, and hex costs ~2. The associated data binds the value to its place — "<record key>#<field>" —
// so a sealed value copied into another record (another principal, provider, account or field)
// fails to open. The key version is authenticated too.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "crypto.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

class Sealer {
 public:
  /// Every key must be 32 bytes; `current` must be one of them.
  static Result<Sealer> create(std::map<std::uint32_t, std::string> keys, std::uint32_t current);

  std::string seal(std::string_view place, std::string_view plaintext, Drbg& drbg) const;
  /// crypto error if the value was sealed for another place, altered, or under an unknown key.
  Result<std::string> open(std::string_view place, std::string_view sealed) const;
  /// The key version a sealed value uses, or 0 if it is not a sealed value.
  static std::uint32_t key_version(std::string_view sealed);
  std::uint32_t current_version() const { return current_; }
  /// Each key version and a value that identifies that key without revealing it (HMAC-SHA256 of
  /// a constant), kept in the store so a wrong key is refused before any record is touched.
  const std::map<std::uint32_t, std::string>& key_checks() const { return checks_; }

 private:
  std::map<std::uint32_t, std::shared_ptr<const Aes256Gcm>> keys_;
  std::map<std::uint32_t, std::string> checks_;
  std::uint32_t current_ = 0;
};

/// The sealing place of one field of one record.
inline std::string seal_place(std::string_view record_key, std::string_view field) {
  std::string p(record_key);
  p.push_back('#');
  p.append(field);
  return p;
}

}  // namespace latchkey::detail
