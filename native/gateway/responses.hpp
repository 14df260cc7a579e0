// The API's JSON answers: error codes to HTTP statuses and the {"error":{"code","message"}} shape.
#pragma once

#include <string>

#include "api.hpp"
#include "results_json.hpp"

namespace latchkey::gateway {

int http_status(ErrorCode code);
ApiResponse json_response(int status, const detail::json::Value& v);
/// The core's error as JSON with its status (and Retry-After when rate limited).
ApiResponse from_error(const Error& e);
ApiResponse method_not_allowed(const std::string& allow);

template <class T>
ApiResponse from_result(const Result<T>& r) {
  if (!r) return from_error(r.error());
  return json_response(200, detail::to_value(*r));
}

}  // namespace latchkey::gateway
