// The C ABI (latchkey.h): JSON requests become typed operations; effects and results become JSON.
#include "latchkey/latchkey.h"

#include <cstdlib>
#include <cstring>

#include "authorization.hpp"
#include "crypto.hpp"
#include "latchkey/catalog.hpp"
#include "latchkey/engine.hpp"
#include "latchkey/pkce.hpp"
#include "latchkey/token_set.hpp"
#include "text.hpp"
#include "results_json.hpp"

using namespace latchkey;
using namespace latchkey::detail;
using json::Array;
using json::Object;
using json::Value;

struct lk_engine {
  std::unique_ptr<Engine> engine;
};

struct lk_op {
  std::unique_ptr<OperationBase> op;
  const Effect* effect = nullptr;
  std::string early_error;  // set when the request itself was invalid
};

namespace {

char* dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) std::abort();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

std::string error_document(const Error& e) {
  Object o;
  o["error"] = to_value(e);
  return json::serialize(Value(o));
}

// Typed reads from a request object; the first problem is remembered and reported.
class Args {
 public:
  explicit Args(const Object& o) : o_(o) {}
  std::string str(const char* key, std::string fallback = {}) {
    auto it = o_.find(key);
    if (it == o_.end() || it->second.is<picojson::null>()) return fallback;
    if (!it->second.is<std::string>()) return wrong(key, "a string"), fallback;
    return it->second.get<std::string>();
  }
  std::optional<std::string> opt_str(const char* key) {
    auto it = o_.find(key);
    if (it == o_.end() || it->second.is<picojson::null>()) return std::nullopt;
    if (!it->second.is<std::string>()) return wrong(key, "a string"), std::nullopt;
    return it->second.get<std::string>();
  }
  std::int64_t integer(const char* key, std::int64_t fallback) {
    auto it = o_.find(key);
    if (it == o_.end() || it->second.is<picojson::null>()) return fallback;
    if (!it->second.is<std::int64_t>()) return wrong(key, "a whole number"), fallback;
    return it->second.get<std::int64_t>();
  }
  bool flag(const char* key) {
    auto it = o_.find(key);
    if (it == o_.end() || it->second.is<picojson::null>()) return false;
    if (!it->second.is<bool>()) return wrong(key, "true or false"), false;
    return it->second.get<bool>();
  }
  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    auto it = o_.find(key);
    if (it == o_.end() || it->second.is<picojson::null>()) return out;
    if (it->second.is<std::string>()) return split_list(it->second.get<std::string>());  // "a b,c" too
    if (!it->second.is<Array>()) return wrong(key, "an array of strings"), out;
    for (const auto& v : it->second.get<Array>()) {
      if (!v.is<std::string>()) return wrong(key, "an array of strings"), out;
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  std::map<std::string, std::string> map(const char* key) {
    std::map<std::string, std::string> out;
    auto it = o_.find(key);
    if (it == o_.end() || it->second.is<picojson::null>()) return out;
    if (!it->second.is<Object>()) return wrong(key, "an object of strings"), out;
    for (const auto& [k, v] : it->second.get<Object>()) {
      if (!v.is<std::string>()) return wrong(key, "an object of strings"), out;
      out[k] = v.get<std::string>();
    }
    return out;
  }
  Params params(const char* key) {
    Params out;
    auto it = o_.find(key);
    if (it == o_.end() || it->second.is<picojson::null>()) return out;
    if (it->second.is<Object>()) {
      for (const auto& [k, v] : it->second.get<Object>()) {
        if (!v.is<std::string>()) return wrong(key, "string values"), out;
        out.emplace_back(k, v.get<std::string>());
      }
      return out;
    }
    if (!it->second.is<Array>()) return wrong(key, "[[name, value], ...]"), out;
    for (const auto& p : it->second.get<Array>()) {
      if (!p.is<Array>() || p.get<Array>().size() != 2 || !p.get<Array>()[0].is<std::string>() ||
          !p.get<Array>()[1].is<std::string>()) {
        return wrong(key, "[[name, value], ...]"), out;
      }
      out.emplace_back(p.get<Array>()[0].get<std::string>(), p.get<Array>()[1].get<std::string>());
    }
    return out;
  }
  const Value* raw(const char* key) {
    auto it = o_.find(key);
    return it == o_.end() ? nullptr : &it->second;
  }
  ConnectionRef ref() {
    ConnectionRef r;
    r.principal = str("principal", "default");
    r.provider = str("provider");
    r.account = str("account");  // absent: the only connection to that provider
    return r;
  }
  void require(const char* key) {
    if (str(key).empty() && problem_.empty()) problem_ = std::string("'") + key + "' is required";
  }
  const std::string& problem() const { return problem_; }

 private:
  void wrong(const char* key, const char* what) {
    if (problem_.empty()) problem_ = std::string("'") + key + "' must be " + what;
  }
  const Object& o_;
  std::string problem_;
};

Result<std::unique_ptr<OperationBase>> make_op(Engine& engine, const std::string& text) {
  auto v = json::parse(text, "the request");
  if (!v) return make_error(ErrorCode::invalid_request, v.error().message);
  if (!v->is<Object>()) return make_error(ErrorCode::invalid_request, "the request must be a JSON object");
  Args a(v->get<Object>());
  std::string op = a.str("op");
  std::unique_ptr<OperationBase> out;
  if (op == "list_providers") {
    ProviderFilter f;
    f.key_substrings = a.strings("search");
    f.supports_managed = a.flag("supports_managed");
    out = engine.list_providers(std::move(f));
  } else if (op == "get_provider") {
    a.require("key");
    out = engine.get_provider(a.str("key"));
  } else if (op == "register_provider" || op == "update_provider") {
    const Value* p = a.raw("provider");
    if (!p || !p->is<Object>()) return make_error(ErrorCode::invalid_request, "'provider' must be a provider object");
    out = op == "register_provider" ? engine.register_provider(json::serialize(*p)) : engine.update_provider(json::serialize(*p));
  } else if (op == "remove_provider") {
    a.require("key");
    out = engine.remove_provider(a.str("key"), a.flag("force"));
  } else if (op == "discover_provider") {
    a.require("key");
    a.require("issuer");
    out = engine.discover_provider(a.str("key"), a.str("issuer"), a.flag("allow_private_network"));
  } else if (op == "discover_resource") {
    a.require("key");
    a.require("resource");
    ResourceDiscoveryRequest r;
    r.key = a.str("key");
    r.resource_url = a.str("resource");
    r.redirect_uri = a.str("redirect_uri");
    if (auto name = a.opt_str("client_name")) r.client_name = *name;
    r.allow_private_network = a.flag("allow_private_network");
    r.issuer_first = a.flag("issuer_first");
    out = engine.discover_resource(std::move(r));
  } else if (op == "set_mode") {
    a.require("provider");
    std::string mode = a.str("mode");
    if (mode != "managed" && mode != "your-own") {
      return make_error(ErrorCode::invalid_request, "'mode' must be \"managed\" or \"your-own\"");
    }
    out = engine.set_mode(a.str("provider"), mode == "managed" ? Mode::managed : Mode::your_own);
  } else if (op == "upsert_app") {
    a.require("provider");
    AppInput in;
    in.provider = a.str("provider");
    in.client_id = a.str("client_id");
    in.client_secret = a.opt_str("client_secret");
    in.token_endpoint_auth_method = a.opt_str("token_endpoint_auth_method");
    in.key_id = a.opt_str("key_id");
    in.redirect_uri = a.str("redirect_uri");
    in.scopes = a.strings("scopes");
    in.template_values = a.map("template_values");
    out = engine.upsert_app(std::move(in));
  } else if (op == "get_app") {
    a.require("provider");
    out = engine.get_app(a.str("provider"));
  } else if (op == "list_apps") {
    out = engine.list_apps();
  } else if (op == "delete_app") {
    a.require("provider");
    out = engine.delete_app(a.str("provider"));
  } else if (op == "authorize") {
    a.require("provider");
    AuthorizeRequest r;
    ConnectionRef ref = a.ref();
    r.principal = ref.principal;
    r.provider = ref.provider;
    r.account = a.str("account");  // absent: named from the provider's identity endpoint
    r.redirect_uri = a.str("redirect_uri");
    r.scopes = a.strings("scopes");
    r.extra_params = a.params("extra_params");
    r.template_values = a.map("template_values");
    out = engine.authorize(std::move(r));
  } else if (op == "complete_callback") {
    a.require("callback");
    out = engine.complete_callback({a.str("principal", "default"), a.str("callback")});
  } else if (op == "device_authorize") {
    a.require("provider");
    DeviceRequest r;
    ConnectionRef ref = a.ref();
    r.principal = ref.principal;
    r.provider = ref.provider;
    r.account = a.str("account");  // absent: named from the provider's identity endpoint
    r.scopes = a.strings("scopes");
    r.template_values = a.map("template_values");
    r.timeout_ms = a.integer("timeout_ms", 0);
    out = engine.device_authorize(std::move(r));
  } else if (op == "device_poll") {
    a.require("handle");
    DevicePollRequest r;
    r.principal = a.str("principal", "default");
    r.handle = a.str("handle");
    out = engine.device_poll(std::move(r));
  } else if (op == "device_poll_once") {
    a.require("handle");
    DevicePollRequest r;
    r.principal = a.str("principal", "default");
    r.handle = a.str("handle");
    out = engine.device_poll_once(std::move(r));
  } else if (op == "connect_client_credentials") {
    a.require("provider");
    out = engine.connect_client_credentials(a.ref(), a.strings("scopes"));
  } else if (op == "get_token") {
    a.require("provider");
    out = engine.get_token(a.ref(), a.flag("force_refresh"));
  } else if (op == "sign_request" || op == "send_authorized") {
    a.require("provider");
    const Value* r = a.raw("request");
    if (!r || !r->is<Object>()) return make_error(ErrorCode::invalid_request, "'request' must be an object");
    Args ra(r->get<Object>());
    HttpRequest req;
    req.method = ra.str("method", "GET");
    req.url = ra.str("url");
    req.headers = ra.params("headers");
    req.body = ra.str("body");
    if (!ra.problem().empty()) return make_error(ErrorCode::invalid_request, "request: " + ra.problem());
    SendOptions options;
    options.stream = a.flag("stream");
    if (op == "sign_request") out = engine.sign_request(a.ref(), std::move(req));
    else out = engine.send_authorized(a.ref(), std::move(req), std::move(options));
  } else if (op == "status") {
    a.require("provider");
    out = engine.status(a.ref());
  } else if (op == "list_connections") {
    out = engine.list_connections(a.str("principal", "default"));
  } else if (op == "reseal") {
    out = engine.reseal();
  } else if (op == "check_master_key") {
    out = engine.check_master_key();
  } else if (op == "disconnect") {
    a.require("provider");
    out = engine.disconnect(a.ref(), a.flag("revoke"));
  } else {
    return make_error(ErrorCode::invalid_request, "unknown operation '" + clean(op, 64) + "'");
  }
  if (!a.problem().empty()) return make_error(ErrorCode::invalid_request, a.problem());
  return out;
}

std::string step_document(lk_op* op) {
  if (!op->early_error.empty()) return op->early_error;
  Object o;
  if (op->effect) {
    o["effect"] = to_value(*op->effect);
  } else {
    auto done = json::parse(op->op->result_json(), "result");
    o["done"] = done ? std::move(*done) : Value();
  }
  return json::serialize(Value(o));
}

}  // namespace

namespace {

// A provider named by key (built-in, used in place) or given inline as a definition (parsed
// into `storage`). These helpers are hot paths for JS hosts: no copy of a built-in.
Result<const Provider*> provider_arg(const Object& o, Provider* storage) {
  auto it = o.find("provider");
  if (it == o.end()) return make_error(ErrorCode::invalid_request, "'provider' is required");
  if (it->second.is<std::string>()) {
    const Provider* p = find_builtin(it->second.get<std::string>());
    if (!p) return make_error(ErrorCode::not_found, "no built-in provider '" + clean(it->second.get<std::string>(), 64) + "'");
    return p;
  }
  if (!it->second.is<Object>()) return make_error(ErrorCode::invalid_request, "'provider' must be a key or a provider object");
  auto parsed = provider_from_json(json::serialize(it->second));
  if (!parsed) return parsed.error();
  *storage = std::move(*parsed);
  return static_cast<const Provider*>(storage);
}

std::string ok_document(Value v) {
  Object o;
  o["ok"] = std::move(v);
  return json::serialize(Value(o));
}

std::string error_only(const Error& e) {
  Object o;
  o["error"] = to_value(e);
  return json::serialize(Value(o));
}

}  // namespace

extern "C" {

lk_engine* lk_engine_new(const char* config_json, char** error) {
  auto fail = [&](const std::string& message) -> lk_engine* {
    if (error) *error = dup(error_document(make_error(ErrorCode::invalid_request, message)));
    return nullptr;
  };
  auto v = json::parse(config_json ? config_json : "", "the engine configuration");
  if (!v) return fail(v.error().message);
  if (!v->is<Object>()) return fail("the engine configuration must be a JSON object");
  const Object& o = v->get<Object>();
  EngineConfig cfg;
  const Object* keys = json::get_object(o, "master_keys");
  if (!keys) return fail("'master_keys' must be an object of version → base64 key");
  for (const auto& [version, key] : *keys) {
    if (!key.is<std::string>()) return fail("master key " + version + " must be a base64 string");
    auto bytes = base64_decode(key.get<std::string>());
    if (!bytes) return fail("master key " + version + " is not valid base64");
    char* end = nullptr;
    unsigned long n = std::strtoul(version.c_str(), &end, 10);
    if (version.empty() || *end != '\0' || n == 0 || n > 0xffffffffUL) {
      return fail("master key versions must be positive integers");
    }
    cfg.master_keys[static_cast<std::uint32_t>(n)] = std::move(*bytes);
  }
  std::int64_t n = 0;
  if (json::get_int(o, "current_key_version", &n)) cfg.current_key_version = static_cast<std::uint32_t>(n);
  else if (!cfg.master_keys.empty()) cfg.current_key_version = cfg.master_keys.rbegin()->first;
  const std::string* entropy = json::get_string(o, "entropy");
  if (!entropy) return fail("'entropy' (base64, at least 32 random bytes) is required");
  auto e = base64_decode(*entropy);
  if (!e) return fail("'entropy' is not valid base64");
  cfg.entropy = std::move(*e);
  if (json::get_int(o, "pending_ttl_ms", &n)) cfg.pending_ttl_ms = n;
  if (json::get_int(o, "refresh_retries", &n)) cfg.refresh_retries = static_cast<int>(n);
  if (json::get_int(o, "retry_base_ms", &n)) cfg.retry_base_ms = n;
  if (json::get_int(o, "retry_max_ms", &n)) cfg.retry_max_ms = n;
  if (json::get_int(o, "lease_ms", &n)) cfg.lease_ms = n;
  auto engine = Engine::create(cfg);
  if (!engine) {
    if (error) *error = dup(error_document(engine.error()));
    return nullptr;
  }
  return new lk_engine{std::move(*engine)};
}

void lk_engine_free(lk_engine* engine) { delete engine; }

int lk_engine_add_entropy(lk_engine* engine, const char* base64) {
  if (!engine) return -1;
  auto bytes = base64_decode(base64 ? base64 : "");
  if (!bytes) return -1;
  engine->engine->add_entropy(*bytes);
  return 0;
}

lk_op* lk_op_begin(lk_engine* engine, const char* request_json, int64_t now_ms) {
  auto* op = new lk_op;
  if (!engine) {
    op->early_error = R"({"done":{"error":{"code":"invalid_request","message":"no engine: lk_engine_new failed or was not called"}}})";
    return op;
  }
  auto made = make_op(*engine->engine, request_json ? request_json : "");
  if (!made) {
    Object done;
    done["error"] = to_value(made.error());
    Object o;
    o["done"] = Value(done);
    op->early_error = json::serialize(Value(o));
    return op;
  }
  op->op = std::move(*made);
  op->effect = op->op->start(now_ms);
  return op;
}

char* lk_op_step(lk_op* op) {
  if (!op) return dup(R"({"done":{"error":{"code":"invalid_request","message":"no operation"}}})");
  return dup(step_document(op));
}

char* lk_op_resume(lk_op* op, const char* effect_result_json, int64_t now_ms) {
  if (!op) return lk_op_step(op);
  if (!op->early_error.empty() || !op->effect) return dup(step_document(op));
  auto r = effect_result_from_json(effect_result_json ? effect_result_json : "");
  if (!r) {
    // A host bug: report it and end the operation rather than guess.
    Object done;
    done["error"] = to_value(r.error());
    Object o;
    o["done"] = Value(done);
    op->early_error = json::serialize(Value(o));
    op->effect = nullptr;
    return dup(op->early_error);
  }
  op->effect = op->op->resume(*r, now_ms);
  return dup(step_document(op));
}

void lk_op_free(lk_op* op) { delete op; }

char* lk_catalog(void) {
  const auto& providers = builtin_providers();
  Object o;
  if (!providers) {
    o["error"] = to_value(providers.error());
  } else {
    Array a;
    for (const auto& p : *providers) a.push_back(provider_value(p));
    o["ok"] = Value(a);
  }
  return dup(json::serialize(Value(o)));
}

char* lk_validate_provider(const char* provider_json) {
  auto p = provider_from_json(provider_json ? provider_json : "");
  Object o;
  if (p) o["ok"] = provider_value(*p);
  else o["error"] = to_value(p.error());
  return dup(json::serialize(Value(o)));
}

char* lk_pkce_challenge(const char* verifier) {
  std::string v = verifier ? verifier : "";
  Object o;
  if (auto s = check_pkce_verifier(v); !s) {
    o["error"] = to_value(s.error());
  } else {
    Object ok;
    ok["challenge"] = Value(pkce_challenge_s256(v));
    ok["method"] = Value(std::string("S256"));
    o["ok"] = Value(ok);
  }
  return dup(json::serialize(Value(o)));
}

char* lk_build_authorization(lk_engine* engine, const char* request_json) {
  if (!engine) return dup(error_only(make_error(ErrorCode::invalid_request, "no engine: lk_engine_new failed")));
  auto v = json::parse(request_json ? request_json : "", "the request");
  if (!v || !v->is<Object>()) {
    return dup(error_only(make_error(ErrorCode::invalid_request, v ? "the request must be a JSON object" : v.error().message)));
  }
  Args a(v->get<Object>());
  Provider inline_provider, templated;
  auto provider = provider_arg(v->get<Object>(), &inline_provider);
  if (!provider) return dup(error_only(provider.error()));
  const Provider* resolved = *provider;
  if (!resolved->template_params.empty()) {
    auto r = resolve_provider(*resolved, a.map("template_values"));
    if (!r) return dup(error_only(r.error()));
    templated = std::move(*r);
    resolved = &templated;
  }
  Drbg& drbg = engine->engine->drbg();
  AuthorizationUrlInput in;
  in.client_id = a.str("client_id");
  in.redirect_uri = a.str("redirect_uri");
  std::vector<std::string> scopes = a.strings("scopes");
  in.scope = join_scopes(*resolved, scopes.empty() ? resolved->default_scopes : scopes);
  in.extra_params = a.params("extra_params");
  if (!a.problem().empty()) return dup(error_only(make_error(ErrorCode::invalid_request, a.problem())));
  in.state = base64url_encode(drbg.bytes(32));
  std::string verifier;
  if (resolved->pkce != PkceSupport::unsupported) {
    verifier = *pkce_verifier_from_random(drbg.bytes(32));
    in.code_challenge = pkce_challenge_s256(verifier);
  }
  auto url = build_authorization_url(*resolved, in);
  if (!url) return dup(error_only(url.error()));
  Object ok;
  ok["authorization_url"] = Value(*url);
  ok["state"] = Value(in.state);
  ok["code_verifier"] = Value(verifier);
  ok["code_challenge"] = Value(in.code_challenge);
  return dup(ok_document(Value(ok)));
}

char* lk_parse_token_response(const char* request_json) {
  auto v = json::parse(request_json ? request_json : "", "the request");
  if (!v || !v->is<Object>()) {
    return dup(error_only(make_error(ErrorCode::invalid_request, v ? "the request must be a JSON object" : v.error().message)));
  }
  const Object& o = v->get<Object>();
  Args a(o);
  Provider inline_provider;
  auto provider = provider_arg(o, &inline_provider);
  if (!provider) return dup(error_only(provider.error()));
  TokenHttpResponse r;
  std::int64_t status = 200, now = 0;
  json::get_int(o, "status", &status);
  json::get_int(o, "now_ms", &now);
  r.status = static_cast<int>(status);
  r.content_type = a.str("content_type");
  r.body = a.str("body");
  if (!a.problem().empty()) return dup(error_only(make_error(ErrorCode::invalid_request, a.problem())));
  auto t = parse_token_response(r, (*provider)->token_response, now, a.str("requested_scope"));
  if (!t) return dup(error_only(t.error()));
  Object ok;
  ok["access_token"] = Value(t->access_token);
  ok["refresh_token"] = t->refresh_token.empty() ? Value() : Value(t->refresh_token);
  ok["token_type"] = Value(t->token_type);
  ok["expires_at_ms"] = t->expires_at_ms ? Value(t->expires_at_ms) : Value();
  ok["scope"] = Value(t->scope);
  ok["id_token"] = t->id_token.empty() ? Value() : Value(t->id_token);
  Object extras;
  for (const auto& [k, val] : t->extras) {
    auto parsed = json::parse(val, "extra");
    extras[k] = parsed ? std::move(*parsed) : Value(val);
  }
  ok["extras"] = Value(extras);
  return dup(ok_document(Value(ok)));
}

char* lk_error_codes(void) {
  Array a;
  for (int c = static_cast<int>(ErrorCode::invalid_request); c <= static_cast<int>(ErrorCode::internal); ++c) {
    a.emplace_back(std::string(to_string(static_cast<ErrorCode>(c))));
  }
  Object o;
  o["ok"] = Value(a);
  return dup(json::serialize(Value(o)));
}

const char* lk_version(void) { return "0.1.0"; }

void* lk_alloc(size_t size) { return std::malloc(size == 0 ? 1 : size); }
void lk_free(void* ptr) { std::free(ptr); }

}  // extern "C"
