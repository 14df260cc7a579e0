#include "proxy_wire.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include "latchkey/headers.hpp"

namespace latchkey::gateway {
namespace {

namespace http = boost::beast::http;
using boost::beast::iequals;

// Every proxied request and answer goes through these: names are compared case-insensitively
// in place, without lower-cased copies.

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

/// The names listed in every Connection header.
std::vector<std::string> connection_named(const HeaderList& headers) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "connection")) continue;
    for (const auto& part : split_list(value)) {
      std::string_view n = trim(part);
      if (!n.empty()) out.emplace_back(n);
    }
  }
  return out;
}

/// `name` is hop-by-hop: the fixed set, Proxy-*, or named by a Connection header.
bool is_hop_by_hop(std::string_view name, const std::vector<std::string>& named) {
  static const char* const kFixed[] = {"connection", "keep-alive", "te", "trailer", "trailers",
                                       "transfer-encoding", "upgrade"};
  for (const char* h : kFixed) {
    if (iequals(name, h)) return true;
  }
  if (starts_with_ci(name, "proxy-")) return true;
  for (const auto& n : named) {
    if (iequals(name, n)) return true;
  }
  return false;
}

}  // namespace

Params upstream_request_headers(const HeaderList& headers, std::string* account) {
  Params out;
  out.reserve(headers.size());
  const auto named = connection_named(headers);
  for (const auto& [name, value] : headers) {
    if (iequals(name, "x-latchkey-account")) {
      *account = std::string(trim(value));
      continue;
    }
    if (is_hop_by_hop(name, named) || iequals(name, "host") || iequals(name, "content-length") ||
        iequals(name, "authorization") || iequals(name, "cookie") || iequals(name, "expect") ||
        starts_with_ci(name, "x-latchkey-")) {
      continue;
    }
    out.emplace_back(name, value);
  }
  return out;
}

HttpResponse caller_response_head(HttpResponse upstream) {
  const auto named = connection_named(upstream.headers);
  auto& headers = upstream.headers;
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& h) {
                                 return is_hop_by_hop(h.first, named) || iequals(h.first, "set-cookie") ||
                                        iequals(h.first, "set-cookie2") || iequals(h.first, "server");
                               }),
                headers.end());
  return upstream;
}

std::string serialize_response_head(const HttpResponse& head, bool head_request, bool close, bool* chunked) {
  std::string w;
  w.reserve(256);
  w += "HTTP/1.1 ";
  w += std::to_string(head.status);
  w += ' ';
  w += http::obsolete_reason(static_cast<http::status>(head.status));
  w += "\r\nServer: latchkeyd\r\n";
  bool has_length = false;
  for (const auto& [name, value] : head.headers) {
    if (value.find_first_of("\r\n") != std::string::npos) continue;
    if (iequals(name, "content-length")) has_length = true;
    w += name;
    w += ": ";
    w += value;
    w += "\r\n";
  }
  const bool bodiless = head_request || head.status == 204 || head.status == 304 || head.status < 200;
  *chunked = !has_length && !bodiless;
  if (*chunked) w += "Transfer-Encoding: chunked\r\n";
  if (close) w += "Connection: close\r\n";
  w += "\r\n";
  return w;
}

void append_body(std::string& out, const char* bytes, std::size_t n, bool chunked) {
  if (chunked) {
    char size[20];
    int k = std::snprintf(size, sizeof size, "%zx\r\n", n);
    out.append(size, static_cast<std::size_t>(k));
  }
  out.append(bytes, n);
  if (chunked) out += "\r\n";
}

}  // namespace latchkey::gateway
