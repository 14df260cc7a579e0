// Prints the full effect transcript of a fixed scenario — every request, effect, host answer
// and result — driven through the C ABI with a fixed clock and entropy. The same program is
// built natively, with Emscripten and for WASI; ctest compares each build's transcript with
// tests/vectors/transcript.golden.jsonl, so the three builds must behave byte for byte alike.
#include <cstdio>
#include <string>

#include "json.hpp"
#include "latchkey/latchkey.h"
#include "latchkey/memory_store.hpp"
#include "results_json.hpp"
#include "support/json_store.hpp"

using latchkey::detail::json::Object;
using latchkey::detail::json::Value;

namespace {

std::int64_t now_ms = 1700000000000;
latchkey::MemoryStore store;

std::string take(char* p) {
  std::string s = p ? p : "";
  lk_free(p);
  return s;
}

void line(const char* kind, const std::string& json) { std::printf("{\"%s\":%s}\n", kind, json.c_str()); }

// Canned answers, keyed by URL: the "network" of this scenario.
std::string http_answer(const Object& http) {
  const std::string& url = http.at("url").get<std::string>();
  const std::string& body = http.at("body").get<std::string>();
  auto respond = [](int status, const std::string& content_type, const std::string& text) {
    Object o;
    o["status"] = Value(static_cast<std::int64_t>(status));
    latchkey::detail::json::Array headers;
    headers.push_back(Value(latchkey::detail::json::Array{Value(std::string("Content-Type")), Value(content_type)}));
    o["headers"] = Value(headers);
    o["body"] = Value(text);
    return Value(o).serialize();
  };
  if (url == "https://github.com/login/oauth/access_token") {
    return respond(200, "application/x-www-form-urlencoded", "access_token=gho_parity&scope=repo&token_type=bearer");
  }
  if (url == "https://api.github.com/user") return respond(200, "application/json", R"({"login":"octocat","id":1})");
  if (url == "https://oauth2.googleapis.com/token") {
    if (body.find("grant_type=refresh_token") != std::string::npos) {
      return respond(200, "application/json", R"({"access_token":"ya29.second","expires_in":3599,"token_type":"Bearer"})");
    }
    return respond(200, "application/json",
                   R"({"access_token":"ya29.first","refresh_token":"1//refresh","expires_in":3599,"scope":"openid email","token_type":"Bearer"})");
  }
  if (url == "https://openidconnect.googleapis.com/v1/userinfo") {
    return respond(200, "application/json", R"({"sub":"1","email":"alice@example.com"})");
  }
  if (url == "https://oauth2.googleapis.com/revoke") return respond(200, "text/plain", "");
  Object o;
  o["transport_error"] = Value(std::string("no route to ") + url);
  return Value(o).serialize();
}

/// Runs one operation, printing everything; returns its "done" document.
Value run(lk_engine* engine, const std::string& request) {
  line("request", request);
  lk_op* op = lk_op_begin(engine, request.c_str(), now_ms);
  std::string step = take(lk_op_step(op));
  for (int guard = 0; guard < 100; ++guard) {
    auto doc = latchkey::detail::json::parse(step, "step");
    if (!doc || !doc->is<Object>()) break;
    const Object& o = doc->get<Object>();
    if (!o.count("effect")) break;
    const Object& e = o.at("effect").get<Object>();
    line("effect", o.at("effect").serialize());
    std::string answer;
    const std::string& kind = e.at("kind").get<std::string>();
    if (kind == "http") answer = http_answer(e.at("http").get<Object>());
    else if (kind == "wait") {
      answer = "{}";
      now_ms = std::max(now_ms, e.at("until_ms").get<std::int64_t>());  // resumed once the deadline has come
    }
    else answer = latchkey::testing::answer_store_effect(store, e);
    line("answer", answer);
    now_ms += 7;  // the clock moves on while the host works
    step = take(lk_op_resume(op, answer.c_str(), now_ms));
  }
  lk_op_free(op);
  auto doc = latchkey::detail::json::parse(step, "step");
  line("done", doc && doc->is<Object>() && doc->get<Object>().count("done") ? doc->get<Object>().at("done").serialize() : step);
  return doc && doc->is<Object>() && doc->get<Object>().count("done") ? doc->get<Object>().at("done") : Value();
}

std::string state_of(const Value& done) {
  if (!done.is<Object>() || !done.get<Object>().count("ok")) return "";
  return done.get<Object>().at("ok").get<Object>().at("state").get<std::string>();
}

}  // namespace

int main() {
  char* error = nullptr;
  // Fixed key and entropy: the transcript (states, verifiers, nonces) is the same on every run.
  lk_engine* engine = lk_engine_new(
      R"({"master_keys":{"1":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},"current_key_version":1,)"
      R"("entropy":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5P"})",
      &error);
  if (!engine) {
    std::printf("engine: %s\n", error ? error : "?");
    return 1;
  }
  run(engine, R"({"op":"upsert_app","provider":"github","client_id":"gh-client","client_secret":"gh-secret","redirect_uri":"http://127.0.0.1:8765/callback"})");
  std::string state = state_of(run(engine, R"({"op":"authorize","provider":"github","principal":"alice","scopes":["repo"]})"));
  run(engine, R"({"op":"complete_callback","principal":"alice","callback":"http://127.0.0.1:8765/callback?code=c0de&state=)" + state + "\"}");
  run(engine, R"({"op":"complete_callback","principal":"alice","callback":"?code=c0de&state=)" + state + "\"}");
  run(engine, R"({"op":"get_token","provider":"github","principal":"alice"})");
  run(engine, R"({"op":"sign_request","provider":"github","principal":"alice","request":{"url":"/user/repos","headers":[["Authorization","Bearer caller"]]}})");

  run(engine, R"({"op":"upsert_app","provider":"google","client_id":"g-client","client_secret":"g-secret","redirect_uri":"http://127.0.0.1:8765/callback"})");
  state = state_of(run(engine, R"({"op":"authorize","provider":"google","principal":"alice","scopes":["openid","email"]})"));
  run(engine, R"({"op":"complete_callback","principal":"alice","callback":"?code=g&state=)" + state + "&iss=https%3A%2F%2Faccounts.google.com\"}");
  now_ms += 3600 * 1000;  // the Google token is now due
  run(engine, R"({"op":"get_token","provider":"google","principal":"alice"})");
  run(engine, R"({"op":"list_connections","principal":"alice"})");
  run(engine, R"({"op":"disconnect","provider":"google","principal":"alice","revoke":true})");
  run(engine, R"({"op":"get_token","provider":"google","principal":"alice"})");
  lk_engine_free(engine);
  return 0;
}
