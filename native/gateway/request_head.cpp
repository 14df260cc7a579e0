#include "request_head.hpp"

#include <algorithm>
#include <vector>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace latchkey::gateway {

namespace http = boost::beast::http;

ApiRequest api_request(const http::request_header<>& head) {
  ApiRequest api;
  api.method = std::string(head.method_string());
  api.target = std::string(head.target());
  if (auto it = head.find(http::field::authorization); it != head.end()) api.authorization = std::string(it->value());
  if (auto it = head.find(http::field::host); it != head.end()) api.host = std::string(it->value());
  if (auto it = head.find(http::field::accept); it != head.end()) api.accept = std::string(it->value());
  if (auto it = head.find("X-Latchkey-Advice"); it != head.end()) api.cli_advice = boost::beast::iequals(it->value(), "cli");
  api.headers.reserve(16);
  for (const auto& field : head) api.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return api;
}

std::optional<FramingRefusal> transfer_encoding_refusal(const http::request_header<>& head) {
  auto [begin, end] = head.equal_range(http::field::transfer_encoding);
  if (begin == end) return std::nullopt;
  std::vector<std::string> codings;
  for (auto it = begin; it != end; ++it) {
    for (auto coding : http::token_list{it->value()}) codings.emplace_back(coding);
  }
  const auto is_chunked = [](const std::string& c) { return boost::beast::iequals(c, "chunked"); };
  if (codings.empty() || !is_chunked(codings.back())) {
    return FramingRefusal{400, "the request's Transfer-Encoding does not end with chunked, so its length is unknown "
                               "(RFC 9112 section 6.3); send the body chunked or with Content-Length"};
  }
  if (codings.size() == 1) return std::nullopt;
  if (std::any_of(codings.begin(), codings.end() - 1, is_chunked)) {
    return FramingRefusal{400, "the request's Transfer-Encoding applies chunked more than once (RFC 9112 section "
                               "7.1); send it once, last"};
  }
  return FramingRefusal{501, "the request's Transfer-Encoding '" + codings.front() +
                                 "' is not one latchkeyd decodes; send the body with chunked alone, or "
                                 "Content-Length, and name its content coding in Content-Encoding"};
}

}  // namespace latchkey::gateway
