// What latchkeyd reads from a client before any route runs: the request head as Boost.Beast
// parses it (with the gateway's header limit), api_request's copy of it (request_head.cpp), the
// target split into decoded path segments (target.cpp) and the headers the proxy would forward
// upstream (proxy_wire.cpp).
// Input: the bytes a client sends, from the request line on.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <string>

#include "fuzz_target.hpp"
#include "proxy_wire.hpp"
#include "request_head.hpp"
#include "target.hpp"

namespace latchkey::fuzz {

namespace {
namespace http = boost::beast::http;
using boost::beast::iequals;

bool starts_with_nocase(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(std::string_view(s).substr(0, prefix.size()), prefix);
}
}  // namespace

void gateway_head(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::empty_body> parser;
  parser.header_limit(16 << 10);  // the gateway's default (server.hpp: ServerOptions::header_limit)
  parser.body_limit(boost::none);
  boost::system::error_code ec;
  std::size_t at = 0;
  while (at < size && !parser.is_header_done()) {
    std::size_t used = parser.put(boost::asio::buffer(data + at, size - at), ec);
    if (ec == http::error::need_more) {
      ec = {};
      if (used == 0) break;  // the head is not complete yet
    }
    if (ec) break;
    at += used;
  }
  if (ec || !parser.is_header_done()) return;

  gateway::ApiRequest req = gateway::api_request(parser.get());
  check(req.target == std::string(parser.get().target()), "api_request changed the target");
  check(req.headers.size() == static_cast<std::size_t>(std::distance(parser.get().begin(), parser.get().end())),
        "api_request dropped a header");

  gateway::Target t;
  if (gateway::split_target(req.target, &t)) {
    check(!req.target.empty() && req.target[0] == '/', "split_target accepted a target that is not a path");
    for (const auto& seg : t.segments) check(!seg.empty(), "split_target gave an empty segment");
    (void)gateway::query_flag(t.query, "force");
  }

  std::string account;
  Params upstream = gateway::upstream_request_headers(req.headers, &account);
  for (const auto& [name, value] : upstream) {
    for (const char* never : {"host", "authorization", "cookie", "content-length", "connection", "expect",
                              "transfer-encoding", "proxy-authorization", "upgrade"}) {
      check(!iequals(name, never), "a header the proxy must not forward went upstream");
    }
    check(!starts_with_nocase(name, "x-latchkey-"), "an X-Latchkey-* header went upstream");
  }
  check(account.empty() || (account.front() != ' ' && account.back() != ' '), "X-Latchkey-Account was not trimmed");
}

}  // namespace latchkey::fuzz

LATCHKEY_FUZZ_ENTRY(gateway_head)
