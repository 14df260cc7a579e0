// send_authorized, the one authorized-request policy: sign → send → a 401 refreshes once and
// sends once more. Scripted effects: the API at api.acme.test accepts only the tokens a test
// names; the token endpoint issues A2, A3, … and counts the refreshes. Token strings are literals.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "headers.hpp"
#include "records.hpp"
#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::AcmeTest;
using testing::form_fields;
using testing::respond;

struct SendAuthorized : AcmeTest {
  std::set<std::string> accepted;  ///< Bearer tokens the API answers 200 to; others get a 401.
  int refreshes = 0;
  std::vector<std::string> api_tokens;  ///< The Authorization header of each API call, in order.

  void SetUp() override {
    AcmeTest::SetUp();
    connect();  // A1 / R1, fresh for an hour
    host.calls.clear();
    host.http = [this](const HttpRequest& req) { return server(req); };
  }

  EffectResult server(const HttpRequest& req) {
    if (req.url == "https://auth.acme.test/token") {
      ++refreshes;
      const std::string n = std::to_string(refreshes + 1);
      return respond(200, R"({"access_token":"A)" + n + R"(","refresh_token":"R)" + n +
                              R"(","token_type":"Bearer","expires_in":3600})");
    }
    const std::string* auth = detail::find_header(req.headers, "authorization");
    api_tokens.push_back(auth ? *auth : "");
    if (auth && accepted.count(*auth)) return respond(200, R"({"ok":true})", "application/json", {{"X-Api", "1"}});
    return respond(401, R"({"error":"invalid_token"})", "application/json", {{"WWW-Authenticate", "Bearer"}});
  }

  static HttpRequest get(const std::string& path = "/me") {
    HttpRequest r;
    r.url = path;
    return r;
  }
  Result<AuthorizedResponse> send(SendOptions options = {}) {
    return host.run(engine->send_authorized(ref, get(), std::move(options)));
  }
};

TEST_F(SendAuthorized, A200FirstTimeIsOneRequestAndNoRefresh) {
  accepted = {"Bearer A1"};
  auto r = send();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->response.status, 200);
  EXPECT_EQ(r->response.body, R"({"ok":true})");
  EXPECT_EQ(r->attempts, 1);
  EXPECT_FALSE(r->refreshed);
  EXPECT_TRUE(r->transport_error.empty());
  ASSERT_EQ(host.calls.size(), 1u);
  EXPECT_EQ(host.calls[0].url, "https://api.acme.test/me");
  EXPECT_EQ(api_tokens, std::vector<std::string>{"Bearer A1"});
  EXPECT_EQ(refreshes, 0);
}

TEST_F(SendAuthorized, A401RefreshesOnceAndTheRetryCarriesTheNewToken) {
  accepted = {"Bearer A2"};  // the API forgot A1
  auto r = send();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->response.status, 200);
  EXPECT_EQ(r->attempts, 2);
  EXPECT_TRUE(r->refreshed);
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(api_tokens, (std::vector<std::string>{"Bearer A1", "Bearer A2"}));
  ASSERT_EQ(host.calls.size(), 3u);  // API, token endpoint, API
  EXPECT_EQ(form_fields(host.calls[1].body)["refresh_token"], "R1");
  // The new token is the stored one from now on: no further refresh.
  auto again = send();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->attempts, 1);
  EXPECT_EQ(api_tokens.back(), "Bearer A2");
  EXPECT_EQ(refreshes, 1);
}

TEST_F(SendAuthorized, TwoRefusalsReturnTheSecond401AfterOneRefresh) {
  auto r = send();  // nothing is accepted
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->response.status, 401);
  EXPECT_EQ(r->response.body, R"({"error":"invalid_token"})");
  EXPECT_EQ(r->attempts, 2);
  EXPECT_TRUE(r->refreshed);
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(api_tokens, (std::vector<std::string>{"Bearer A1", "Bearer A2"}));
}

// Two requests sent with A1 both come back 401. The first refreshes (A2); the second finds the
// store holding a token other than the one refused and sends with it: one refresh, not two.
TEST_F(SendAuthorized, TwoConcurrent401sWithTheSameTokenMakeOneRefresh) {
  accepted = {"Bearer A2"};
  auto op1 = engine->send_authorized(ref, get());
  auto op2 = engine->send_authorized(ref, get());
  auto until_api = [this](Operation<AuthorizedResponse>& op, const Effect* e) {
    while (e && !(e->kind == EffectKind::http && e->http.url == "https://api.acme.test/me")) {
      e = op.resume(host.perform(*e), host.now_ms);
    }
    return e;
  };
  const Effect* e1 = until_api(*op1, op1->start(host.now_ms));
  const Effect* e2 = until_api(*op2, op2->start(host.now_ms));
  ASSERT_NE(e1, nullptr);
  ASSERT_NE(e2, nullptr);
  // Both were sent with A1 and refused.
  e1 = op1->resume(host.perform(*e1), host.now_ms);
  e2 = op2->resume(host.perform(*e2), host.now_ms);
  while (e1) e1 = op1->resume(host.perform(*e1), host.now_ms);
  while (e2) e2 = op2->resume(host.perform(*e2), host.now_ms);
  ASSERT_TRUE(op1->result().ok()) << op1->result().error().message;
  ASSERT_TRUE(op2->result().ok()) << op2->result().error().message;
  EXPECT_EQ(op1->result()->response.status, 200);
  EXPECT_EQ(op2->result()->response.status, 200);
  EXPECT_EQ(refreshes, 1);
  EXPECT_TRUE(op1->result()->refreshed);
  EXPECT_FALSE(op2->result()->refreshed);  // it took op1's token
  EXPECT_EQ(api_tokens, (std::vector<std::string>{"Bearer A1", "Bearer A1", "Bearer A2", "Bearer A2"}));
}

// The same when the second one meets the first mid-refresh: it waits for that token.
TEST_F(SendAuthorized, A401DuringAPeersRefreshWaitsForItsToken) {
  accepted = {"Bearer A2"};
  auto op1 = engine->send_authorized(ref, get());
  auto op2 = engine->send_authorized(ref, get());
  const Effect* e1 = op1->start(host.now_ms);
  const Effect* e2 = op2->start(host.now_ms);
  while (e2 && e2->kind != EffectKind::http) e2 = op2->resume(host.perform(*e2), host.now_ms);
  ASSERT_NE(e2, nullptr);
  e2 = op2->resume(host.perform(*e2), host.now_ms);  // A1 refused
  // op1: A1 refused, then up to its refresh request (holding the lease).
  while (e1 && !(e1->kind == EffectKind::http && e1->http.url == "https://auth.acme.test/token")) {
    e1 = op1->resume(host.perform(*e1), host.now_ms);
  }
  ASSERT_NE(e1, nullptr);
  // op2 now finds op1's lease: it waits and does not call the token endpoint.
  int waits = 0;
  while (e2 && waits < 3) {
    ASSERT_FALSE(e2->kind == EffectKind::http && e2->http.url == "https://auth.acme.test/token");
    waits += e2->kind == EffectKind::wait;
    const EffectResult r = host.perform(*e2);  // first: a wait moves the clock to its deadline
    e2 = op2->resume(r, host.now_ms);
  }
  while (e1) e1 = op1->resume(host.perform(*e1), host.now_ms);
  while (e2) e2 = op2->resume(host.perform(*e2), host.now_ms);
  ASSERT_TRUE(op1->result().ok()) << op1->result().error().message;
  ASSERT_TRUE(op2->result().ok()) << op2->result().error().message;
  EXPECT_EQ(op2->result()->response.status, 200);
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(api_tokens, (std::vector<std::string>{"Bearer A1", "Bearer A1", "Bearer A2", "Bearer A2"}));
}

TEST_F(SendAuthorized, ATransportErrorIsTheResultAndIsNotRetried) {
  host.http = [this](const HttpRequest& req) {
    if (req.url == "https://auth.acme.test/token") ++refreshes;
    return testing::transport_failure("could not reach api.acme.test (connection refused)");
  };
  auto r = send();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->transport_error, "could not reach api.acme.test (connection refused)");
  EXPECT_EQ(r->attempts, 1);
  EXPECT_EQ(host.calls.size(), 1u);
  EXPECT_EQ(refreshes, 0);
}

TEST_F(SendAuthorized, AHostTheTokenMayNotGoToIsRefusedBeforeAnythingIsSent) {
  auto r = host.run(engine->send_authorized(ref, get("https://evil.test/steal")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(SendAuthorized, ARefreshThatFailsAfterA401IsTheError) {
  host.http = [this](const HttpRequest& req) {
    if (req.url == "https://auth.acme.test/token") return respond(400, R"({"error":"invalid_grant"})");
    return server(req);
  };
  auto r = send();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::needs_reauth);
  EXPECT_EQ(api_tokens, std::vector<std::string>{"Bearer A1"});
}

// The head-only form for hosts that stream the body to their client: the first attempt's 401 is
// held back (it will be answered by the retry), the retry's answer is streamed whatever it is.
TEST_F(SendAuthorized, StreamingHoldsBackOnlyTheFirstAttempts401) {
  accepted = {"Bearer A2"};
  std::vector<std::pair<bool, bool>> flags;  // (stream, hold_401) of each API request
  auto op = engine->send_authorized(ref, get(), SendOptions{true, true, ""});
  const Effect* e = op->start(host.now_ms);
  while (e) {
    if (e->kind == EffectKind::http && e->http.url == "https://api.acme.test/me") {
      flags.emplace_back(e->stream, e->hold_401);
    } else if (e->kind == EffectKind::http) {
      EXPECT_FALSE(e->stream || e->hold_401) << "the token endpoint's answer is the core's";
    }
    EffectResult r = host.perform(*e);
    if (e->stream) r.response.body.clear();  // a streaming host answers with the head only
    e = op->resume(r, host.now_ms);
  }
  ASSERT_TRUE(op->result().ok()) << op->result().error().message;
  EXPECT_EQ(op->result()->response.status, 200);
  EXPECT_EQ(flags, (std::vector<std::pair<bool, bool>>{{true, true}, {true, false}}));
  EXPECT_EQ(refreshes, 1);
}

// A streamed request body cannot be sent twice: the 401 goes through, and the token is refreshed
// for the caller's own retry.
TEST_F(SendAuthorized, WithoutResendA401IsTheAnswerAndTheTokenIsRefreshed) {
  auto op = engine->send_authorized(ref, get(), SendOptions{true, false, ""});
  const Effect* e = op->start(host.now_ms);
  while (e) {
    if (e->kind == EffectKind::http && e->stream) EXPECT_FALSE(e->hold_401);
    e = op->resume(host.perform(*e), host.now_ms);
  }
  ASSERT_TRUE(op->result().ok()) << op->result().error().message;
  EXPECT_EQ(op->result()->response.status, 401);
  EXPECT_EQ(op->result()->attempts, 1);
  EXPECT_TRUE(op->result()->refreshed);
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(api_tokens, std::vector<std::string>{"Bearer A1"});
  accepted = {"Bearer A2"};
  auto next = send();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->attempts, 1);  // the caller's retry finds A2
  EXPECT_EQ(refreshes, 1);
}

// latchkeyd's event loop signs from a cached signer and sees the 401 itself: it passes on the
// refused token, and the op sends once, after the refresh.
TEST_F(SendAuthorized, ARefusedTokenFromTheCallerIsReplacedThenSentOnce) {
  accepted = {"Bearer A2"};
  auto r = send(SendOptions{false, true, "A1"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->response.status, 200);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_TRUE(r->refreshed);
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(api_tokens, std::vector<std::string>{"Bearer A2"});
  // A second request refused with A1 (sent before the refresh) finds A2 already there.
  auto late = send(SendOptions{false, true, "A1"});
  ASSERT_TRUE(late.ok()) << late.error().message;
  EXPECT_EQ(late->response.status, 200);
  EXPECT_FALSE(late->refreshed);
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(api_tokens, (std::vector<std::string>{"Bearer A2", "Bearer A2"}));
  // And its answer is the last word: a 401 now is not retried.
  accepted.clear();
  auto refused = send(SendOptions{false, true, "A2"});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->response.status, 401);
  EXPECT_EQ(refused->attempts, 1);
  EXPECT_EQ(refreshes, 2);
  EXPECT_EQ(api_tokens.back(), "Bearer A3");
}

// get_token on its own: a forced refresh naming the refused token refreshes only that token.
TEST_F(SendAuthorized, AForcedRefreshOfATokenAlreadyReplacedTakesTheNewOne) {
  auto first = host.run(engine->get_token(ref, true));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->access_token, "A2");
  ASSERT_EQ(refreshes, 1);
  auto op = engine->send_authorized(ref, get(), SendOptions{false, true, "A1"});
  accepted = {"Bearer A2"};
  auto r = host.run(*op);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(api_tokens, std::vector<std::string>{"Bearer A2"});
}

}  // namespace
}  // namespace latchkey
