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
#include "operations.hpp"
#include "results_json.hpp"
#include "text.hpp"

using namespace latchkey;
using namespace latchkey::detail;
using json::Array;
using json::Object;
using json::Value;

// Operations refer to their engine, so each one shares ownership of it: lk_engine_free drops
// the handle's share, and the engine goes when the last operation made with it is freed.
struct lk_engine {
  std::shared_ptr<Engine> engine;
};

struct lk_op {
  std::shared_ptr<Engine> engine;  // declared before `op`, so it outlives it
  std::unique_ptr<OperationBase> op;
  const OperationEntry* entry = nullptr;  // writes op's result
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
  return json::serialize(Value(std::move(o)));
}

std::string step_document(lk_op* op) {
  if (!op->early_error.empty()) return op->early_error;
  Object o;
  if (op->effect) {
    o["effect"] = to_value(*op->effect);
  } else {
    o["done"] = op->entry->result(*op->op);
  }
  return json::serialize(Value(std::move(o)));
}

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
  return json::serialize(Value(std::move(o)));
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
  if (const std::string* surface = json::get_string(o, "surface")) {
    if (*surface == "js") cfg.surface = Surface::js;
    else if (*surface == "http") cfg.surface = Surface::http;
    else if (*surface != "cli") return fail("'surface' must be \"cli\", \"js\" or \"http\"");
  }
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
  auto made = make_operation(*engine->engine, request_json ? request_json : "");
  if (!made) {
    Object done;
    done["error"] = to_value(made.error());
    Object o;
    o["done"] = Value(std::move(done));
    op->early_error = json::serialize(Value(std::move(o)));
    return op;
  }
  op->engine = engine->engine;
  op->op = std::move(made->op);
  op->entry = made->entry;
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
    o["done"] = Value(std::move(done));
    op->early_error = json::serialize(Value(std::move(o)));
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
    o["ok"] = Value(std::move(a));
  }
  return dup(json::serialize(Value(std::move(o))));
}

char* lk_validate_provider(const char* provider_json) {
  auto p = provider_from_json(provider_json ? provider_json : "");
  Object o;
  if (p) o["ok"] = provider_value(*p);
  else o["error"] = to_value(p.error());
  return dup(json::serialize(Value(std::move(o))));
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
    o["ok"] = Value(std::move(ok));
  }
  return dup(json::serialize(Value(std::move(o))));
}

char* lk_build_authorization(lk_engine* engine, const char* request_json) {
  if (!engine) return dup(error_document(make_error(ErrorCode::invalid_request, "no engine: lk_engine_new failed")));
  auto v = json::parse(request_json ? request_json : "", "the request");
  if (!v || !v->is<Object>()) {
    return dup(error_document(make_error(ErrorCode::invalid_request, v ? "the request must be a JSON object" : v.error().message)));
  }
  Args a(v->get<Object>());
  Provider inline_provider, templated;
  auto provider = provider_arg(v->get<Object>(), &inline_provider);
  if (!provider) return dup(error_document(provider.error()));
  const Provider* resolved = *provider;
  if (!resolved->template_params.empty()) {
    auto r = resolve_provider(*resolved, a.map("template_values"));
    if (!r) return dup(error_document(r.error()));
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
  if (!a.problem().empty()) return dup(error_document(make_error(ErrorCode::invalid_request, a.problem())));
  in.state = base64url_encode(drbg.bytes(32));
  std::string verifier;
  if (resolved->pkce != PkceSupport::unsupported) {
    verifier = *pkce_verifier_from_random(drbg.bytes(32));
    in.code_challenge = pkce_challenge_s256(verifier);
  }
  auto url = build_authorization_url(*resolved, in);
  if (!url) return dup(error_document(url.error()));
  Object ok;
  ok["authorization_url"] = Value(*url);
  ok["state"] = Value(in.state);
  ok["code_verifier"] = Value(verifier);
  ok["code_challenge"] = Value(in.code_challenge);
  return dup(ok_document(Value(std::move(ok))));
}

char* lk_parse_token_response(const char* request_json) {
  auto v = json::parse(request_json ? request_json : "", "the request");
  if (!v || !v->is<Object>()) {
    return dup(error_document(make_error(ErrorCode::invalid_request, v ? "the request must be a JSON object" : v.error().message)));
  }
  const Object& o = v->get<Object>();
  Args a(o);
  Provider inline_provider;
  auto provider = provider_arg(o, &inline_provider);
  if (!provider) return dup(error_document(provider.error()));
  TokenHttpResponse r;
  std::int64_t status = 200, now = 0;
  json::get_int(o, "status", &status);
  json::get_int(o, "now_ms", &now);
  r.status = static_cast<int>(status);
  r.content_type = a.str("content_type");
  r.body = a.str("body");
  if (!a.problem().empty()) return dup(error_document(make_error(ErrorCode::invalid_request, a.problem())));
  auto t = parse_token_response(r, (*provider)->token_response, now, a.str("requested_scope"));
  if (!t) return dup(error_document(t.error()));
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
  ok["extras"] = Value(std::move(extras));
  return dup(ok_document(Value(std::move(ok))));
}

char* lk_error_codes(void) {
  Array a;
  for (int c = static_cast<int>(ErrorCode::invalid_request); c <= static_cast<int>(ErrorCode::internal); ++c) {
    a.emplace_back(std::string(to_string(static_cast<ErrorCode>(c))));
  }
  Object o;
  o["ok"] = Value(std::move(a));
  return dup(json::serialize(Value(std::move(o))));
}

const char* lk_version(void) { return "0.1.0"; }

void* lk_alloc(size_t size) { return std::malloc(size == 0 ? 1 : size); }
void lk_free(void* ptr) { std::free(ptr); }

}  // extern "C"
