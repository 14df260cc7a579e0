// The C ABI as a wasm or FFI host sees it: JSON requests, effects and results.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "json.hpp"
#include "latchkey/latchkey.h"
#include "operations.hpp"
#include "support/fake_host.hpp"
#include "support/json_store.hpp"

namespace {

using latchkey::detail::json::Object;
using latchkey::detail::json::Value;

struct Owned {
  explicit Owned(char* p) : s(p ? p : "") { lk_free(p); }
  std::string s;
};

Value parse(const std::string& s) {
  auto v = latchkey::detail::json::parse(s, "test");
  EXPECT_TRUE(v.ok()) << s;
  return v.ok() ? *v : Value();
}

// A JSON-speaking host over the same in-memory store the C++ tests use.
struct CApi : ::testing::Test {
  void SetUp() override {
    char* err = nullptr;
    // 32 bytes of 'B' as the key, 48 bytes of 0x07 as entropy (base64).
    engine = lk_engine_new(R"({"master_keys": {"1": "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="},
                               "entropy": "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH"})",
                           &err);
    ASSERT_NE(engine, nullptr) << (err ? err : "");
  }
  void TearDown() override { lk_engine_free(engine); }

  // Runs a request to completion, answering store effects from `store` and http with `http`.
  Value run(const std::string& request) {
    lk_op* op = lk_op_begin(engine, request.c_str(), now);
    Value step = parse(Owned(lk_op_step(op)).s);
    int guard = 0;
    while (step.get<Object>().count("effect") && ++guard < 1000) {
      const Object& effect = step.get<Object>().at("effect").get<Object>();
      std::string result = perform(effect);
      step = parse(Owned(lk_op_resume(op, result.c_str(), now)).s);
    }
    lk_op_free(op);
    return step.get<Object>().at("done");
  }

  std::string perform(const Object& e) {
    const std::string& kind = e.at("kind").get<std::string>();
    if (kind == "wait") {
      // A deadline in the clock this host passes (now): answered once it has come.
      const std::int64_t until = e.at("until_ms").get<std::int64_t>();
      wait_until.push_back(until);
      EXPECT_EQ(e.size(), 2u) << "a wait carries its kind and until_ms only: " << Value(e).serialize();
      slept_ms += until - now;
      now = std::max(now, until);
      return "{}";
    }
    if (kind == "http") {
      ++http_calls;
      http_effects.push_back(Value(e));
      const std::string& url = e.at("http").get<Object>().at("url").get<std::string>();
      if (url == "https://api.github.com/user") {
        return R"({"status":200,"headers":[["Content-Type","application/json"]],"body":"{\"login\":\"octocat\",\"id\":1}"})";
      }
      return http_answer;
    }
    return latchkey::testing::answer_store_effect(store, e);
  }

  lk_engine* engine = nullptr;
  latchkey::testing::MemoryStore store;
  std::int64_t now = 1700000000000;
  std::string http_answer;
  int http_calls = 0;
  std::vector<Value> http_effects;
  std::int64_t slept_ms = 0;
  std::vector<std::int64_t> wait_until;  ///< Each wait effect's until_ms, in order.
};

TEST_F(CApi, ErrorsAreJsonDocuments) {
  Value done = run("{not json");
  ASSERT_TRUE(done.is<Object>());
  EXPECT_EQ(done.get<Object>().at("error").get<Object>().at("code").get<std::string>(), "invalid_request");
  done = run(R"({"op": "no_such_op"})");
  EXPECT_EQ(done.get<Object>().at("error").get<Object>().at("code").get<std::string>(), "invalid_request");
  done = run(R"({"op": "get_provider"})");
  EXPECT_NE(done.get<Object>().at("error").get<Object>().at("message").get<std::string>().find("'key'"),
            std::string::npos);
}

TEST_F(CApi, FullFlowOverJson) {
  Value p = run(R"({"op":"upsert_app","provider":"github","client_id":"gh-id","client_secret":"gh-secret",
                   "redirect_uri":"http://127.0.0.1:9999/cb"})");
  ASSERT_TRUE(p.get<Object>().count("ok")) << p.serialize();
  EXPECT_EQ(p.get<Object>().at("ok").get<Object>().count("client_secret"), 0u);
  EXPECT_TRUE(p.get<Object>().at("ok").get<Object>().at("has_client_secret").get<bool>());

  Value a = run(R"({"op":"authorize","provider":"github","principal":"alice","scopes":["repo"]})");
  ASSERT_TRUE(a.get<Object>().count("ok")) << a.serialize();
  std::string state = a.get<Object>().at("ok").get<Object>().at("state").get<std::string>();

  http_answer = R"({"status":200,"headers":[["Content-Type","application/x-www-form-urlencoded"]],
                    "body":"access_token=gho_abc&scope=repo&token_type=bearer"})";
  Value c = run(R"({"op":"complete_callback","principal":"alice","callback":"?code=x&state=)" + state + "\"}");
  ASSERT_TRUE(c.get<Object>().count("ok")) << c.serialize();
  EXPECT_EQ(c.get<Object>().at("ok").get<Object>().at("scope").get<std::string>(), "repo");
  // No account was given: GitHub's identity endpoint named it.
  EXPECT_EQ(c.get<Object>().at("ok").get<Object>().at("account").get<std::string>(), "octocat");

  Value t = run(R"({"op":"get_token","provider":"github","principal":"alice"})");
  ASSERT_TRUE(t.get<Object>().count("ok")) << t.serialize();
  EXPECT_EQ(t.get<Object>().at("ok").get<Object>().at("access_token").get<std::string>(), "gho_abc");
  EXPECT_EQ(http_calls, 2);  // the code exchange and the identity lookup; the token came from the store

  Value s = run(R"({"op":"sign_request","provider":"github","principal":"alice",
                    "request":{"url":"https://api.github.com/user"}})");
  ASSERT_TRUE(s.get<Object>().count("ok")) << s.serialize();
  EXPECT_NE(s.serialize().find("Bearer gho_abc"), std::string::npos);

  for (const auto& [k, v] : store.records) {
    EXPECT_EQ(v.value.find("gho_abc"), std::string::npos);
    EXPECT_EQ(v.value.find("gh-secret"), std::string::npos);
  }
}

// send_authorized over JSON, as the JS broker's fetch drives it: with "stream" the API request is
// an http effect marked stream and hold_401 (the host keeps the body); the result is the answer's
// head. The effects of every other operation carry neither member.
TEST_F(CApi, SendAuthorizedOverJson) {
  ASSERT_TRUE(run(R"({"op":"upsert_app","provider":"github","client_id":"gh-id","client_secret":"gh-secret",
                      "redirect_uri":"http://127.0.0.1:9999/cb"})").get<Object>().count("ok"));
  Value a = run(R"({"op":"authorize","provider":"github","principal":"alice","scopes":["repo"]})");
  std::string state = a.get<Object>().at("ok").get<Object>().at("state").get<std::string>();
  http_answer = R"({"status":200,"headers":[],"body":"access_token=gho_abc&scope=repo&token_type=bearer"})";
  ASSERT_TRUE(run(R"({"op":"complete_callback","principal":"alice","callback":"?code=x&state=)" + state + "\"}")
                  .get<Object>()
                  .count("ok"));
  for (const auto& e : http_effects) {
    EXPECT_EQ(e.get<Object>().count("stream"), 0u) << e.serialize();
    EXPECT_EQ(e.get<Object>().count("hold_401"), 0u) << e.serialize();
  }
  http_effects.clear();

  Value r = run(R"({"op":"send_authorized","provider":"github","principal":"alice","stream":true,
                    "request":{"url":"https://api.github.com/user"}})");
  ASSERT_TRUE(r.get<Object>().count("ok")) << r.serialize();
  const Object& ok = r.get<Object>().at("ok").get<Object>();
  EXPECT_EQ(ok.at("status").get<std::int64_t>(), 200);
  EXPECT_EQ(ok.at("attempts").get<std::int64_t>(), 1);
  EXPECT_FALSE(ok.at("refreshed").get<bool>());
  EXPECT_TRUE(ok.at("transport_error").is<picojson::null>());
  ASSERT_EQ(http_effects.size(), 1u);
  const Object& effect = http_effects[0].get<Object>();
  EXPECT_TRUE(effect.at("stream").get<bool>());
  EXPECT_TRUE(effect.at("hold_401").get<bool>());
  EXPECT_NE(effect.at("http").serialize().find("Bearer gho_abc"), std::string::npos);
  http_effects.clear();

  // Without "stream": a plain http effect, the body in the result.
  r = run(R"({"op":"send_authorized","provider":"github","principal":"alice","request":{"url":"/user"}})");
  ASSERT_TRUE(r.get<Object>().count("ok")) << r.serialize();
  EXPECT_EQ(r.get<Object>().at("ok").get<Object>().at("body").get<std::string>(), R"({"login":"octocat","id":1})");
  ASSERT_EQ(http_effects.size(), 1u);
  EXPECT_EQ(http_effects[0].get<Object>().count("stream"), 0u);
  EXPECT_EQ(http_effects[0].get<Object>().count("hold_401"), 0u);
}

TEST_F(CApi, DeviceGrantInTwoOperations) {
  Value p = run(R"({"op":"register_provider","provider":{"key":"dev","display_name":"Dev",
                   "authorization_endpoint":"https://as.dev.test/auth","token_endpoint":"https://as.dev.test/token",
                   "device_authorization_endpoint":"https://as.dev.test/device","default_scopes":["read"],
                   "injection":{"hosts":["api.dev.test"]}}})");
  ASSERT_TRUE(p.get<Object>().count("ok")) << p.serialize();
  ASSERT_TRUE(run(R"({"op":"upsert_app","provider":"dev","client_id":"id","client_secret":"s"})").get<Object>().count("ok"));

  http_answer = R"({"status":200,"headers":[["Content-Type","application/json"]],
                    "body":"{\"device_code\":\"DC-secret\",\"user_code\":\"ABCD-EFGH\",\"verification_uri\":\"https://as.dev.test/activate\",\"expires_in\":600,\"interval\":2}"})";
  Value a = run(R"({"op":"device_authorize","provider":"dev","principal":"alice"})");
  ASSERT_TRUE(a.get<Object>().count("ok")) << a.serialize();
  const Object& info = a.get<Object>().at("ok").get<Object>();
  EXPECT_EQ(info.at("user_code").get<std::string>(), "ABCD-EFGH");
  EXPECT_EQ(info.at("verification_uri").get<std::string>(), "https://as.dev.test/activate");
  EXPECT_TRUE(info.at("verification_uri_complete").is<picojson::null>());
  EXPECT_EQ(info.at("interval_ms").get<std::int64_t>(), 2000);
  EXPECT_EQ(a.serialize().find("DC-secret"), std::string::npos);
  std::string handle = info.at("handle").get<std::string>();

  http_answer = R"({"status":200,"headers":[["Content-Type","application/json"]],
                    "body":"{\"access_token\":\"tok\",\"token_type\":\"Bearer\",\"expires_in\":60}"})";
  // Once: not due yet (the interval since the code was shown), so "pending" and when to ask.
  Value once = run(R"({"op":"device_poll_once","principal":"alice","handle":")" + handle + "\"}");
  ASSERT_TRUE(once.get<Object>().count("ok")) << once.serialize();
  const Object& pending = once.get<Object>().at("ok").get<Object>();
  EXPECT_TRUE(pending.at("pending").get<bool>());
  EXPECT_EQ(pending.at("next_poll_at_ms").get<std::int64_t>(), now + 2000);
  EXPECT_EQ(pending.count("connection"), 0u);
  EXPECT_EQ(slept_ms, 0);

  const std::int64_t poll_started = now;
  Value c = run(R"({"op":"device_poll","principal":"alice","handle":")" + handle + "\"}");
  ASSERT_TRUE(c.get<Object>().count("ok")) << c.serialize();
  EXPECT_EQ(c.get<Object>().at("ok").get<Object>().at("grant").get<std::string>(), "device_code");
  EXPECT_EQ(slept_ms, 2000);
  EXPECT_EQ(wait_until, std::vector<std::int64_t>{poll_started + 2000});  // absolute: the interval from when it polled
  Value again = run(R"({"op":"device_poll","principal":"alice","handle":")" + handle + "\"}");
  EXPECT_EQ(again.get<Object>().at("error").get<Object>().at("code").get<std::string>(), "invalid_state");
  EXPECT_EQ(run(R"({"op":"device_poll"})").get<Object>().at("error").get<Object>().at("code").get<std::string>(),
            "invalid_request");
}

// Each bad request is refused with the message the ABI has always given (hosts show them).
TEST_F(CApi, BadRequestsNameTheirProblem) {
  auto message = [&](const std::string& request) {
    Value done = run(request);
    const Object& e = done.get<Object>().at("error").get<Object>();
    EXPECT_EQ(e.at("code").get<std::string>(), "invalid_request") << request;
    return e.at("message").get<std::string>();
  };
  EXPECT_EQ(message("[1]"), "the request must be a JSON object");
  EXPECT_EQ(message(R"({"op": "no_such_op"})"), "unknown operation 'no_such_op'");
  EXPECT_EQ(message(R"({"op": 7})"), "unknown operation ''");
  EXPECT_EQ(message(R"({"op": "get_provider"})"), "'key' is required");
  EXPECT_EQ(message(R"({"op": "discover_provider", "key": "k"})"), "'issuer' is required");
  EXPECT_EQ(message(R"({"op": "register_provider", "provider": "github"})"), "'provider' must be a provider object");
  // The mode is checked as it is read, before the missing provider is reported.
  EXPECT_EQ(message(R"({"op": "set_mode", "mode": "theirs"})"), R"('mode' must be "managed" or "your-own")");
  EXPECT_EQ(message(R"({"op": "set_mode", "mode": "managed"})"), "'provider' is required");
  EXPECT_EQ(message(R"({"op": "sign_request", "provider": "github"})"), "'request' must be an object");
  EXPECT_EQ(message(R"({"op": "sign_request", "provider": "github", "request": {"headers": 5}})"),
            "request: 'headers' must be [[name, value], ...]");
  EXPECT_EQ(message(R"({"op": "get_token", "provider": "github", "force_refresh": "yes"})"),
            "'force_refresh' must be true or false");
  EXPECT_EQ(message(R"({"op": "list_connections", "principal": 7})"), "'principal' must be a string");
  EXPECT_EQ(message(R"({"op": "device_authorize", "provider": "github", "timeout_ms": 1.5})"),
            "'timeout_ms' must be a whole number");
  EXPECT_EQ(message(R"({"op": "upsert_app", "provider": "github", "template_values": {"shop": 1}})"),
            "'template_values' must be an object of strings");
  EXPECT_TRUE(store.records.empty());
}

TEST(OperationTable, EveryNameIsFoundAndUnique) {
  const auto& table = latchkey::detail::operation_table();
  EXPECT_EQ(table.size(), 26u);
  for (const auto& entry : table) {
    EXPECT_EQ(latchkey::detail::find_operation(entry.name), &entry) << entry.name;
  }
  EXPECT_EQ(latchkey::detail::find_operation("no_such_op"), nullptr);
  EXPECT_EQ(latchkey::detail::find_operation(""), nullptr);
}

// The engine goes when its last operation does: an operation begun before lk_engine_free still
// runs to the end (its sealer and generator are used after the first effect) and frees cleanly.
// Under the debug preset's ASan a freed engine would be a heap-use-after-free here.
TEST_F(CApi, AnOperationOutlivesItsFreedEngine) {
  ASSERT_TRUE(run(R"({"op":"upsert_app","provider":"github","client_id":"gh-id","client_secret":"gh-secret",
                      "redirect_uri":"http://127.0.0.1:9999/cb"})").get<Object>().count("ok"));
  lk_op* op = lk_op_begin(engine, R"({"op":"authorize","provider":"github","principal":"alice"})", now);
  lk_op* idle = lk_op_begin(engine, R"({"op":"list_apps"})", now);  // freed without being driven
  Value step = parse(Owned(lk_op_step(op)).s);
  ASSERT_TRUE(step.get<Object>().count("effect")) << step.serialize();
  lk_engine_free(engine);
  engine = nullptr;  // TearDown frees nothing more
  int guard = 0;
  while (step.get<Object>().count("effect") && ++guard < 100) {
    std::string result = perform(step.get<Object>().at("effect").get<Object>());
    step = parse(Owned(lk_op_resume(op, result.c_str(), now)).s);
  }
  const Object& done = step.get<Object>().at("done").get<Object>();
  ASSERT_TRUE(done.count("ok")) << step.serialize();
  std::string url = done.at("ok").get<Object>().at("authorization_url").get<std::string>();
  EXPECT_EQ(url.rfind("https://github.com/login/oauth/authorize?", 0), 0u) << url;
  EXPECT_EQ(latchkey::testing::query_fields(url)["state"], done.at("ok").get<Object>().at("state").get<std::string>());
  lk_op_free(op);
  lk_op_free(idle);
}

TEST_F(CApi, BadEffectResultEndsTheOperationWithAnError) {
  lk_op* op = lk_op_begin(engine, R"({"op":"get_app","provider":"github"})", now);
  Owned first(lk_op_step(op));
  ASSERT_NE(first.s.find("store.get"), std::string::npos);
  Value done = parse(Owned(lk_op_resume(op, "{\"found\": \"yes\"}", now)).s);
  EXPECT_EQ(done.get<Object>().at("done").get<Object>().at("error").get<Object>().at("code").get<std::string>(),
            "invalid_request");
  lk_op_free(op);
}

TEST_F(CApi, EngineConfigIsValidated) {
  char* err = nullptr;
  EXPECT_EQ(lk_engine_new(R"({"master_keys": {"1": "c2hvcnQ="}, "entropy": "c2hvcnQ="})", &err), nullptr);
  ASSERT_NE(err, nullptr);
  EXPECT_NE(std::string(err).find("32 bytes"), std::string::npos);
  lk_free(err);
}

TEST_F(CApi, BuildAuthorizationStoresNothingAndPairsVerifierWithChallenge) {
  Owned r(lk_build_authorization(engine, R"({"provider":"google","client_id":"cid","redirect_uri":"http://127.0.0.1:9/cb","scopes":["openid"]})"));
  Value v = parse(r.s);
  ASSERT_TRUE(v.get<Object>().count("ok")) << r.s;
  const Object& ok = v.get<Object>().at("ok").get<Object>();
  std::string verifier = ok.at("code_verifier").get<std::string>();
  Owned challenge(lk_pkce_challenge(verifier.c_str()));
  EXPECT_NE(challenge.s.find(ok.at("code_challenge").get<std::string>()), std::string::npos);
  auto fields = latchkey::testing::query_fields(ok.at("authorization_url").get<std::string>());
  EXPECT_EQ(fields["state"], ok.at("state").get<std::string>());
  EXPECT_EQ(fields["code_challenge"], ok.at("code_challenge").get<std::string>());
  EXPECT_EQ(fields["access_type"], "offline");
  EXPECT_TRUE(store.records.empty());
  Owned bad(lk_build_authorization(engine, R"({"provider":"google","client_id":"cid","redirect_uri":"http://evil.test/cb"})"));
  EXPECT_NE(bad.s.find("invalid_request"), std::string::npos);
}

TEST(CApiHelpers, ParseTokenResponse) {
  Owned ok(lk_parse_token_response(
      R"({"provider":"github","status":200,"content_type":"application/x-www-form-urlencoded","body":"access_token=gho_1&scope=repo&token_type=bearer","now_ms":1000})"));
  EXPECT_NE(ok.s.find(R"("access_token":"gho_1")"), std::string::npos) << ok.s;
  EXPECT_NE(ok.s.find(R"("scope":"repo")"), std::string::npos);
  Owned err(lk_parse_token_response(R"({"provider":"github","status":200,"body":"{\"error\":\"bad_verification_code\"}"})"));
  EXPECT_NE(err.s.find(R"("code":"invalid_grant")"), std::string::npos) << err.s;
}

TEST(CApiHelpers, NullHandlesAreErrorsNotCrashes) {
  lk_op* op = lk_op_begin(nullptr, R"({"op":"list_apps"})", 0);
  Owned step(lk_op_step(op));
  EXPECT_NE(step.s.find("invalid_request"), std::string::npos);
  lk_op_free(op);
  Owned none(lk_op_step(nullptr));
  EXPECT_NE(none.s.find("invalid_request"), std::string::npos);
  EXPECT_EQ(lk_engine_add_entropy(nullptr, "AAAA"), -1);
  Owned b(lk_build_authorization(nullptr, "{}"));
  EXPECT_NE(b.s.find("invalid_request"), std::string::npos);
}

TEST(CApiHelpers, KeptMembersCannotBeSecrets) {
  Owned r(lk_validate_provider(R"({"key":"k","display_name":"K","authorization_endpoint":"https://a.test/a",
    "token_endpoint":"https://a.test/t","api_base_url":"https://a.test",
    "token_response":{"root":"","keep":["refresh_token"],"expires_in_unit":"seconds"}})"));
  EXPECT_NE(r.s.find("invalid_request"), std::string::npos) << r.s;
  EXPECT_NE(r.s.find("refresh_token"), std::string::npos);
}

TEST(CApiHelpers, PkceAndCatalog) {
  Owned pkce(lk_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
  EXPECT_NE(pkce.s.find("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), std::string::npos);
  Owned bad(lk_pkce_challenge("short"));
  EXPECT_NE(bad.s.find("invalid_request"), std::string::npos);
  Owned catalog(lk_catalog());
  EXPECT_NE(catalog.s.find("\"key\":\"google\""), std::string::npos);
  Owned codes(lk_error_codes());
  for (const char* c : {"invalid_state", "state_expired", "state_reused", "needs_reauth", "malformed_response"}) {
    EXPECT_NE(codes.s.find(c), std::string::npos) << c;
  }
}

}  // namespace
