// A request head as Beast parsed it, turned into the API's ApiRequest (api.hpp stays free of
// any transport): for the worker threads, and for the event loop's own proxy.
#pragma once

#include <optional>
#include <string>

#include <boost/beast/http/message.hpp>

#include "api.hpp"

namespace latchkey::gateway {

/// The method, target, Authorization, Host and Accept values and every header of `head`, copied.
/// The body, the listen address, the streams and refused_access_token are the caller's to fill in.
ApiRequest api_request(const boost::beast::http::request_header<>& head);

/// Why a request head's framing cannot be trusted, answered with `status` and the connection closed.
struct FramingRefusal {
  int status = 400;
  std::string message;
};

/// The request's Transfer-Encoding (all its fields, in order), checked as RFC 9112 §6.3 asks:
/// a final coding other than chunked leaves the body's length unknown — 400 (Beast would read
/// such a request as having no body, and the bytes after the head as the next request: request
/// smuggling); chunked twice is 400; a coding before chunked that the gateway does not decode
/// (gzip, ...) is 501 (§6.1). nullopt when there is none or it is exactly "chunked".
std::optional<FramingRefusal> transfer_encoding_refusal(const boost::beast::http::request_header<>& head);

}  // namespace latchkey::gateway
