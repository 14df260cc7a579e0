#include "request_head.hpp"

namespace latchkey::gateway {

namespace http = boost::beast::http;

ApiRequest api_request(const http::request_header<>& head) {
  ApiRequest api;
  api.method = std::string(head.method_string());
  api.target = std::string(head.target());
  if (auto it = head.find(http::field::authorization); it != head.end()) api.authorization = std::string(it->value());
  if (auto it = head.find(http::field::host); it != head.end()) api.host = std::string(it->value());
  if (auto it = head.find(http::field::accept); it != head.end()) api.accept = std::string(it->value());
  api.headers.reserve(16);
  for (const auto& field : head) api.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return api;
}

}  // namespace latchkey::gateway
