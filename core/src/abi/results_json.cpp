#include "results_json.hpp"

#include "crypto.hpp"
#include "text.hpp"

namespace latchkey::detail {

using json::Array;
using json::Object;
using json::Value;

namespace {

Value string_array(const std::vector<std::string>& v) {
  Array a;
  for (const auto& s : v) a.emplace_back(s);
  return Value(std::move(a));
}

Value string_map(const std::map<std::string, std::string>& m) {
  Object o;
  for (const auto& [k, v] : m) o[k] = Value(v);
  return Value(std::move(o));
}

Value opt_time(std::int64_t ms) { return ms == 0 ? Value() : Value(ms); }

// Kept provider fields are stored as JSON text; give them back as JSON values.
Value extras_value(const Params& extras) {
  Object o;
  for (const auto& [k, v] : extras) {
    auto parsed = json::parse(v, "extra");
    o[k] = parsed ? std::move(*parsed) : Value(v);
  }
  return Value(std::move(o));
}

}  // namespace

Value params_value(const Params& p) {
  Array a;
  for (const auto& [k, v] : p) a.push_back(Value(Array{Value(k), Value(v)}));
  return Value(std::move(a));
}

Value to_value(const Error& e) {
  Object o;
  o["code"] = Value(std::string(to_string(e.code)));
  // JSON text must be UTF-8: a message that quotes stray bytes (a stored name, a caller's input)
  // loses them here rather than making the whole answer unreadable.
  auto text = [](const std::string& s) { return Value(json::is_utf8(s) ? s : clean(s, 8192)); };
  o["message"] = text(e.message);
  if (!e.provider_code.empty()) o["provider_error"] = text(e.provider_code);
  if (!e.provider_description.empty()) o["provider_error_description"] = text(e.provider_description);
  if (e.http_status != 0) o["http_status"] = Value(static_cast<std::int64_t>(e.http_status));
  if (e.retry_at_ms != 0) o["retry_at_ms"] = Value(e.retry_at_ms);
  return Value(std::move(o));
}

Value provider_value(const Provider& p) {
  auto v = json::parse(provider_to_json(p), "provider");
  Value out = v ? std::move(*v) : Value(Object{});
  if (out.is<Object>()) out.get<Object>()["builtin"] = Value(p.builtin);
  return out;
}

Value to_value(const ProviderInfo& p) {
  Value v = provider_value(p.provider);
  if (v.is<Object>()) {
    Object& o = v.get<Object>();
    o["mode"] = Value(std::string(to_string(p.mode)));
    o["has_app"] = Value(p.has_app);
    o["supports_managed"] = Value(!p.provider.managed_service_config_key.empty());
  }
  return v;
}

Value to_value(const AppInfo& a) {
  Object o;
  o["provider"] = Value(a.provider);
  o["client_id"] = Value(a.client_id);
  o["has_client_secret"] = Value(a.has_client_secret);
  // Only when set, like the record: answers for apps using the provider's method keep their shape.
  if (!a.token_endpoint_auth_method.empty()) o["token_endpoint_auth_method"] = Value(a.token_endpoint_auth_method);
  if (!a.key_id.empty()) o["key_id"] = Value(a.key_id);
  // A dynamically registered app (RFC 7591) says so, with when its secret expires (null: never);
  // the registration access token itself is never included.
  if (a.has_registration_access_token || !a.registration_client_uri.empty() || a.client_secret_expires_at_ms != 0) {
    o["has_registration_access_token"] = Value(a.has_registration_access_token);
    o["registration_client_uri"] = a.registration_client_uri.empty() ? Value() : Value(a.registration_client_uri);
    o["client_secret_expires_at_ms"] = opt_time(a.client_secret_expires_at_ms);
  }
  o["redirect_uri"] = Value(a.redirect_uri);
  o["scopes"] = string_array(a.scopes);
  o["template_values"] = string_map(a.template_values);
  o["updated_at_ms"] = opt_time(a.updated_at_ms);
  return Value(std::move(o));
}

Value to_value(const AuthorizationStart& a) {
  Object o;
  o["authorization_url"] = Value(a.authorization_url);
  o["state"] = Value(a.state);
  o["expires_at_ms"] = Value(a.expires_at_ms);
  return Value(std::move(o));
}

Value to_value(const DeviceAuthorization& d) {
  Object o;
  o["handle"] = Value(d.handle);
  o["user_code"] = Value(d.user_code);
  o["verification_uri"] = Value(d.verification_uri);
  o["verification_uri_complete"] = d.verification_uri_complete.empty() ? Value() : Value(d.verification_uri_complete);
  o["expires_at_ms"] = Value(d.expires_at_ms);
  o["interval_ms"] = Value(d.interval_ms);
  return Value(std::move(o));
}

Value to_value(const DevicePollStatus& s) {
  Object o;
  o["pending"] = Value(s.pending);
  if (!s.pending) o["connection"] = to_value(s.connection);
  o["interval_ms"] = Value(s.interval_ms);
  o["next_poll_at_ms"] = s.pending ? Value(s.next_poll_at_ms) : Value();
  o["expires_at_ms"] = Value(s.expires_at_ms);
  return Value(std::move(o));
}

Value to_value(const ConnectionInfo& c) {
  Object o;
  o["id"] = Value(c.id);
  o["principal"] = Value(c.principal);
  o["provider"] = Value(c.provider);
  o["account"] = Value(c.account);
  o["status"] = Value(c.status);
  o["grant"] = Value(c.grant);
  o["scope"] = Value(c.scope);
  o["token_type"] = Value(c.token_type);
  o["expires_at_ms"] = opt_time(c.expires_at_ms);
  o["has_refresh_token"] = Value(c.has_refresh_token);
  o["created_at_ms"] = opt_time(c.created_at_ms);
  o["updated_at_ms"] = opt_time(c.updated_at_ms);
  o["last_error"] = c.last_error.empty() ? Value() : Value(c.last_error);
  o["extras"] = extras_value(c.extras);
  return Value(std::move(o));
}

Value to_value(const AccessToken& t) {
  Object o;
  o["access_token"] = Value(t.access_token);
  o["token_type"] = Value(t.token_type);
  o["expires_at_ms"] = opt_time(t.expires_at_ms);
  o["refreshed"] = Value(t.refreshed);
  o["extras"] = extras_value(t.extras);
  return Value(std::move(o));
}

Value to_value(const HttpRequest& r) {
  Object o;
  o["method"] = Value(r.method);
  o["url"] = Value(r.url);
  o["headers"] = params_value(r.headers);
  o["body"] = Value(r.body);
  o["timeout_ms"] = Value(r.timeout_ms);
  o["max_response_bytes"] = Value(static_cast<std::int64_t>(r.max_response_bytes));
  o["follow_redirects"] = Value(r.follow_redirects);
  return Value(std::move(o));
}

// No C API operation returns a signer, which exists for hosts that keep it in memory (latchkeyd's
// proxy); this form is for diagnostics. Its token is not written out: a JSON form ends up in logs
// and across the C ABI, where sign_request is the way to use a token.
Value to_value(const RequestSigner& s) {
  Object o;
  o["account"] = Value(s.account);
  o["api_base_url"] = Value(s.api_base_url);
  o["provider"] = Value(s.provider);
  o["has_access_token"] = Value(!s.access_token.empty());
  o["fresh_until_ms"] = opt_time(s.fresh_until_ms);
  return Value(std::move(o));
}

// A body that is not UTF-8 comes as base64, as hosts hand effect results in (docs/effects.md).
Value to_value(const AuthorizedResponse& r) {
  Object o;
  o["status"] = Value(static_cast<std::int64_t>(r.response.status));
  o["headers"] = params_value(r.response.headers);
  if (json::is_utf8(r.response.body)) o["body"] = Value(r.response.body);
  else o["body_base64"] = Value(base64_encode(r.response.body));
  o["transport_error"] = r.transport_error.empty() ? Value() : Value(r.transport_error);
  o["attempts"] = Value(static_cast<std::int64_t>(r.attempts));
  o["refreshed"] = Value(r.refreshed);
  return Value(std::move(o));
}

Value to_value(const DisconnectResult& d) {
  Object o;
  o["deleted"] = Value(d.deleted);
  o["revoked"] = Value(d.revoked);
  o["revocation_error"] = d.revocation_error.empty() ? Value() : Value(d.revocation_error);
  return Value(std::move(o));
}

Value to_value(const RemoveResult& r) {
  Object o;
  o["removed"] = Value(r.removed);
  o["connections_removed"] = Value(static_cast<std::int64_t>(r.connections_removed));
  return Value(std::move(o));
}

Value to_value(const Ok&) { return Value(Object{}); }

Value to_value(const ResealResult& r) {
  Object o;
  o["resealed"] = Value(static_cast<std::int64_t>(r.resealed));
  o["skipped"] = Value(static_cast<std::int64_t>(r.skipped));
  o["failed"] = Value(static_cast<std::int64_t>(r.failed));
  return Value(std::move(o));
}

Value to_value(const Effect& e) {
  Object o;
  o["kind"] = Value(std::string(to_string(e.kind)));
  switch (e.kind) {
    case EffectKind::http:
      o["http"] = to_value(e.http);
      // Only when set: the transcripts of every other operation stay as they were.
      if (e.stream) o["stream"] = Value(true);
      if (e.hold_401) o["hold_401"] = Value(true);
      break;
    case EffectKind::store_get:
      o["key"] = Value(e.key);
      break;
    case EffectKind::store_put:
      o["key"] = Value(e.key);
      o["value"] = Value(e.value);
      break;
    case EffectKind::store_cas:
      o["key"] = Value(e.key);
      o["value"] = Value(e.value);
      o["expected_version"] = Value(e.expected_version);
      break;
    case EffectKind::store_delete:
      o["key"] = Value(e.key);
      o["expected_version"] = Value(e.expected_version);
      break;
    case EffectKind::store_list:
      o["prefix"] = Value(e.prefix);
      // Only when bounded: a host that predates `limit` sees the lists it always saw.
      if (e.limit != 0) o["limit"] = Value(static_cast<std::int64_t>(e.limit));
      break;
    case EffectKind::wait:
      o["until_ms"] = Value(e.until_ms);
      break;
  }
  return Value(std::move(o));
}

Result<EffectResult> effect_result_from_json(const std::string& text) {
  auto v = json::parse(text, "the effect result");
  if (!v) return make_error(ErrorCode::invalid_request, v.error().message);
  if (!v->is<Object>()) return make_error(ErrorCode::invalid_request, "the effect result must be a JSON object");
  const Object& o = v->get<Object>();
  EffectResult r;
  auto bad = [](const char* what) {
    return make_error(ErrorCode::invalid_request, std::string("the effect result's '") + what + "' has the wrong type");
  };
  for (const auto& [name, value] : o) {
    if (name == "status") {
      if (!value.is<std::int64_t>()) return bad("status");
      r.response.status = static_cast<int>(value.get<std::int64_t>());
    } else if (name == "headers") {
      if (!value.is<Array>()) return bad("headers");
      for (const auto& h : value.get<Array>()) {
        if (!h.is<Array>() || h.get<Array>().size() != 2 || !h.get<Array>()[0].is<std::string>() ||
            !h.get<Array>()[1].is<std::string>()) {
          return bad("headers");
        }
        r.response.headers.emplace_back(h.get<Array>()[0].get<std::string>(), h.get<Array>()[1].get<std::string>());
      }
    } else if (name == "body") {
      if (!value.is<std::string>()) return bad("body");
      r.response.body = value.get<std::string>();
    } else if (name == "body_base64") {
      if (!value.is<std::string>()) return bad("body_base64");
      auto b = base64_decode(value.get<std::string>());
      if (!b) return bad("body_base64");
      r.response.body = std::move(*b);
    } else if (name == "transport_error") {
      if (!value.is<std::string>()) return bad("transport_error");
      r.transport_error = value.get<std::string>();
      if (r.transport_error.empty()) r.transport_error = "unknown transport error";
    } else if (name == "found") {
      if (!value.is<bool>()) return bad("found");
      r.found = value.get<bool>();
    } else if (name == "conflict") {
      if (!value.is<bool>()) return bad("conflict");
      r.conflict = value.get<bool>();
    } else if (name == "value") {
      if (!value.is<std::string>()) return bad("value");
      r.record.value = value.get<std::string>();
    } else if (name == "version") {
      if (!value.is<std::int64_t>()) return bad("version");
      r.record.version = value.get<std::int64_t>();
    } else if (name == "records") {
      if (!value.is<Array>()) return bad("records");
      for (const auto& item : value.get<Array>()) {
        if (!item.is<Object>()) return bad("records");
        const Object& ro = item.get<Object>();
        StoreRecord rec;
        const std::string* k = json::get_string(ro, "key");
        const std::string* val = json::get_string(ro, "value");
        if (!k || !val || !json::get_int(ro, "version", &rec.version)) return bad("records");
        rec.key = *k;
        rec.value = *val;
        r.records.push_back(std::move(rec));
      }
    } else if (name == "store_error") {
      if (!value.is<std::string>()) return bad("store_error");
      r.store_error = value.get<std::string>();
      if (r.store_error.empty()) r.store_error = "unknown store error";
    }
  }
  return r;
}

}  // namespace latchkey::detail
