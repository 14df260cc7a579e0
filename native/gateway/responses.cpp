#include "responses.hpp"

#include <algorithm>

#include <boost/beast/core/string.hpp>

#include "latchkey/json.hpp"
#include "proxy_wire.hpp"

namespace latchkey::gateway {

using Object = JsonObject;
using Value = JsonValue;

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_request:
    case ErrorCode::invalid_state:
    case ErrorCode::state_expired:
    case ErrorCode::state_reused:
      return 400;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::conflict:
    // The connection exists but must be connected again by its user: not the caller's key's fault
    // (401 would read as "bad API key"), so the body's code says what to do.
    case ErrorCode::needs_reauth:
      return 409;
    case ErrorCode::provider_error:
    case ErrorCode::invalid_grant:
    case ErrorCode::malformed_response:
    case ErrorCode::transport:
      return 502;
    case ErrorCode::rate_limited:
      return 429;
    case ErrorCode::unsupported:
      return 501;
    // The store could not be reached or answered (PostgreSQL restarting, SQLite locked past its
    // timeout): a temporary unavailability, with Retry-After, not a fault of the request.
    case ErrorCode::storage:
      return 503;
    case ErrorCode::crypto:
    case ErrorCode::internal:
      return 500;
  }
  return 500;
}

ApiResponse json_response(int status, const Value& v) {
  ApiResponse r;
  r.status = status;
  r.body = serialize_json(v);
  return r;
}

ApiResponse from_error(const Error& e) {
  ApiResponse r = json_response(http_status(e.code), Value(Object{{"error", json_form(e)}}));
  r.error_code = to_string(e.code);
  if (e.code == ErrorCode::rate_limited && e.retry_at_ms > 0) {
    std::int64_t s = (e.retry_at_ms - native::Host::now_ms() + 999) / 1000;
    r.headers.emplace_back("Retry-After", std::to_string(s > 0 ? s : 1));
  } else if (e.code == ErrorCode::storage) {
    r.headers.emplace_back("Retry-After", "1");  // the store reconnects about once a second
  }
  return r;
}

ApiResponse method_not_allowed(const std::string& allow) {
  ApiResponse r = error_response(405, "invalid_request", "method not allowed here (allowed: " + allow + ")");
  r.headers.emplace_back("Allow", allow);
  return r;
}

std::string serialize_response(const ApiResponse& r, bool head_request, bool close) {
  HttpResponse head;
  head.status = r.status;
  head.headers = {{"Content-Type", r.content_type}, {"Cache-Control", "no-store"}};
  for (const auto& [name, value] : r.headers) {
    auto& h = head.headers;
    h.erase(std::remove_if(h.begin(), h.end(), [&](const auto& f) { return boost::beast::iequals(f.first, name); }),
            h.end());
    h.emplace_back(name, value);
  }
  const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
  if (!bodiless) head.headers.emplace_back("Content-Length", std::to_string(r.body.size()));
  bool chunked = false;  // never: the length is known
  std::string out = serialize_response_head(head, head_request, close, &chunked);
  if (!head_request && !bodiless) out += r.body;
  return out;
}

ApiResponse error_response(int status, const std::string& code, const std::string& message) {
  Object e;
  e["code"] = Value(code);
  e["message"] = Value(message);
  return json_response(status, Value(Object{{"error", Value(e)}}));
}

}  // namespace latchkey::gateway
