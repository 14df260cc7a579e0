#include "records.hpp"

#include <algorithm>
#include <limits>

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

const std::vector<SealedFields>& sealed_record_fields() {
  static const std::vector<SealedFields> fields = {
      {"app/", {"client_secret", "registration_access_token"}},
      {"pending/", {"code_verifier", "token_secret"}},
      {"device/", {"device_code"}},
      {"conn/", {"access_token", "refresh_token", "id_token", "token_secret"}},
  };
  return fields;
}

std::string provider_key(const std::string& provider) { return "provider/" + enc(provider); }
std::string mode_key(const std::string& provider) { return "mode/" + enc(provider); }
std::string app_key(const std::string& provider) { return "app/" + enc(provider); }
std::string pending_key(const std::string& state) { return "pending/" + base64url_encode(sha256(state)); }
std::string device_key(const std::string& handle) { return "device/" + base64url_encode(sha256(handle)); }

std::string expiry_index_prefix(const std::string& record_prefix) { return "expiry/" + record_prefix; }

// Fixed width, so that the keys' byte order is the numbers' order: 20 digits hold any int64.
std::string expiry_index_key(const std::string& record_key, std::int64_t expires_at_ms) {
  const auto slash = record_key.find('/');
  std::string digits = std::to_string(std::max<std::int64_t>(expires_at_ms, 0));
  return expiry_index_prefix(record_key.substr(0, slash + 1)) + std::string(20 - digits.size(), '0') + digits + "/" +
         record_key.substr(slash + 1);
}

Result<ExpiryEntry> expiry_entry_from_key(const std::string& index_key) {
  // expiry/<kind>/<20 digits>/<id>
  auto bad = [&] { return make_error(ErrorCode::storage, "'" + index_key + "' is not an expiry index key"); };
  static const std::string kStart = "expiry/";
  if (index_key.compare(0, kStart.size(), kStart) != 0) return bad();
  const auto kind_end = index_key.find('/', kStart.size());
  if (kind_end == std::string::npos || kind_end == kStart.size()) return bad();
  const auto digits_at = kind_end + 1;
  if (index_key.size() <= digits_at + 21 || index_key[digits_at + 20] != '/') return bad();
  ExpiryEntry entry;
  for (std::size_t i = digits_at; i < digits_at + 20; ++i) {
    const char c = index_key[i];
    if (c < '0' || c > '9') return bad();
    if (entry.expires_at_ms > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) return bad();
    entry.expires_at_ms = entry.expires_at_ms * 10 + (c - '0');
  }
  const std::string id = index_key.substr(digits_at + 21);
  if (id.find('/') != std::string::npos) return bad();
  entry.record_key = index_key.substr(kStart.size(), kind_end + 1 - kStart.size()) + id;
  return entry;
}

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
  // Only when set: apps using the provider's method keep their record's shape.
  if (!r.token_endpoint_auth_method.empty()) o["token_endpoint_auth_method"] = Value(r.token_endpoint_auth_method);
  if (!r.key_id.empty()) o["key_id"] = Value(r.key_id);
  if (!r.registration_access_token_sealed.empty()) {
    o["registration_access_token"] = Value(r.registration_access_token_sealed);
  }
  if (!r.registration_client_uri.empty()) o["registration_client_uri"] = Value(r.registration_client_uri);
  if (r.client_secret_expires_at_ms != 0) o["client_secret_expires_at_ms"] = Value(r.client_secret_expires_at_ms);
  o["redirect_uri"] = Value(r.redirect_uri);
  o["scopes"] = string_array(r.scopes);
  o["template_values"] = string_map(r.template_values);
  o["updated_at_ms"] = Value(r.updated_at_ms);
  return json::serialize(Value(o));
}

Result<AppRecord> app_from_json(const std::string& text) {
  auto o = parse_record(text, "app");
  if (!o) return o.error();
  Reader in(*o, "app");
  AppRecord r;
  r.provider = in.str("provider");
  r.client_id = in.str("client_id");
  r.client_secret_sealed = in.str("client_secret");
  r.token_endpoint_auth_method = in.str("token_endpoint_auth_method");
  r.key_id = in.str("key_id");
  r.registration_access_token_sealed = in.str("registration_access_token");
  r.registration_client_uri = in.str("registration_client_uri");
  r.client_secret_expires_at_ms = in.num("client_secret_expires_at_ms");
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
  // OAuth 1.0a members only when set: OAuth 2 records keep their shape.
  if (!r.flow.empty()) o["flow"] = Value(r.flow);
  if (!r.token_secret_sealed.empty()) o["token_secret"] = Value(r.token_secret_sealed);
  o["template_values"] = string_map(r.template_values);
  o["created_at_ms"] = Value(r.created_at_ms);
  o["expires_at_ms"] = Value(r.expires_at_ms);
  o["consumed"] = Value(r.consumed);
  return json::serialize(Value(o));
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
  r.flow = in.str("flow");
  r.token_secret_sealed = in.str("token_secret");
  r.template_values = in.map("template_values");
  r.created_at_ms = in.num("created_at_ms");
  r.expires_at_ms = in.num("expires_at_ms");
  r.consumed = in.flag("consumed");
  if (auto s = in.status(); !s) return s.error();
  return r;
}

std::string to_json(const DeviceRecord& r) {
  Object o;
  o["principal"] = Value(r.principal);
  o["provider"] = Value(r.provider);
  o["account"] = Value(r.account);
  o["scope"] = Value(r.scope);
  o["device_code"] = Value(r.device_code_sealed);
  o["template_values"] = string_map(r.template_values);
  o["interval_ms"] = Value(r.interval_ms);
  o["created_at_ms"] = Value(r.created_at_ms);
  o["expires_at_ms"] = Value(r.expires_at_ms);
  // Only a host polling one request at a time (device_poll_once) keeps these.
  if (r.last_poll_at_ms != 0) o["last_poll_at_ms"] = Value(r.last_poll_at_ms);
  if (r.failures != 0) o["failures"] = Value(static_cast<std::int64_t>(r.failures));
  return json::serialize(Value(o));
}

Result<DeviceRecord> device_from_json(const std::string& text) {
  auto o = parse_record(text, "device authorization");
  if (!o) return o.error();
  Reader in(*o, "device authorization");
  DeviceRecord r;
  r.principal = in.str("principal");
  r.provider = in.str("provider");
  r.account = in.str("account");
  r.scope = in.str("scope");
  r.device_code_sealed = in.str("device_code");
  r.template_values = in.map("template_values");
  r.interval_ms = in.num("interval_ms");
  r.created_at_ms = in.num("created_at_ms");
  r.expires_at_ms = in.num("expires_at_ms");
  r.last_poll_at_ms = in.num("last_poll_at_ms");
  r.failures = static_cast<int>(in.num("failures"));
  if (auto s = in.status(); !s) return s.error();
  return r;
}

std::string to_json(const ConnectionRecord& r) {
  // Members at their default are left out: records stay small and cheap to read on every
  // get-token (connection_from_json supplies the defaults).
  Object o;
  o["principal"] = Value(r.principal);
  o["provider"] = Value(r.provider);
  o["account"] = Value(r.account);
  o["status"] = Value(r.status);
  o["grant"] = Value(r.grant);
  o["access_token"] = Value(r.access_token_sealed);
  if (!r.refresh_token_sealed.empty()) o["refresh_token"] = Value(r.refresh_token_sealed);
  if (!r.id_token_sealed.empty()) o["id_token"] = Value(r.id_token_sealed);
  if (!r.token_secret_sealed.empty()) o["token_secret"] = Value(r.token_secret_sealed);
  if (r.token_type != "Bearer") o["token_type"] = Value(r.token_type);
  if (r.expires_at_ms != 0) o["expires_at_ms"] = Value(r.expires_at_ms);
  if (r.issued_at_ms != 0) o["issued_at_ms"] = Value(r.issued_at_ms);
  o["scope"] = Value(r.scope);
  if (!r.extras.empty()) o["extras"] = params_object(r.extras);
  if (!r.template_values.empty()) o["template_values"] = string_map(r.template_values);
  o["created_at_ms"] = Value(r.created_at_ms);
  o["updated_at_ms"] = Value(r.updated_at_ms);
  if (!r.lease_id.empty()) {
    o["lease_id"] = Value(r.lease_id);
    o["lease_until_ms"] = Value(r.lease_until_ms);
  }
  if (r.failures != 0) o["failures"] = Value(static_cast<std::int64_t>(r.failures));
  if (r.breaker_until_ms != 0) o["breaker_until_ms"] = Value(r.breaker_until_ms);
  if (!r.last_error.empty()) o["last_error"] = Value(r.last_error);
  return json::serialize(Value(o));
}

namespace {

// Connection records are read on every get-token, so they are parsed straight into the struct
// (picojson's parse-context interface) instead of through a DOM: no map, no copies.
class FieldContext {
 public:
  explicit FieldContext(std::string* s) : str_(s) {}
  explicit FieldContext(std::int64_t* i) : int_(i) {}
  explicit FieldContext(StringMap* m) : map_(m) {}
  explicit FieldContext(Params* p) : params_(p) {}

  bool set_null() { return true; }  // null: the member keeps its default
  bool set_bool(bool) { return false; }
  bool set_int64(std::int64_t i) {
    if (!int_) return false;
    *int_ = i;
    return true;
  }
  bool set_number(double) { return false; }
  bool parse_string(picojson::input<const char*>& in) {
    if (!str_) return false;
    str_->clear();
    return json::read_string(static_cast<json::Input&>(in), str_);
  }
  bool parse_array_start() { return false; }
  template <typename Iter>
  bool parse_array_item(picojson::input<Iter>&, std::size_t) { return false; }
  bool parse_array_stop(std::size_t) { return false; }
  bool parse_object_start() { return map_ || params_; }
  template <typename Iter>
  bool parse_object_item(picojson::input<Iter>& in, const std::string& key) {
    std::string value;
    FieldContext inner(&value);
    if (!picojson::_parse(inner, in)) return false;
    if (map_) (*map_)[key] = std::move(value);
    else params_->emplace_back(key, std::move(value));
    return true;
  }
  bool parse_object_stop() { return true; }

 private:
  std::string* str_ = nullptr;
  std::int64_t* int_ = nullptr;
  StringMap* map_ = nullptr;
  Params* params_ = nullptr;
};

class ConnectionContext {
 public:
  explicit ConnectionContext(ConnectionRecord* r) : r_(r) {}
  bool set_null() { return false; }
  bool set_bool(bool) { return false; }
  bool set_int64(std::int64_t) { return false; }
  bool set_number(double) { return false; }
  template <typename Iter>
  bool parse_string(picojson::input<Iter>&) { return false; }
  bool parse_array_start() { return false; }
  template <typename Iter>
  bool parse_array_item(picojson::input<Iter>&, std::size_t) { return false; }
  bool parse_array_stop(std::size_t) { return false; }
  bool parse_object_start() { return true; }
  bool parse_object_stop() { return true; }

  bool parse_object_item(picojson::input<const char*>& base, const std::string& key) {
    auto& in = static_cast<json::Input&>(base);  // connection_from_json's own
    ConnectionRecord& r = *r_;
    std::int64_t n = 0;
    auto str = [&](std::string* s) { FieldContext f(s); return picojson::_parse(f, in); };
    auto num = [&](std::int64_t* i) { FieldContext f(i); return picojson::_parse(f, in); };
    if (key == "access_token") return str(&r.access_token_sealed);
    if (key == "refresh_token") return str(&r.refresh_token_sealed);
    if (key == "id_token") return str(&r.id_token_sealed);
    if (key == "token_secret") return str(&r.token_secret_sealed);
    if (key == "principal") return str(&r.principal);
    if (key == "provider") return str(&r.provider);
    if (key == "account") return str(&r.account);
    if (key == "status") return str(&r.status);
    if (key == "grant") return str(&r.grant);
    if (key == "token_type") return str(&r.token_type);
    if (key == "scope") return str(&r.scope);
    if (key == "lease_id") return str(&r.lease_id);
    if (key == "last_error") return str(&r.last_error);
    if (key == "expires_at_ms") return num(&r.expires_at_ms);
    if (key == "issued_at_ms") return num(&r.issued_at_ms);
    if (key == "created_at_ms") return num(&r.created_at_ms);
    if (key == "updated_at_ms") return num(&r.updated_at_ms);
    if (key == "lease_until_ms") return num(&r.lease_until_ms);
    if (key == "breaker_until_ms") return num(&r.breaker_until_ms);
    if (key == "failures") {
      if (!num(&n) || n < 0 || n > 1000000) return false;
      r.failures = static_cast<int>(n);
      return true;
    }
    if (key == "extras") {
      FieldContext f(&r.extras);
      return picojson::_parse(f, in);
    }
    if (key == "template_values") {
      FieldContext f(&r.template_values);
      return picojson::_parse(f, in);
    }
    // A member from a newer latchkey: skip it.
    json::Value ignored;
    return json::parse_value(in, &ignored, 16);
  }

 private:
  ConnectionRecord* r_;
};

}  // namespace

Result<ConnectionRecord> connection_from_json(const std::string& text) {
  if (!json::is_utf8(text)) {
    return make_error(ErrorCode::storage, "a stored connection record is not UTF-8; the store was edited or corrupted");
  }
  ConnectionRecord r;
  ConnectionContext ctx(&r);
  json::Input in(text.data(), text.data() + text.size());
  bool ok = picojson::_parse(ctx, in);
  if (ok) {
    in.skip_ws();
    ok = in.cur() == text.data() + text.size();
  }
  if (!ok || r.access_token_sealed.empty() || r.provider.empty()) {
    return make_error(ErrorCode::storage,
                      "a stored connection record is invalid; the store was edited or corrupted — reconnect the "
                      "account (`latchkey disconnect` then `latchkey connect`)");
  }
  if (r.status.empty()) r.status = "connected";
  if (r.grant.empty()) r.grant = "authorization_code";
  if (r.token_type.empty()) r.token_type = "Bearer";
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
