// What latchkeyd's proxy decides before any byte goes upstream (native/gateway/proxy.cpp's
// plan_proxy, proxy_wire.cpp): the connection and URL a proxied request is for, the headers
// that go upstream and come back, the head the caller gets, and a request head as the API reads
// it (request_head.cpp). Expected values are literals.
#include <gtest/gtest.h>

#include <boost/beast/http/message.hpp>

#include "proxy.hpp"
#include "proxy_wire.hpp"
#include "request_head.hpp"
#include "responses.hpp"

namespace latchkey::gateway {
namespace {

namespace http = boost::beast::http;

ApiRequest proxied(const std::string& method, const std::string& target, HeaderList headers = {}) {
  ApiRequest req;
  req.method = method;
  req.target = target;
  req.headers = std::move(headers);
  req.body = "payload";
  return req;
}

TEST(ProxyPlan, TheConnectionAndThePathUnderApiBaseUrl) {
  auto plan = plan_proxy(proxied("POST", "/v1/proxy/gh/repos/a%20b/issues?state=open&x=%2F",
                                 {{"X-Latchkey-Account", "  work "}, {"Accept", "application/json"}}),
                         "alice");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->ref.principal, "alice");
  EXPECT_EQ(plan->ref.provider, "gh");
  EXPECT_EQ(plan->ref.account, "work");
  EXPECT_EQ(plan->request.method, "POST");
  // The rest of the path as received, still percent-encoded, and the raw query.
  EXPECT_EQ(plan->request.url, "/repos/a%20b/issues?state=open&x=%2F");
  EXPECT_EQ(plan->request.body, "payload");
  EXPECT_FALSE(plan->request.follow_redirects);
  EXPECT_EQ(plan->request.headers, (Params{{"Accept", "application/json"}}));
}

TEST(ProxyPlan, TheProviderAloneIsApiBaseUrlItself) {
  const std::pair<const char*, const char*> cases[] = {
      {"/v1/proxy/mcp", ""},
      {"/v1/proxy/mcp?session=1", "?session=1"},
      {"/v1/proxy/mcp/", "/"},
      {"/v1/proxy/mcp/a/", "/a/"},
      {"/v1/proxy/m%63p/x", "/x"},
  };
  for (const auto& [target, url] : cases) {
    auto plan = plan_proxy(proxied("GET", target), "bob");
    ASSERT_TRUE(plan.ok()) << target << ": " << plan.error().message;
    EXPECT_EQ(plan->request.url, url) << target;
    EXPECT_EQ(plan->ref.provider, "mcp") << target;
    EXPECT_EQ(plan->ref.account, "") << target << ": the only connection";
  }
}

TEST(ProxyPlan, PathsThatCouldLeaveTheBasePathAreRefused) {
  const std::pair<const char*, const char*> cases[] = {
      {"/v1/proxy/gh/a/%2e%2e/admin", "the proxied path must not contain '.' or '..' segments (also as '..;' or encoded)"},
      {"/v1/proxy/gh/..;/admin", "the proxied path must not contain '.' or '..' segments (also as '..;' or encoded)"},
      {"/v1/proxy/gh/a\\..\\b", "the proxied path must not contain backslashes"},
      {"/v1/proxy/gh/a%00b", "the proxied path must not contain NUL bytes (%00)"},
      {"/v1/proxy/gh/%c0%ae%c0%ae",
       "the proxied path must be UTF-8 once percent-decoded (overlong forms such as %c0%ae are refused)"},
      {"/v1/providers/gh", "the request path is not /v1/proxy/{provider}/..."},
      {"/v1/proxy", "the request path is not /v1/proxy/{provider}/..."},
      {"/v1/proxy//x", "the request path is not /v1/proxy/{provider}/..."},
  };
  for (const auto& [target, message] : cases) {
    auto plan = plan_proxy(proxied("GET", target), "alice");
    ASSERT_FALSE(plan.ok()) << target;
    EXPECT_EQ(plan.error().code, ErrorCode::invalid_request) << target;
    EXPECT_EQ(plan.error().message, message) << target;
  }
  // The query is the upstream's business: dots there are not path segments.
  EXPECT_TRUE(plan_proxy(proxied("GET", "/v1/proxy/gh/x?path=../.."), "alice").ok());
}

TEST(ProxyWire, RequestHeadersThatNeverGoUpstream) {
  std::string account = "unset";
  const Params out = upstream_request_headers(
      {{"Host", "127.0.0.1:8787"}, {"Authorization", "Bearer lk_x"}, {"Cookie", "s=1"}, {"Content-Length", "7"},
       {"Expect", "100-continue"}, {"Connection", "keep-alive, X-Hop"}, {"X-Hop", "1"}, {"Keep-Alive", "5"},
       {"TE", "trailers"}, {"Upgrade", "h2c"}, {"Proxy-Authorization", "Basic x"}, {"X-Latchkey-Other", "1"},
       {"Transfer-Encoding", "chunked"}, {"Accept", "*/*"}, {"content-type", "text/plain"}, {"X-Request-Id", "r1"}},
      &account);
  EXPECT_EQ(out, (Params{{"Accept", "*/*"}, {"content-type", "text/plain"}, {"X-Request-Id", "r1"}}));
  EXPECT_EQ(account, "unset") << "no X-Latchkey-Account: left as it was";
  upstream_request_headers({{"x-latchkey-account", "\tpersonal "}}, &account);
  EXPECT_EQ(account, "personal");
}

TEST(ProxyWire, ResponseHeadersThatNeverComeBack) {
  HttpResponse upstream;
  upstream.status = 201;
  upstream.headers = {{"Server", "nginx"},          {"Set-Cookie", "a=1"},         {"set-cookie2", "b=2"},
                      {"Connection", "X-Trace"},    {"X-Trace", "t"},              {"Transfer-Encoding", "chunked"},
                      {"Proxy-Authenticate", "x"},  {"Content-Type", "text/json"}, {"Content-Length", "12"},
                      {"Location", "/created/1"}};
  const HttpResponse head = caller_response_head(upstream);
  EXPECT_EQ(head.status, 201);
  EXPECT_EQ(head.headers, (std::vector<std::pair<std::string, std::string>>{
                              {"Content-Type", "text/json"}, {"Content-Length", "12"}, {"Location", "/created/1"}}));
}

TEST(ProxyWire, TheHeadTheCallerGets) {
  HttpResponse head;
  head.status = 200;
  head.headers = {{"Content-Type", "application/json"}, {"Content-Length", "2"}, {"X-Bad", "a\r\nInjected: 1"}};
  bool chunked = true;
  EXPECT_EQ(serialize_response_head(head, false, false, &chunked),
            "HTTP/1.1 200 OK\r\nServer: latchkeyd\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n");
  EXPECT_FALSE(chunked);
  // No length: chunked, unless no body may follow.
  head.headers = {{"Content-Type", "text/plain"}};
  EXPECT_EQ(serialize_response_head(head, false, true, &chunked),
            "HTTP/1.1 200 OK\r\nServer: latchkeyd\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_TRUE(chunked);
  EXPECT_EQ(serialize_response_head(head, true, false, &chunked),
            "HTTP/1.1 200 OK\r\nServer: latchkeyd\r\nContent-Type: text/plain\r\n\r\n");
  EXPECT_FALSE(chunked);
  head.status = 304;
  head.headers = {};
  EXPECT_EQ(serialize_response_head(head, false, false, &chunked), "HTTP/1.1 304 Not Modified\r\nServer: latchkeyd\r\n\r\n");
  EXPECT_FALSE(chunked);

  std::string out;
  append_body(out, "hello", 5, true);
  append_body(out, "abcdefghijklmnopqrstuvwxyz", 26, true);
  append_body(out, "raw", 3, false);
  EXPECT_EQ(out, "5\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\nraw");
}

TEST(ProxyWire, An405AsItGoesToTheClient) {
  const ApiResponse r = method_not_allowed("GET, HEAD");
  EXPECT_EQ(serialize_response(r, false, false),
            "HTTP/1.1 405 Method Not Allowed\r\nServer: latchkeyd\r\nContent-Type: application/json\r\n"
            "Cache-Control: no-store\r\nAllow: GET, HEAD\r\nContent-Length: 93\r\n\r\n"
            R"j({"error":{"code":"invalid_request","message":"method not allowed here (allowed: GET, HEAD)"}})j");
}

TEST(RequestHead, TheApiRequestABeastHeadBecomes) {
  http::request_header<> head;
  head.method(http::verb::put);
  head.target("/v1/providers/gh/app?x=1");
  head.insert(http::field::host, "127.0.0.1:8787");
  head.insert(http::field::authorization, "Bearer lk_abc");
  head.insert(http::field::accept, "application/json");
  head.insert("X-Latchkey-Account", "work");
  const ApiRequest api = api_request(head);
  EXPECT_EQ(api.method, "PUT");
  EXPECT_EQ(api.target, "/v1/providers/gh/app?x=1");
  EXPECT_EQ(api.host, "127.0.0.1:8787");
  EXPECT_EQ(api.authorization, "Bearer lk_abc");
  EXPECT_EQ(api.accept, "application/json");
  EXPECT_EQ(api.headers, (HeaderList{{"Host", "127.0.0.1:8787"}, {"Authorization", "Bearer lk_abc"},
                                     {"Accept", "application/json"}, {"X-Latchkey-Account", "work"}}));
  EXPECT_EQ(api.body, "");
  EXPECT_EQ(api.listen, "");
  EXPECT_TRUE(api.refused_access_token.empty());
}

TEST(RequestHead, OnlyTheProxyStreamsItsBody) {
  EXPECT_TRUE(streams_body("/v1/proxy/gh/x"));
  EXPECT_TRUE(streams_body("/v1/proxy/gh"));
  EXPECT_FALSE(streams_body("/v1/proxy"));
  EXPECT_FALSE(streams_body("/v1/providers/gh/app"));
  EXPECT_FALSE(streams_body("/v2/proxy/gh"));
}

}  // namespace
}  // namespace latchkey::gateway
