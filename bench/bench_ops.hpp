// The measured operations, shared by the native Google Benchmark binary and the Emscripten
// module the Node script drives, so both builds time exactly the same work.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "latchkey/engine.hpp"
#include "records.hpp"

namespace latchkey::bench {

/// A benchmark engine: fixed key and seed.
std::unique_ptr<Engine> make_engine();

/// A fresh connection record for `ref`, sealed and serialized as the core writes it.
StoreRecord sealed_connection(Engine& engine, const ConnectionRef& ref, const std::string& access_token,
                              const std::string& refresh_token, std::int64_t expires_at_ms, const std::string& scope);

class Fixture {
 public:
  Fixture();
  /// 32 bytes from the DRBG → verifier → S256 challenge.
  std::size_t pkce_pair();
  /// The Google consent URL with PKCE, state and provider parameters.
  std::size_t authorization_url();
  /// A realistic Google token response (with id_token) through parse_token_response.
  std::size_t token_response();
  /// get_token on a stored, sealed, fresh connection: one store read, unseal, expiry check.
  /// Google-sized tokens (a 195-character access token, 105-character refresh token).
  std::size_t get_valid_token();
  /// The same with GitHub-sized tokens (40 characters).
  std::size_t get_valid_token_short();

 private:
  std::unique_ptr<Engine> engine_;
  Provider google_;
  StoreRecord connection_;
  StoreRecord short_connection_;
  std::size_t run_get_token(const StoreRecord& record, const char* provider);
  std::string token_body_;
  std::int64_t now_ms_ = 1700000000000;
};

}  // namespace latchkey::bench
