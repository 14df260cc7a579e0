#include "crypto.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

namespace latchkey::detail {
namespace {

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string hmac(mbedtls_md_type_t type, std::string_view key, std::string_view data) {
  const mbedtls_md_info_t* info = mbedtls_md_info_from_type(type);
  std::string out(mbedtls_md_get_size(info), '\0');
  mbedtls_md_hmac(info, u8(key), key.size(), u8(data), data.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

}  // namespace

std::string sha256(std::string_view data) {
  std::string out(32, '\0');
  mbedtls_sha256_ret(u8(data), data.size(), reinterpret_cast<unsigned char*>(out.data()), 0);
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) { return hmac(MBEDTLS_MD_SHA256, key, data); }
std::string hmac_sha1(std::string_view key, std::string_view data) { return hmac(MBEDTLS_MD_SHA1, key, data); }

void wipe(std::string& secret) {
  mbedtls_platform_zeroize(secret.data(), secret.size());
  secret.clear();
}

std::string sha1(std::string_view data) {
  std::string out(20, '\0');
  mbedtls_sha1_ret(u8(data), data.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

namespace {

int drbg_rng(void* p, unsigned char* out, std::size_t n) {
  std::string r = static_cast<Drbg*>(p)->bytes(n);
  std::memcpy(out, r.data(), n);
  return 0;
}

/// A parsed private key, freed on scope exit.
struct PrivateKey {
  mbedtls_pk_context pk;
  PrivateKey() { mbedtls_pk_init(&pk); }
  ~PrivateKey() { mbedtls_pk_free(&pk); }
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;

  bool parse(std::string_view pem_text) {
    // mbedTLS's PEM parser wants the terminating NUL counted in the length.
    std::string pem(pem_text);
    int rc = mbedtls_pk_parse_key(&pk, u8(std::string_view(pem.c_str(), pem.size() + 1)), pem.size() + 1, nullptr, 0);
    std::fill(pem.begin(), pem.end(), '\0');
    return rc == 0;
  }
};

}  // namespace

Result<std::string> rsa_sha1_sign(std::string_view pem_private_key, std::string_view data, Drbg& drbg) {
  PrivateKey key;
  if (!key.parse(pem_private_key) || !mbedtls_pk_can_do(&key.pk, MBEDTLS_PK_RSA)) {
    return make_error(ErrorCode::invalid_request,
                      "RSA-SHA1 needs the app's client secret to be an unencrypted PEM RSA private key; it is not one "
                      "(set it with `latchkey apps upsert --client-secret-file key.pem`)");
  }
  std::string digest = sha1(data);
  std::string sig(mbedtls_pk_get_len(&key.pk), '\0');
  std::size_t len = 0;
  int rc = mbedtls_pk_sign(&key.pk, MBEDTLS_MD_SHA1, u8(digest), digest.size(),
                           reinterpret_cast<unsigned char*>(sig.data()), &len, drbg_rng, &drbg);
  if (rc != 0) return make_error(ErrorCode::crypto, "RSA-SHA1 signing failed (mbedTLS error " + std::to_string(rc) + ")");
  sig.resize(len);
  return sig;
}

namespace {

const char* const kNotAJwsKey =
    "private_key_jwt needs the app's client secret to be an unencrypted PEM RSA or P-256 EC private key; it is not "
    "one (set it with `latchkey apps upsert --client-secret-file key.pem`)";

/// "RS256" or "ES256" for a parsed key, or why it cannot sign JWS.
Result<std::string> alg_of(const mbedtls_pk_context& pk) {
  if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_RSA) return std::string("RS256");
  if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY) return make_error(ErrorCode::invalid_request, kNotAJwsKey);
  if (mbedtls_pk_ec(pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
    return make_error(ErrorCode::invalid_request,
                      "private_key_jwt signs with ES256, which needs a P-256 (prime256v1) EC key; this key is on "
                      "another curve");
  }
  return std::string("ES256");
}

}  // namespace

Result<std::string> jws_sign(std::string_view pem_private_key,
                             const std::function<std::string(const std::string& alg)>& signing_input, Drbg& drbg) {
  PrivateKey key;
  if (!key.parse(pem_private_key)) return make_error(ErrorCode::invalid_request, kNotAJwsKey);
  auto alg = alg_of(key.pk);
  if (!alg) return alg.error();
  std::string digest = sha256(signing_input(*alg));
  std::string signature;
  if (*alg == "RS256") {
    signature.assign(mbedtls_pk_get_len(&key.pk), '\0');
    std::size_t len = 0;
    int rc = mbedtls_pk_sign(&key.pk, MBEDTLS_MD_SHA256, u8(digest), digest.size(),
                             reinterpret_cast<unsigned char*>(signature.data()), &len, drbg_rng, &drbg);
    if (rc != 0) return make_error(ErrorCode::crypto, "RS256 signing failed (mbedTLS error " + std::to_string(rc) + ")");
    signature.resize(len);
    return signature;
  }
  mbedtls_ecp_keypair* ec = mbedtls_pk_ec(key.pk);
  // mbedtls_pk_sign would give a DER SEQUENCE; JWS wants r and s as fixed 32-byte integers.
  mbedtls_mpi r, s;
  mbedtls_mpi_init(&r);
  mbedtls_mpi_init(&s);
  int rc = mbedtls_ecdsa_sign(&ec->grp, &r, &s, &ec->d, u8(digest), digest.size(), drbg_rng, &drbg);
  signature.assign(64, '\0');
  auto* o = reinterpret_cast<unsigned char*>(signature.data());
  if (rc == 0) rc = mbedtls_mpi_write_binary(&r, o, 32);
  if (rc == 0) rc = mbedtls_mpi_write_binary(&s, o + 32, 32);
  mbedtls_mpi_free(&r);
  mbedtls_mpi_free(&s);
  if (rc != 0) return make_error(ErrorCode::crypto, "ES256 signing failed (mbedTLS error " + std::to_string(rc) + ")");
  return signature;
}

std::string base64_encode(std::string_view data) {
  std::size_t len = 0;
  mbedtls_base64_encode(nullptr, 0, &len, u8(data), data.size());
  std::string out(len, '\0');
  mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &len, u8(data), data.size());
  out.resize(len);
  return out;
}

namespace {

// mbedtls_base64_decode is lenient: it skips line breaks and trailing spaces, and silently
// drops a final group of fewer than four characters ("Zg" decodes to nothing). Only canonical
// RFC 4648 §4 text is accepted here: groups of four alphabet characters, '=' only as padding.
bool is_strict_base64(std::string_view text) {
  if (text.size() % 4 != 0) return false;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  for (std::size_t i = 0; i < text.size() - pad; ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<std::string> base64_decode(std::string_view text) {
  if (!is_strict_base64(text)) return make_error(ErrorCode::invalid_request, "value is not valid base64");
  // One pass: mbedTLS's decoder is constant-time (slow per character), so do not ask it for the
  // size first; 3 bytes per 4 characters is an upper bound.
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  int rc = mbedtls_base64_decode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &len, u8(text), text.size());
  if (rc != 0) return make_error(ErrorCode::invalid_request, "value is not valid base64");
  out.resize(len);
  return out;
}

std::string hex_encode(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = digits[b >> 4];
    out[2 * i + 1] = digits[b & 15];
  }
  return out;
}

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // lower-case only: one spelling per value (sealed values compare as text)
}
}  // namespace

bool hex_decode(std::string_view text, std::string* out) {
  if (text.size() % 2 != 0) return false;
  out->resize(text.size() / 2);
  for (std::size_t i = 0; i < out->size(); ++i) {
    int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<char>(hi << 4 | lo);
  }
  return true;
}

std::string base64url_encode(std::string_view data) {
  std::string s = base64_encode(data);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return s;
}

Result<std::string> base64url_decode(std::string_view text) {
  std::string s(text);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/') return make_error(ErrorCode::invalid_request, "value is not valid base64url");
  }
  if (s.size() % 4 == 1) return make_error(ErrorCode::invalid_request, "value is not valid base64url");
  while (s.size() % 4 != 0) s.push_back('=');
  return base64_decode(s);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string aes256gcm_seal(std::string_view key, std::string_view nonce, std::string_view aad,
                           std::string_view plaintext) {
  // Sizes are fixed by the callers (seal.cpp), not by input: a wrong one is a bug, and mbedTLS
  // would read 32 key bytes regardless.
  if (key.size() != 32 || nonce.empty()) std::abort();
  mbedtls_gcm_context ctx;
  mbedtls_gcm_init(&ctx);
  mbedtls_gcm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, u8(key), 256);
  std::string out(plaintext.size() + 16, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  mbedtls_gcm_crypt_and_tag(&ctx, MBEDTLS_GCM_ENCRYPT, plaintext.size(), u8(nonce), nonce.size(), u8(aad), aad.size(),
                            u8(plaintext), o, 16, o + plaintext.size());
  mbedtls_gcm_free(&ctx);
  return out;
}

Result<std::string> aes256gcm_open(std::string_view key, std::string_view nonce, std::string_view aad,
                                   std::string_view sealed) {
  if (sealed.size() < 16 || key.size() != 32 || nonce.empty()) {
    return make_error(ErrorCode::crypto, "sealed value is truncated");
  }
  mbedtls_gcm_context ctx;
  mbedtls_gcm_init(&ctx);
  mbedtls_gcm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, u8(key), 256);
  std::size_t n = sealed.size() - 16;
  std::string out(n, '\0');
  int rc = mbedtls_gcm_auth_decrypt(&ctx, n, u8(nonce), nonce.size(), u8(aad), aad.size(), u8(sealed.substr(n)), 16,
                                    u8(sealed), reinterpret_cast<unsigned char*>(out.data()));
  mbedtls_gcm_free(&ctx);
  if (rc != 0) {
    return make_error(ErrorCode::crypto,
                      "a sealed secret failed authentication: the master key is wrong, or the record was altered or "
                      "moved; reconnect the account or restore the right master key");
  }
  return out;
}

struct Aes256Gcm::State {
  // Mutated by mbedTLS only during setkey; per-call state lives on the stack of crypt_and_tag.
  mutable mbedtls_gcm_context ctx;
};

Aes256Gcm::Aes256Gcm(std::string_view key) : state_(new State) {
  mbedtls_gcm_init(&state_->ctx);
  mbedtls_gcm_setkey(&state_->ctx, MBEDTLS_CIPHER_ID_AES, u8(key), 256);
}

Aes256Gcm::~Aes256Gcm() { mbedtls_gcm_free(&state_->ctx); }

std::string Aes256Gcm::seal(std::string_view nonce, std::string_view aad, std::string_view plaintext) const {
  std::string out(plaintext.size() + 16, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  mbedtls_gcm_crypt_and_tag(&state_->ctx, MBEDTLS_GCM_ENCRYPT, plaintext.size(), u8(nonce), nonce.size(), u8(aad),
                            aad.size(), u8(plaintext), o, 16, o + plaintext.size());
  return out;
}

Result<std::string> Aes256Gcm::open(std::string_view nonce, std::string_view aad, std::string_view sealed) const {
  if (sealed.size() < 16) return make_error(ErrorCode::crypto, "sealed value is truncated");
  std::size_t n = sealed.size() - 16;
  std::string out(n, '\0');
  int rc = mbedtls_gcm_auth_decrypt(&state_->ctx, n, u8(nonce), nonce.size(), u8(aad), aad.size(),
                                    u8(sealed.substr(n)), 16, u8(sealed), reinterpret_cast<unsigned char*>(out.data()));
  if (rc != 0) {
    return make_error(ErrorCode::crypto,
                      "a sealed secret failed authentication: the master key is wrong, or the record was altered or "
                      "moved; reconnect the account or restore the right master key");
  }
  return out;
}

struct Drbg::State {
  mbedtls_ctr_drbg_context ctx;
  std::string seed;
};

Drbg::Drbg() : state_(new State) { mbedtls_ctr_drbg_init(&state_->ctx); }
Drbg::~Drbg() { mbedtls_ctr_drbg_free(&state_->ctx); }

Result<std::unique_ptr<Drbg>> Drbg::create(std::string_view seed) {
  if (seed.size() < 32) {
    return make_error(ErrorCode::invalid_request, "the host must seed latchkey with at least 32 random bytes");
  }
  std::unique_ptr<Drbg> d(new Drbg);
  d->state_->seed.assign(seed.substr(0, 32));
  // Entropy comes only from the host's seed: 32 bytes, no separate nonce, never re-read
  // (the reseed interval is maxed out; add_entropy mixes in fresh host bytes instead).
  mbedtls_ctr_drbg_set_entropy_len(&d->state_->ctx, 32);
  mbedtls_ctr_drbg_set_nonce_len(&d->state_->ctx, 0);
  auto entropy = [](void* p, unsigned char* out, std::size_t len) -> int {
    auto* s = static_cast<std::string*>(p);
    if (len > s->size()) return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
    std::memcpy(out, s->data(), len);
    return 0;
  };
  std::string personal = "latchkey-drbg-v1";
  personal.append(seed.substr(32));
  if (personal.size() > 128) personal = "latchkey-drbg-v1" + sha256(seed.substr(32));
  int rc = mbedtls_ctr_drbg_seed(&d->state_->ctx, entropy, &d->state_->seed, u8(personal), personal.size());
  std::fill(d->state_->seed.begin(), d->state_->seed.end(), '\0');
  if (rc != 0) return make_error(ErrorCode::crypto, "could not seed the random generator");
  mbedtls_ctr_drbg_set_reseed_interval(&d->state_->ctx, 0x7fffffff);
  return d;
}

void Drbg::add_entropy(std::string_view data) {
  // update_ret takes at most MBEDTLS_CTR_DRBG_MAX_SEED_INPUT bytes: feed a digest of longer input.
  std::string in = data.size() > 64 ? sha256(data) : std::string(data);
  mbedtls_ctr_drbg_update_ret(&state_->ctx, u8(in), in.size());
}

std::string Drbg::bytes(std::size_t n) {
  std::string out(n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  std::size_t done = 0;
  while (done < n) {
    std::size_t chunk = std::min<std::size_t>(n - done, MBEDTLS_CTR_DRBG_MAX_REQUEST);
    if (mbedtls_ctr_drbg_random(&state_->ctx, o + done, chunk) != 0) std::abort();  // only fails on misuse
    done += chunk;
  }
  return out;
}

}  // namespace latchkey::detail
