#include "seal.hpp"

#include "crypto.hpp"

namespace latchkey::detail {
namespace {

constexpr std::string_view kPrefix = "lk1.";

std::string aad_for(std::uint32_t version, std::string_view place) {
  std::string aad = "latchkey-seal-v1|" + std::to_string(version) + "|";
  aad.append(place);
  return aad;
}

}  // namespace

Result<Sealer> Sealer::create(std::map<std::uint32_t, std::string> keys, std::uint32_t current) {
  if (keys.empty()) return make_error(ErrorCode::invalid_request, "no master key was given");
  for (const auto& [version, key] : keys) {
    if (version == 0) return make_error(ErrorCode::invalid_request, "master key versions start at 1");
    if (key.size() != 32) {
      return make_error(ErrorCode::invalid_request,
                        "master key version " + std::to_string(version) + " is not 32 bytes (give 32 random bytes, base64)");
    }
  }
  if (keys.find(current) == keys.end()) {
    return make_error(ErrorCode::invalid_request, "the current master key version " + std::to_string(current) +
                                                      " is not among the keys given");
  }
  Sealer s;
  for (const auto& [version, key] : keys) {
    s.keys_[version] = std::make_shared<const Aes256Gcm>(key);
    s.checks_[version] = base64_encode(hmac_sha256(key, "latchkey master key check v1"));
  }
  s.current_ = current;
  // `keys` is this function's own copy: the AES contexts hold the keys from here on.
  for (auto& entry : keys) wipe(entry.second);
  return s;
}

std::string Sealer::seal(std::string_view place, std::string_view plaintext, Drbg& drbg) const {
  std::string nonce = drbg.bytes(12);
  std::string body = nonce + keys_.at(current_)->seal(nonce, aad_for(current_, place), plaintext);
  return std::string(kPrefix) + std::to_string(current_) + "." + hex_encode(body);
}

std::uint32_t Sealer::key_version(std::string_view sealed) {
  if (sealed.substr(0, kPrefix.size()) != kPrefix) return 0;
  sealed.remove_prefix(kPrefix.size());
  auto dot = sealed.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 9) return 0;
  std::uint32_t v = 0;
  for (char c : sealed.substr(0, dot)) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return v;
}

Result<std::string> Sealer::open(std::string_view place, std::string_view sealed) const {
  std::uint32_t version = key_version(sealed);
  if (version == 0) return make_error(ErrorCode::crypto, "a stored secret is not in latchkey's sealed format");
  auto key = keys_.find(version);
  if (key == keys_.end()) {
    return make_error(ErrorCode::crypto, "a stored secret was sealed under master key version " +
                                             std::to_string(version) + ", which this process was not given");
  }
  std::string body;
  if (!hex_decode(sealed.substr(sealed.find('.', kPrefix.size()) + 1), &body) || body.size() < 12 + 16) {
    return make_error(ErrorCode::crypto, "a stored secret is truncated or corrupt");
  }
  std::string_view b = body;
  return key->second->open(b.substr(0, 12), aad_for(version, place), b.substr(12));
}

}  // namespace latchkey::detail
