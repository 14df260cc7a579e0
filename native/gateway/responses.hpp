// The API's JSON answers: error codes to HTTP statuses and the {"error":{"code","message"}} shape.
#pragma once

#include <string>

#include "api.hpp"
#include "latchkey/json_forms.hpp"

namespace latchkey::gateway {

int http_status(ErrorCode code);
ApiResponse json_response(int status, const JsonValue& v);
/// The core's error as JSON with its status (and Retry-After when rate limited or the store failed).
ApiResponse from_error(const Error& e);
ApiResponse method_not_allowed(const std::string& allow);

/// `r` as it goes to the client: the status line; Server, Content-Type and Cache-Control: no-store
/// (a header of the same name in r.headers replaces one of these, and a later one in r.headers an
/// earlier); r.headers; Content-Length (none for 1xx, 204 and 304); Connection: close when
/// `close`; then the body. For a HEAD request, the head a GET would get without the body
/// (RFC 9110 §9.3.2). Header values with CR or LF are left out.
std::string serialize_response(const ApiResponse& r, bool head_request, bool close);

template <class T>
ApiResponse from_result(const Result<T>& r) {
  if (!r) return from_error(r.error());
  return json_response(200, json_form(*r));
}

}  // namespace latchkey::gateway
