#include "proxy_wire.hpp"

#include <cstdio>
#include <ostream>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include "authorization.hpp"

namespace latchkey::gateway {
namespace {

namespace http = boost::beast::http;

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

/// The names (lowercase) listed in every Connection header.
std::vector<std::string> connection_named(const HeaderList& headers) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers) {
    if (!boost::beast::iequals(name, "connection")) continue;
    for (const auto& part : detail::split_list(value)) {
      std::string n = lower(trim(part));
      if (!n.empty()) out.push_back(n);
    }
  }
  return out;
}

/// `name` (lowercase) is hop-by-hop: the fixed set, Proxy-*, or named by a Connection header.
bool is_hop_by_hop(const std::string& name, const std::vector<std::string>& named) {
  static const char* const kFixed[] = {"connection", "keep-alive", "te", "trailer", "trailers",
                                       "transfer-encoding", "upgrade"};
  for (const char* h : kFixed) {
    if (name == h) return true;
  }
  if (name.rfind("proxy-", 0) == 0) return true;
  for (const auto& n : named) {
    if (name == n) return true;
  }
  return false;
}

}  // namespace

Params upstream_request_headers(const HeaderList& headers, std::string* account) {
  Params out;
  const auto named = connection_named(headers);
  for (const auto& [name, value] : headers) {
    std::string n = lower(name);
    if (n == "x-latchkey-account") {
      *account = trim(value);
      continue;
    }
    if (is_hop_by_hop(n, named) || n == "host" || n == "content-length" || n == "authorization" || n == "cookie" ||
        n == "expect" || n.rfind("x-latchkey-", 0) == 0) {
      continue;
    }
    out.emplace_back(name, value);
  }
  return out;
}

HttpResponse caller_response_head(const HttpResponse& upstream) {
  HttpResponse head;
  head.status = upstream.status;
  const auto named = connection_named(upstream.headers);
  for (const auto& [name, value] : upstream.headers) {
    std::string n = lower(name);
    if (is_hop_by_hop(n, named) || n == "set-cookie" || n == "set-cookie2" || n == "server") continue;
    head.headers.emplace_back(name, value);
  }
  return head;
}

std::string serialize_response_head(const HttpResponse& head, bool head_request, bool close, bool* chunked) {
  std::string w = "HTTP/1.1 " + std::to_string(head.status) + " " +
                  std::string(http::obsolete_reason(static_cast<http::status>(head.status))) +
                  "\r\nServer: latchkeyd\r\n";
  bool has_length = false;
  for (const auto& [name, value] : head.headers) {
    if (value.find_first_of("\r\n") != std::string::npos) continue;
    if (boost::beast::iequals(name, "content-length")) has_length = true;
    w += name + ": " + value + "\r\n";
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
