#include "latchkey/result.hpp"

namespace latchkey {
namespace {

struct Name {
  ErrorCode code;
  const char* name;
};

constexpr Name kNames[] = {
    {ErrorCode::invalid_request, "invalid_request"},
    {ErrorCode::invalid_state, "invalid_state"},
    {ErrorCode::state_expired, "state_expired"},
    {ErrorCode::state_reused, "state_reused"},
    {ErrorCode::provider_error, "provider_error"},
    {ErrorCode::invalid_grant, "invalid_grant"},
    {ErrorCode::needs_reauth, "needs_reauth"},
    {ErrorCode::malformed_response, "malformed_response"},
    {ErrorCode::transport, "transport"},
    {ErrorCode::not_found, "not_found"},
    {ErrorCode::conflict, "conflict"},
    {ErrorCode::unsupported, "unsupported"},
    {ErrorCode::rate_limited, "rate_limited"},
    {ErrorCode::crypto, "crypto"},
    {ErrorCode::storage, "storage"},
    {ErrorCode::internal, "internal"},
};

}  // namespace

const char* to_string(ErrorCode code) {
  for (const auto& n : kNames) {
    if (n.code == code) return n.name;
  }
  return "internal";
}

bool error_code_from_string(const std::string& name, ErrorCode* out) {
  for (const auto& n : kNames) {
    if (name == n.name) {
      *out = n.code;
      return true;
    }
  }
  return false;
}

}  // namespace latchkey
