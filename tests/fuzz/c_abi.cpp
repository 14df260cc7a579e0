// The C ABI's effect loop (latchkey.h) driven as a wasm or FFI host drives it, except that the
// host lies: each effect's result may be any text the fuzzer chose. Every step must still be a
// JSON document of the documented shape, every operation must end, and no answer may carry the
// app's client secret.
//
// A store is made once with a GitHub app and a connection for "alice", a device-grant provider
// "dev" with an app and a pending device authorization, and a pending callback for "bob"; each
// input starts from a copy of it. Input: the request (a JSON object, or any other first line to
// pick one of the requests below by its first byte), then one line per effect with the result
// to hand back; an empty line, or running out of lines, answers honestly.
#include <string>
#include <vector>

#include "fuzz_target.hpp"
#include "json.hpp"
#include "latchkey/latchkey.h"
#include "support/json_store.hpp"

namespace latchkey::fuzz {

namespace {
namespace json = detail::json;

constexpr char kConfig[] = R"({"master_keys": {"1": "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="},
  "entropy": "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH"})";
constexpr char kSecret[] = "gh-secret-5b1f";
constexpr std::int64_t kNow = 1700000000000;
constexpr int kMaxSteps = 200;

std::string take(char* p) {
  std::string s = p != nullptr ? p : "";
  lk_free(p);
  return s;
}

/// The honest host's answer: the store's own, and for http a token response (or an identity).
std::string honest(MemoryStore& store, const json::Object& effect) {
  const std::string* kind = json::get_string(effect, "kind");
  if (kind == nullptr) return "{}";
  if (*kind == "wait") return "{}";
  if (*kind == "http") {
    const json::Object* http = json::get_object(effect, "http");
    const std::string* url = http != nullptr ? json::get_string(*http, "url") : nullptr;
    if (url != nullptr && url->find("/device") != std::string::npos) {
      return R"({"status":200,"headers":[["Content-Type","application/json"]],"body":"{\"device_code\":\"DC\",\"user_code\":\"ABCD-EFGH\",\"verification_uri\":\"https://as.dev.test/activate\",\"expires_in\":600,\"interval\":1}"})";
    }
    if (url != nullptr && url->find("/user") != std::string::npos) {
      return R"({"status":200,"headers":[["Content-Type","application/json"]],"body":"{\"login\":\"octocat\",\"id\":1}"})";
    }
    return R"({"status":200,"headers":[["Content-Type","application/json"]],"body":"{\"access_token\":\"tok\",\"token_type\":\"Bearer\",\"expires_in\":3600,\"refresh_token\":\"rt\"}"})";
  }
  return testing::answer_store_effect(store, effect);
}

struct Step {
  bool done = false;
  json::Object effect;
  json::Value result;
};

/// True when a string in the request holds a control character.
bool has_controls(const json::Value& v) {
  if (v.is<std::string>()) {
    for (char c : v.get<std::string>()) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
    }
  } else if (v.is<json::Object>()) {
    for (const auto& [name, member] : v.get<json::Object>()) {
      if (has_controls(json::Value(name)) || has_controls(member)) return true;
    }
  } else if (v.is<json::Array>()) {
    for (const auto& item : v.get<json::Array>()) {
      if (has_controls(item)) return true;
    }
  }
  return false;
}

/// Checks a step's shape (latchkey.h: {"effect": {...}} or {"done": {"ok"|"error": ...}}).
/// `secret_given`: the input holds the client secret itself; `caller_controls`: the request
/// holds control characters (check_message).
Step read_step(const std::string& text, bool secret_given = false, bool caller_controls = false) {
  auto v = json::parse(text, "a step");
  check(v.ok() && v->is<json::Object>(), "a step that is not a JSON object");
  const json::Object& o = v->get<json::Object>();
  check(o.size() == 1, "a step with other members than effect or done");
  Step s;
  if (const json::Object* e = json::get_object(o, "effect")) {
    check(json::get_string(*e, "kind") != nullptr, "an effect without a kind");
    s.effect = *e;
    return s;
  }
  const json::Object* done = json::get_object(o, "done");
  check(done != nullptr && done->size() == 1, "a step that is neither an effect nor done");
  if (const json::Object* error = json::get_object(*done, "error")) {
    const std::string* code = json::get_string(*error, "code");
    const std::string* message = json::get_string(*error, "message");
    check(code != nullptr && message != nullptr, "an error without code and message");
    check_message(*message, caller_controls);
  } else {
    check(done->count("ok") == 1, "done without ok or error");
  }
  // Unless the fuzzer wrote the secret itself (an error may quote what the host answered).
  check(secret_given || text.find(kSecret) == std::string::npos, "an answer that carries the client secret");
  s.done = true;
  return s;
}

/// Runs `request` honestly; the step it ended with.
json::Value run_honest(lk_engine* engine, MemoryStore& store, const std::string& request) {
  lk_op* op = lk_op_begin(engine, request.c_str(), kNow);
  auto v = json::parse(take(lk_op_step(op)), "a step");
  for (int i = 0; i < kMaxSteps && v && json::get_object(v->get<json::Object>(), "effect"); ++i) {
    std::string r = honest(store, *json::get_object(v->get<json::Object>(), "effect"));
    v = json::parse(take(lk_op_resume(op, r.c_str(), kNow)), "a step");
  }
  lk_op_free(op);
  return v ? *v : json::Value();
}

std::string ok_string(const json::Value& done, const char* name) {
  const json::Object* d = json::get_object(done.get<json::Object>(), "done");
  const json::Object* ok = d != nullptr ? json::get_object(*d, "ok") : nullptr;
  const std::string* s = ok != nullptr ? json::get_string(*ok, name) : nullptr;
  check(s != nullptr, "the fuzz harness's set-up failed");
  return *s;
}

struct World {
  MemoryStore store;
  std::vector<std::string> requests;
};

const World& world() {
  static const World w = [] {
    World w;
    lk_engine* engine = lk_engine_new(kConfig, nullptr);
    check(engine != nullptr, "the fuzz harness's engine config is refused");
    run_honest(engine, w.store, std::string(R"({"op":"upsert_app","provider":"github","client_id":"gh-id","client_secret":")") +
                                    kSecret + R"(","redirect_uri":"http://127.0.0.1:9999/cb"})");
    std::string state =
        ok_string(run_honest(engine, w.store, R"({"op":"authorize","provider":"github","principal":"alice"})"), "state");
    ok_string(run_honest(engine, w.store,
                         R"({"op":"complete_callback","principal":"alice","callback":"?code=c&state=)" + state + "\"}"),
              "provider");
    run_honest(engine, w.store, R"({"op":"register_provider","provider":{"key":"dev","display_name":"Dev",
      "authorization_endpoint":"https://as.dev.test/auth","token_endpoint":"https://as.dev.test/token",
      "device_authorization_endpoint":"https://as.dev.test/device","revocation_endpoint":"https://as.dev.test/revoke",
      "default_scopes":["read"],"injection":{"hosts":["api.dev.test"]}}})");
    run_honest(engine, w.store, R"({"op":"upsert_app","provider":"dev","client_id":"dev-id","client_secret":"dev-s"})");
    std::string handle = ok_string(
        run_honest(engine, w.store, R"({"op":"device_authorize","provider":"dev","principal":"alice"})"), "handle");
    std::string bob =
        ok_string(run_honest(engine, w.store, R"({"op":"authorize","provider":"github","principal":"bob"})"), "state");
    lk_engine_free(engine);
    w.requests = {
        R"({"op":"get_token","provider":"github","principal":"alice"})",
        R"({"op":"get_token","provider":"github","principal":"alice","force_refresh":true})",
        R"({"op":"sign_request","provider":"github","principal":"alice","request":{"url":"https://api.github.com/user"}})",
        R"({"op":"complete_callback","principal":"bob","callback":"?code=c&state=)" + bob + "\"}",
        R"({"op":"authorize","provider":"github","principal":"carol","scopes":["repo"]})",
        R"({"op":"device_authorize","provider":"dev","principal":"carol"})",
        R"({"op":"device_poll","principal":"alice","handle":")" + handle + "\"}",
        R"({"op":"device_poll_once","principal":"alice","handle":")" + handle + "\"}",
        R"({"op":"disconnect","provider":"github","principal":"alice","revoke":true})",
        R"({"op":"connect_client_credentials","provider":"dev","principal":"svc"})",
        R"({"op":"discover_provider","key":"disc","issuer":"https://issuer.example.com"})",
        R"({"op":"discover_resource","key":"mcp","resource":"https://mcp.example.com/mcp","redirect_uri":"http://127.0.0.1:9/cb"})",
        R"({"op":"status","provider":"github","principal":"alice"})",
        R"({"op":"list_connections","principal":"alice"})",
        R"({"op":"reseal"})",
        R"({"op":"check_master_key"})",
    };
    return w;
  }();
  return w;
}
}  // namespace

void c_abi(const std::uint8_t* data, std::size_t size) {
  const World& w = world();
  auto lines = split_lines<1>(data, size);
  std::string first(lines.field[0]);
  std::string_view in = lines.rest;
  std::string request = !first.empty() && first[0] == '{'
                            ? first
                            : w.requests[first.empty() ? 0 : static_cast<unsigned char>(first[0]) % w.requests.size()];

  const bool secret_given =
      std::string_view(reinterpret_cast<const char*>(data), size).find(kSecret) != std::string_view::npos;
  auto parsed_request = json::parse(request, "the request");
  const bool caller_controls = parsed_request.ok() && has_controls(*parsed_request);
  MemoryStore store = w.store;
  lk_engine* engine = lk_engine_new(kConfig, nullptr);
  lk_op* op = lk_op_begin(engine, request.c_str(), kNow);
  Step step = read_step(take(lk_op_step(op)), secret_given, caller_controls);
  for (int i = 0; i < kMaxSteps && !step.done; ++i) {
    std::string result;
    if (!in.empty()) {
      auto nl = in.find('\n');
      result = std::string(in.substr(0, nl));
      in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    }
    if (result.empty()) result = honest(store, step.effect);
    step = read_step(take(lk_op_resume(op, result.c_str(), kNow)), secret_given, caller_controls);
  }
  lk_op_free(op);
  lk_engine_free(engine);
}

}  // namespace latchkey::fuzz

LATCHKEY_FUZZ_ENTRY(c_abi)
