#include "records.hpp"

#include "crypto.hpp"
#include "json.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

using json::Array;
using json::Object;
using json::Value;

Value string_map(const StringMap& m) {
  Object o;
  for (const auto& [k, v] : m) o[k] = Value(v);
  return Value(o);
}

Value params_object(const Params& p) {
  Object o;
  for (const auto& [k, v] : p) o[k] = Value(v);
  return Value(o);
}

Value string_array(const std::vector<std::string>& v) {
  Array a;
  for (const auto& s : v) a.emplace_back(s);
  return Value(a);
}

// Reads a record written by this file; any deviation means the store was corrupted or edited.
class Reader {
 public:
  Reader(const Object& o, const char* what) : o_(o), what_(what) {}
  std::string str(const char* key) {
    const std::string* s = json::get_string(o_, key);
    if (s) return *s;
    if (o_.count(key) && !o_.at(key).is<picojson::null>()) bad_ = key;
    return {};
  }
  std::int64_t num(const char* key) {
    std::int64_t n = 0;
    if (!json::get_int(o_, key, &n) && o_.count(key)) bad_ = key;
    return n;
  }
  bool flag(const char* key) {
    bool b = false;
    if (!json::get_bool(o_, key, &b) && o_.count(key)) bad_ = key;
    return b;
  }
  StringMap map(const char* key) {
    StringMap m;
    if (const Object* o = json::get_object(o_, key)) {
      for (const auto& [k, v] : *o) {
        if (v.is<std::string>()) m[k] = v.get<std::string>();
        else bad_ = key;
      }
    }
    return m;
  }
  Params params(const char* key) {
    Params p;
    if (const Object* o = json::get_object(o_, key)) {
      for (const auto& [k, v] : *o) {
        if (v.is<std::string>()) p.emplace_back(k, v.get<std::string>());
        else bad_ = key;
      }
    }
    return p;
  }
  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    if (const Array* a = json::get_array(o_, key)) {
      for (const auto& v : *a) {
        if (v.is<std::string>()) out.push_back(v.get<std::string>());
        else bad_ = key;
      }
    }
    return out;
  }
  Status status() const {
    if (bad_.empty()) return Ok{};
    return make_error(ErrorCode::storage, std::string("a stored ") + what_ + " record has a bad '" + bad_ +
                                              "' field; the store was edited or corrupted");
  }

 private:
  const Object& o_;
  const char* what_;
  std::string bad_;
};

Result<Object> parse_record(const std::string& text, const char* what) {
  auto v = json::parse(text, "a stored record");
  if (!v || !v->is<Object>()) {
    return make_error(ErrorCode::storage,
                      std::string("a stored ") + what + " record is not valid JSON; the store was edited or corrupted");
  }
  return v->get<Object>();
}

std::string enc(const std::string& s) { return percent_encode(s); }

}  // namespace

std::string provider_key(const std::string& provider) { return "provider/" + enc(provider); }
std::string mode_key(const std::string& provider) { return "mode/" + enc(provider); }
std::string app_key(const std::string& provider) { return "app/" + enc(provider); }
std::string pending_key(const std::string& state) { return "pending/" + base64url_encode(sha256(state)); }
std::string connection_prefix(const std::string& principal) { return "conn/" + enc(principal) + "/"; }
std::string connection_key(const ConnectionRef& ref) {
  return connection_prefix(ref.principal) + enc(ref.provider) + "/" + enc(ref.account);
}
std::string connection_id(const ConnectionRef& ref) { return enc(ref.provider) + "/" + enc(ref.account); }

Result<ConnectionRef> connection_ref_from_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto slash = key.find('/', start);
    parts.push_back(key.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 4 || parts[0] != "conn") {
    return make_error(ErrorCode::storage, "'" + key + "' is not a connection key");
  }
  ConnectionRef ref;
  auto p = form_decode(parts[1]);
  auto v = form_decode(parts[2]);
  auto a = form_decode(parts[3]);
  if (!p || !v || !a) return make_error(ErrorCode::storage, "'" + key + "' is not a connection key");
  ref.principal = *p;
  ref.provider = *v;
  ref.account = *a;
  return ref;
}

std::string to_json(const AppRecord& r) {
  Object o;
  o["provider"] = Value(r.provider);
  o["client_id"] = Value(r.client_id);
  o["client_secret"] = r.client_secret_sealed.empty() ? Value() : Value(r.client_secret_sealed);
  o["redirect_uri"] = Value(r.redirect_uri);
  o["scopes"] = string_array(r.scopes);
  o["template_values"] = string_map(r.template_values);
  o["updated_at_ms"] = Value(r.updated_at_ms);
  return Value(o).serialize();
}

Result<AppRecord> app_from_json(const std::string& text) {
  auto o = parse_record(text, "app");
  if (!o) return o.error();
  Reader in(*o, "app");
  AppRecord r;
  r.provider = in.str("provider");
  r.client_id = in.str("client_id");
  r.client_secret_sealed = in.str("client_secret");
  r.redirect_uri = in.str("redirect_uri");
  r.scopes = in.strings("scopes");
  r.template_values = in.map("template_values");
  r.updated_at_ms = in.num("updated_at_ms");
  if (auto s = in.status(); !s) return s.error();
  return r;
}

std::string to_json(const PendingRecord& r) {
  Object o;
  o["principal"] = Value(r.principal);
  o["provider"] = Value(r.provider);
  o["account"] = Value(r.account);
  o["redirect_uri"] = Value(r.redirect_uri);
  o["scope"] = Value(r.scope);
  o["code_verifier"] = r.code_verifier_sealed.empty() ? Value() : Value(r.code_verifier_sealed);
  o["template_values"] = string_map(r.template_values);
  o["created_at_ms"] = Value(r.created_at_ms);
  o["expires_at_ms"] = Value(r.expires_at_ms);
  o["consumed"] = Value(r.consumed);
  return Value(o).serialize();
}

Result<PendingRecord> pending_from_json(const std::string& text) {
  auto o = parse_record(text, "pending authorization");
  if (!o) return o.error();
  Reader in(*o, "pending authorization");
  PendingRecord r;
  r.principal = in.str("principal");
  r.provider = in.str("provider");
  r.account = in.str("account");
  r.redirect_uri = in.str("redirect_uri");
  r.scope = in.str("scope");
  r.code_verifier_sealed = in.str("code_verifier");
  r.template_values = in.map("template_values");
  r.created_at_ms = in.num("created_at_ms");
  r.expires_at_ms = in.num("expires_at_ms");
  r.consumed = in.flag("consumed");
  if (auto s = in.status(); !s) return s.error();
  return r;
}

std::string to_json(const ConnectionRecord& r) {
  Object o;
  o["principal"] = Value(r.principal);
  o["provider"] = Value(r.provider);
  o["account"] = Value(r.account);
  o["status"] = Value(r.status);
  o["grant"] = Value(r.grant);
  o["access_token"] = Value(r.access_token_sealed);
  o["refresh_token"] = r.refresh_token_sealed.empty() ? Value() : Value(r.refresh_token_sealed);
  o["id_token"] = r.id_token_sealed.empty() ? Value() : Value(r.id_token_sealed);
  o["token_type"] = Value(r.token_type);
  o["expires_at_ms"] = Value(r.expires_at_ms);
  o["scope"] = Value(r.scope);
  o["extras"] = params_object(r.extras);
  o["template_values"] = string_map(r.template_values);
  o["created_at_ms"] = Value(r.created_at_ms);
  o["updated_at_ms"] = Value(r.updated_at_ms);
  o["lease_id"] = r.lease_id.empty() ? Value() : Value(r.lease_id);
  o["lease_until_ms"] = Value(r.lease_until_ms);
  o["failures"] = Value(static_cast<std::int64_t>(r.failures));
  o["breaker_until_ms"] = Value(r.breaker_until_ms);
  o["last_error"] = Value(r.last_error);
  return Value(o).serialize();
}

Result<ConnectionRecord> connection_from_json(const std::string& text) {
  auto o = parse_record(text, "connection");
  if (!o) return o.error();
  Reader in(*o, "connection");
  ConnectionRecord r;
  r.principal = in.str("principal");
  r.provider = in.str("provider");
  r.account = in.str("account");
  r.status = in.str("status");
  r.grant = in.str("grant");
  r.access_token_sealed = in.str("access_token");
  r.refresh_token_sealed = in.str("refresh_token");
  r.id_token_sealed = in.str("id_token");
  r.token_type = in.str("token_type");
  r.expires_at_ms = in.num("expires_at_ms");
  r.scope = in.str("scope");
  r.extras = in.params("extras");
  r.template_values = in.map("template_values");
  r.created_at_ms = in.num("created_at_ms");
  r.updated_at_ms = in.num("updated_at_ms");
  r.lease_id = in.str("lease_id");
  r.lease_until_ms = in.num("lease_until_ms");
  r.failures = static_cast<int>(in.num("failures"));
  r.breaker_until_ms = in.num("breaker_until_ms");
  r.last_error = in.str("last_error");
  if (auto s = in.status(); !s) return s.error();
  return r;
}

ConnectionInfo connection_info(const ConnectionRecord& r) {
  ConnectionInfo c;
  ConnectionRef ref{r.principal, r.provider, r.account};
  c.id = connection_id(ref);
  c.principal = r.principal;
  c.provider = r.provider;
  c.account = r.account;
  c.status = r.status;
  c.grant = r.grant;
  c.scope = r.scope;
  c.token_type = r.token_type;
  c.expires_at_ms = r.expires_at_ms;
  c.has_refresh_token = !r.refresh_token_sealed.empty();
  c.created_at_ms = r.created_at_ms;
  c.updated_at_ms = r.updated_at_ms;
  c.last_error = r.last_error;
  c.extras = r.extras;
  return c;
}

}  // namespace latchkey::detail
