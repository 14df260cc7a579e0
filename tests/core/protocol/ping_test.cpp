// The ping's verdict (latchkey/ping.hpp): a 2xx status, and the provider's ok member when it names one.
#include "latchkey/ping.hpp"

#include <gtest/gtest.h>

namespace latchkey {
namespace {

Provider with_ping(const std::string& ok_path) {
  Provider p;
  p.key = "p";
  p.ping = ProbeRequest{};
  p.ping->url = "https://api.example/auth.test";
  p.ping->ok_path = ok_path;
  return p;
}

HttpResponse answer(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(Ping, TheStatusDecidesWhenNoOkPathIsNamed) {
  EXPECT_TRUE(judge_ping(with_ping(""), answer(200, "")).ok);
  EXPECT_TRUE(judge_ping(with_ping(""), answer(204, "")).ok);
  EXPECT_FALSE(judge_ping(with_ping(""), answer(401, "")).ok);
  EXPECT_TRUE(judge_ping(with_ping(""), answer(401, "")).token_refused);
  EXPECT_FALSE(judge_ping(with_ping(""), answer(503, "")).token_refused);
  EXPECT_FALSE(judge_ping(with_ping(""), answer(302, "")).ok);
}

// Slack answers HTTP 200 {"ok": false, "error": "invalid_auth"} for a revoked token
// (api.slack.com/methods/auth.test).
TEST(Ping, AnOkPathMustBeTrueInTheBody) {
  const Provider slack = with_ping("ok");
  EXPECT_TRUE(judge_ping(slack, answer(200, R"({"ok":true,"user_id":"U1"})")).ok);
  PingVerdict revoked = judge_ping(slack, answer(200, R"({"ok":false,"error":"invalid_auth"})"));
  EXPECT_FALSE(revoked.ok);
  EXPECT_EQ(revoked.why, "ok is not true: invalid_auth");
  EXPECT_TRUE(revoked.token_refused);
  PingVerdict limited = judge_ping(slack, answer(200, R"({"ok":false,"error":"ratelimited"})"));
  EXPECT_FALSE(limited.ok);
  EXPECT_FALSE(limited.token_refused);
  EXPECT_FALSE(judge_ping(slack, answer(200, R"({"ok":"true"})")).ok);
  EXPECT_FALSE(judge_ping(slack, answer(200, R"({})")).ok);
  EXPECT_FALSE(judge_ping(slack, answer(200, "<html>")).ok);
  EXPECT_FALSE(judge_ping(slack, answer(500, R"({"ok":true})")).ok);
  EXPECT_TRUE(judge_ping(with_ping("data.active"), answer(200, R"({"data":{"active":true}})")).ok);
}

TEST(Ping, AProviderWithoutAPingHasNoRequest) {
  Provider p;
  p.key = "none";
  auto r = ping_request(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  auto slack = ping_request(with_ping("ok"));
  ASSERT_TRUE(slack.ok());
  EXPECT_EQ(slack->url, "https://api.example/auth.test");
  EXPECT_EQ(slack->method, "GET");
}

}  // namespace
}  // namespace latchkey
