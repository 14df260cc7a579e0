// Errors as values: every fallible core function returns Result<T>.
// The core is built with exceptions off on every target; nothing here throws.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace latchkey {

/// What went wrong, in a form a program can branch on. Stable: these names cross the C ABI.
enum class ErrorCode {
  invalid_request,     ///< The caller's input is wrong (bad provider definition, missing field, bad URL).
  invalid_state,       ///< The callback's `state` is missing, unknown, or belongs to another principal.
  state_expired,       ///< The pending authorization timed out: start the connection again.
  state_reused,        ///< The `state` was already consumed: a replayed or double-submitted callback.
  provider_error,      ///< The provider answered with an OAuth error (see Error::provider_code / description).
  invalid_grant,       ///< The code or refresh token was rejected (RFC 6749 §5.2 `invalid_grant`).
  needs_reauth,        ///< The connection can no longer be refreshed: the user must connect again.
  malformed_response,  ///< The provider's response could not be understood (not JSON, too large, wrong types).
  transport,           ///< The host could not reach the server (DNS, TCP, TLS, timeout).
  not_found,           ///< No such provider, app, connection or record.
  conflict,            ///< A record changed underneath us or already exists.
  unsupported,         ///< The provider or operation needs something this build does not do.
  rate_limited,        ///< The provider keeps answering 429/5xx, or the circuit breaker is open.
  crypto,              ///< Sealing/unsealing failed: wrong master key, or a tampered or moved record.
  storage,             ///< The host's store failed.
  internal,            ///< A bug in latchkey; please report it.
};

/// The stable snake_case name of a code ("invalid_grant").
const char* to_string(ErrorCode code);
/// Parses a name produced by to_string; returns false if unknown.
bool error_code_from_string(const std::string& name, ErrorCode* out);

struct Error {
  ErrorCode code = ErrorCode::internal;
  /// A sentence for the user: what happened and what to do next. Never contains a secret.
  std::string message;
  /// For provider_error / invalid_grant: the provider's `error` and `error_description`, as sent.
  std::string provider_code;
  std::string provider_description;
  /// HTTP status of the response that caused the error, when there was one.
  int http_status = 0;
  /// For rate_limited/transport: when the host may try again (unix ms), 0 if unknown.
  std::int64_t retry_at_ms = 0;
};

inline Error make_error(ErrorCode code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

/// Either a T or an Error. Check ok() before value(); value() on an error aborts (a bug, not input).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { check(true); return std::get<0>(v_); }
  const T& value() const& { check(true); return std::get<0>(v_); }
  T&& value() && { check(true); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { check(false); return std::get<1>(v_); }
  Error&& error() && { check(false); return std::get<1>(std::move(v_)); }

 private:
  void check(bool want_value) const {
    if (ok() != want_value) std::abort();
  }
  std::variant<T, Error> v_;
};

/// For functions that succeed with nothing to say.
struct Ok {};
using Status = Result<Ok>;

}  // namespace latchkey
