// The /oauth-providers API (docs/oauth_providers_api.md): a REST contract users of a comparable
// product already know, answered on /api/v1/oauth-providers and /oauth-providers beside /v1.
// It is no second implementation: an OAuth provider is a custom provider definition
// (register_provider, update_provider, remove_provider) plus its app (upsert_app); status,
// connect and disconnect are /v1's engine calls, and authorize, the code exchange and the token
// run /v1's own handlers (so their redirect URI, parking and metrics are /v1's), whose answers
// are reshaped here. This file translates names and shapes, and keeps what the contract has and
// a definition does not (the name, the timestamps).
//
// `id` is the provider key: 24 random hex digits chosen at creation (the contract's ids look so).
// It never changes; /v1 and the CLI name the same provider by it (/v1/proxy/{id}/...); and a
// provider deleted and created again gets another, so an old id never reaches the new one. The
// name cannot be the key: it is unique among these providers only, may be a catalog key
// ("salesforce" is built in, and a custom provider cannot shadow a built-in), and may change.
//
// Beside the engine's records, two of the gateway's own (Host::get/put/cas):
//   gwoap/<id>        {name, created_at_ms, updated_at_ms}: makes a custom provider one of these
//                     (only those are listed; catalog providers and /v1's own custom ones stay
//                     /v1's, they have no name or creation time to show) and holds the contract's
//                     members a definition has no place for;
//   gwoapname/<name>  {id}: the name's claim, written only if absent, so of two creates (or
//                     renames) to one name exactly one wins.
// `project` is one fixed value: a gateway is one project.
//
// Whose tokens: a user's sign-in (grant_type authorization_code) is the caller's own connection,
// account "default". A client_credentials token is the project's, as the contract says ("a
// project-scoped token"): principal "default", the one the CLI acts as, so the token an admin's
// connect fetched serves every key's token requests (and `latchkey token {id}` on the store).
#include "api_body.hpp"
#include "api_handlers.hpp"
#include "pending_op.hpp"
#include "responses.hpp"
#include "return_to.hpp"

#include <algorithm>
#include <tuple>

#include "host/master_key.hpp"
#include "latchkey/encoding.hpp"
#include "latchkey/text.hpp"

namespace latchkey::gateway {
namespace {

using Object = JsonObject;
using Value = JsonValue;

constexpr const char* kProject = "default";
constexpr const char* kProjectPrincipal = "default";
constexpr const char* kAccount = "default";
constexpr const char* kRecordPrefix = "gwoap/";
constexpr const char* kNamePrefix = "gwoapname/";
constexpr std::size_t kIdBytes = 12;    // 24 hex digits
constexpr std::size_t kMaxName = 64;    // a provider key's limit, so a name could be one

Error invalid(const std::string& message) { return make_error(ErrorCode::invalid_request, message); }

// --- the side records ---------------------------------------------------------------------

struct Record {
  std::string name;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

bool valid_id(const std::string& id) {
  if (id.size() != kIdBytes * 2) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Error no_such(const std::string& id) {
  return make_error(ErrorCode::not_found, "no OAuth provider with id '" + clean_text(id, 64) +
                                              "'; GET /oauth-providers lists them");
}

Result<Record> parse_record(const std::string& id, const std::string& value) {
  auto doc = parse_json(value, "an OAuth provider record");
  Record r;
  const std::string* name = doc && doc->is<Object>() ? json_string(doc->get<Object>(), "name") : nullptr;
  if (!name || !json_int(doc->get<Object>(), "created_at_ms", &r.created_at_ms) ||
      !json_int(doc->get<Object>(), "updated_at_ms", &r.updated_at_ms)) {
    return make_error(ErrorCode::storage, "the record " + std::string(kRecordPrefix) + id +
                                              " is damaged; delete the provider and create it again");
  }
  r.name = *name;
  return r;
}

/// The record of `id`; not_found (the contract's 404) when there is none or the id cannot be one.
Result<Record> read_record(native::Host& host, const std::string& id) {
  if (!valid_id(id)) return no_such(id);
  auto got = host.get(kRecordPrefix + id);
  if (!got) return got.error();
  if (!*got) return no_such(id);
  return parse_record(id, (*got)->value);
}

Status write_record(native::Host& host, const std::string& id, const Record& r) {
  Object o;
  o["name"] = Value(r.name);
  o["created_at_ms"] = Value(r.created_at_ms);
  o["updated_at_ms"] = Value(r.updated_at_ms);
  return host.put(kRecordPrefix + id, serialize_json(Value(o)));
}

/// Claims `name` for `id`: conflict (409) when another provider has it.
Status claim_name(native::Host& host, const std::string& name, const std::string& id) {
  // Written only if absent (compare-and-swap at version 0): of two claims, one wins.
  auto claimed = host.cas(kNamePrefix + name, serialize_json(Value(Object{{"id", Value(id)}})), 0);
  if (!claimed) return claimed.error();
  if (!*claimed) {
    return make_error(ErrorCode::conflict, "an OAuth provider named '" + name +
                                               "' already exists; choose another name, or change that one with PUT");
  }
  return Ok{};
}

/// Gives up `name`'s claim if `id` holds it (a failed create, a rename, a delete).
void release_name(native::Host& host, const std::string& name, const std::string& id) {
  auto got = host.get(kNamePrefix + name);
  if (!got || !*got) return;
  auto doc = parse_json((*got)->value, "a name claim");
  const std::string* holder = doc && doc->is<Object>() ? json_string(doc->get<Object>(), "id") : nullptr;
  if (holder && *holder == id) (void)host.remove((*got)->key, (*got)->version);
}

Result<std::string> new_id() {
  auto bytes = native::os_random(kIdBytes);
  if (!bytes) return bytes.error();
  return hex_encode(*bytes);
}

// --- answers --------------------------------------------------------------------------------


Value text_or_null(const std::string& s) { return s.empty() ? Value() : Value(s); }

bool is_client_credentials(const Provider& p) { return p.auth_mode == AuthMode::client_credentials; }

/// The contract's OAuthProvider object: these members exactly, never the secret.
Value provider_object(const std::string& id, const Record& rec, const Provider& p, const std::optional<AppInfo>& app) {
  Object o;
  o["id"] = Value(id);
  o["name"] = Value(rec.name);
  o["display_name"] = Value(p.display_name);
  o["project"] = Value(std::string(kProject));
  o["grant_type"] = Value(std::string(is_client_credentials(p) ? "client_credentials" : "authorization_code"));
  o["authorization_endpoint"] = text_or_null(p.authorization_endpoint);
  o["token_endpoint"] = text_or_null(p.token_endpoint);
  o["client_id"] = app ? Value(app->client_id) : Value();
  o["has_client_secret"] = Value(app && app->has_client_secret);
  JsonArray scopes;
  for (const auto& s : p.default_scopes) scopes.emplace_back(s);
  o["default_scopes"] = Value(scopes);
  o["use_pkce"] = Value(p.pkce != PkceSupport::unsupported);
  o["revocation_endpoint"] = text_or_null(p.revocation_endpoint);
  o["created_at"] = Value(utc_text(rec.created_at_ms, true));
  o["updated_at"] = Value(utc_text(rec.updated_at_ms, true));
  return Value(o);
}

/// The app, or none (removed through /v1: the object then says client_id null).
Result<std::optional<AppInfo>> read_app(native::Host& host, const std::string& id) {
  auto app = host.run(host.engine().get_app(id));
  if (app) return std::optional<AppInfo>(std::move(*app));
  if (app.error().code == ErrorCode::not_found) return std::optional<AppInfo>();
  return app.error();
}

/// One provider as the contract shows it; not_found when its definition is gone.
Result<Value> describe(native::Host& host, const std::string& id, const Record& rec) {
  auto info = host.run(host.engine().get_provider(id));
  if (!info) return info.error().code == ErrorCode::not_found ? no_such(id) : info.error();
  auto app = read_app(host, id);
  if (!app) return app.error();
  return provider_object(id, rec, info->provider, *app);
}

ApiResponse answer(int status, const Result<Value>& v) {
  if (!v) return from_error(v.error());
  return json_response(status, *v);
}

ApiResponse success() { return json_response(200, Value(Object{{"success", Value(true)}})); }

// --- request bodies -------------------------------------------------------------------------

/// A create or update body: what it names (nullopt: absent). An endpoint given as null or ""
/// means none.
struct Input {
  std::optional<std::string> name, display_name, grant_type, authorization_endpoint, token_endpoint, client_id,
      client_secret, revocation_endpoint;
  std::optional<std::vector<std::string>> default_scopes;
  std::optional<bool> use_pkce;
};

Status read_string(const Object& o, const char* member, bool nullable, std::optional<std::string>* out) {
  auto it = o.find(member);
  if (it == o.end()) return Ok{};
  if (nullable && it->second.is<picojson::null>()) {
    *out = std::string();
    return Ok{};
  }
  if (!it->second.is<std::string>()) {
    return invalid(std::string(member) + " must be a string" + (nullable ? " (or null for none)" : ""));
  }
  *out = it->second.get<std::string>();
  return Ok{};
}

/// Kebab-case as provider keys are: lower-case letters and digits in groups joined by single dashes.
bool kebab_case(const std::string& s) {
  if (s.empty() || s.size() > kMaxName || s.front() == '-' || s.back() == '-') return false;
  char prev = 0;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-') return false;
    if (c == '-' && prev == '-') return false;
    prev = c;
  }
  return true;
}

Result<Input> parse_input(const std::string& body) {
  auto parsed = parse_fields(body, {"name", "display_name", "grant_type", "authorization_endpoint", "token_endpoint",
                                    "client_id", "client_secret", "default_scopes", "use_pkce", "revocation_endpoint"});
  if (!parsed) return parsed.error();
  const Object& o = *parsed;
  Input in;
  for (auto [member, slot, nullable] :
       {std::tuple{"name", &in.name, false}, std::tuple{"display_name", &in.display_name, false},
        std::tuple{"grant_type", &in.grant_type, false},
        std::tuple{"authorization_endpoint", &in.authorization_endpoint, true},
        std::tuple{"token_endpoint", &in.token_endpoint, false}, std::tuple{"client_id", &in.client_id, false},
        std::tuple{"client_secret", &in.client_secret, false},
        std::tuple{"revocation_endpoint", &in.revocation_endpoint, true}}) {
    if (auto s = read_string(o, member, nullable, slot); !s) return s.error();
  }
  if (o.count("default_scopes")) {
    auto scopes = string_array(o, "default_scopes");
    if (!scopes) return scopes.error();
    in.default_scopes = std::move(*scopes);
  }
  if (o.count("use_pkce")) {
    bool b = false;
    if (!json_bool(o, "use_pkce", &b)) return invalid("use_pkce must be true or false");
    in.use_pkce = b;
  }
  if (in.name && !kebab_case(*in.name)) {
    return invalid("name '" + clean_text(*in.name, 80) + "' is not kebab-case: use lower-case letters, digits and "
                   "single dashes, at most 64 characters (e.g. \"salesforce-prod\")");
  }
  if (in.display_name && in.display_name->empty()) return invalid("display_name must not be empty");
  if (in.grant_type && *in.grant_type != "authorization_code" && *in.grant_type != "client_credentials") {
    return invalid("grant_type must be \"authorization_code\" or \"client_credentials\"");
  }
  if (in.client_id && in.client_id->empty()) return invalid("client_id must not be empty");
  if (in.token_endpoint && in.token_endpoint->empty()) return invalid("token_endpoint must not be empty");
  return in;
}

/// The definition members `in` names, as register_provider and update_provider take them (in an
/// update, a null removes a member). `stored`: the provider being updated, null for a create.
Result<Object> definition(const Input& in, const Provider* stored) {
  Object d;
  const bool cc = in.grant_type ? *in.grant_type == "client_credentials" : stored && is_client_credentials(*stored);
  if (in.display_name) d["display_name"] = Value(*in.display_name);
  if (in.grant_type) d["auth_mode"] = Value(std::string(cc ? "client_credentials" : "oauth2"));
  // The schema's client-credentials providers have no authorization endpoint (none is ever used).
  if (cc) {
    if (in.authorization_endpoint && !in.authorization_endpoint->empty()) {
      return invalid("authorization_endpoint is not used with grant_type client_credentials; leave it out");
    }
    if (stored && !stored->authorization_endpoint.empty()) d["authorization_endpoint"] = Value();
  } else {
    const bool has = in.authorization_endpoint ? !in.authorization_endpoint->empty()
                                               : stored && !stored->authorization_endpoint.empty();
    if (!has) return invalid("authorization_endpoint is required for grant_type authorization_code");
    if (in.authorization_endpoint) d["authorization_endpoint"] = Value(*in.authorization_endpoint);
  }
  if (in.token_endpoint) d["token_endpoint"] = Value(*in.token_endpoint);
  if (in.revocation_endpoint) d["revocation_endpoint"] = text_or_null(*in.revocation_endpoint);
  if (in.default_scopes) {
    JsonArray a;
    for (const auto& s : *in.default_scopes) a.emplace_back(s);
    d["default_scopes"] = Value(a);
  }
  if (in.use_pkce) d["pkce"] = Value(std::string(*in.use_pkce ? "required" : "unsupported"));
  return d;
}

// --- shared steps of the per-provider routes ------------------------------------------------

struct Loaded {
  std::string id;
  Record record;
  Provider provider;
};

Result<Loaded> load(const Call& c) {
  Loaded l;
  l.id = c.param("id");
  auto rec = read_record(c.host, l.id);
  if (!rec) return rec.error();
  l.record = std::move(*rec);
  auto info = c.host.run(c.host.engine().get_provider(l.id));
  if (!info) return info.error().code == ErrorCode::not_found ? no_such(l.id) : info.error();
  l.provider = std::move(info->provider);
  return l;
}

/// Whose connection a route means (see the top of this file).
KeyInfo owner(const Call& c, const Provider& p) {
  if (!is_client_credentials(p)) return c.caller;
  KeyInfo project = c.caller;
  project.principal = kProjectPrincipal;
  return project;
}

ConnectionRef connection_ref(const Call& c, const Loaded& l) { return {owner(c, l.provider).principal, l.id, kAccount}; }

/// Runs the /v1 route handler `v1` as if called on its own route with `captures`, `query` and an
/// empty body, for `caller`: its checks, operations and waiting are the ones this answer uses.
ApiResponse through_v1(const Call& c, Handler v1, std::vector<std::pair<std::string, std::string>> captures,
                       std::string query, const KeyInfo& caller) {
  ApiRequest req = c.req;  // the Host header and the bound address name the callback
  req.body.clear();
  const Target target{c.target.segments, std::move(query)};
  RouteMatch match;
  match.captures = std::move(captures);
  return v1(Call{c.host, c.metrics, c.throttle, c.config, req, target, match, caller, c.meta});
}

/// The members `names` of a /v1 answer's JSON object; an error answer as it is.
ApiResponse pick(ApiResponse r, std::initializer_list<const char*> names) {
  if (r.status != 200) return r;
  auto doc = parse_json(r.body, "the /v1 answer");
  if (!doc || !doc->is<Object>()) return from_error(make_error(ErrorCode::internal, "a /v1 answer was not an object"));
  Object out;
  for (const char* n : names) {
    auto it = doc->get<Object>().find(n);
    out[n] = it == doc->get<Object>().end() ? Value() : it->second;
  }
  r.body = serialize_json(Value(out));
  return r;
}

Error not_connected(const Loaded& l) {
  return make_error(ErrorCode::not_found,
                    "'" + l.record.name + "' is not connected" +
                        (is_client_credentials(l.provider)
                             ? " for the project: an admin connects it with POST /oauth-providers/" + l.id + "/connect"
                             : " for this principal: sign in with GET /oauth-providers/" + l.id + "/authorize"));
}

}  // namespace

// --- the routes -----------------------------------------------------------------------------

ApiResponse list_oauth_providers(const Call& c) {
  auto records = c.host.list(kRecordPrefix);
  if (!records) return from_error(records.error());
  std::vector<std::pair<std::string, Value>> out;  // by name: ids are random
  for (const auto& rec : *records) {
    const std::string id = rec.key.substr(std::string(kRecordPrefix).size());
    if (!valid_id(id)) continue;
    auto r = parse_record(id, rec.value);
    if (!r) return from_error(r.error());
    auto v = describe(c.host, id, *r);
    if (!v) {
      if (v.error().code == ErrorCode::not_found) continue;  // removed through /v1 meanwhile
      return from_error(v.error());
    }
    out.emplace_back(r->name, std::move(*v));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  JsonArray list;
  for (auto& [name, v] : out) list.push_back(std::move(v));
  return json_response(200, Value(list));
}

ApiResponse get_oauth_provider(const Call& c) {
  const std::string& id = c.param("id");
  auto rec = read_record(c.host, id);
  if (!rec) return from_error(rec.error());
  return answer(200, describe(c.host, id, *rec));
}

/// The name is claimed first (the one step two creates could race on), then the record, the
/// definition and the app; a failure undoes what was done, so a refused create leaves nothing.
ApiResponse create_oauth_provider(const Call& c) {
  native::Host& host = c.host;
  auto in = parse_input(c.req.body);
  if (!in) return from_error(in.error());
  if (!in->name) return from_error(invalid("name (kebab-case, unique) is required"));
  if (!in->display_name) return from_error(invalid("display_name is required"));
  if (!in->client_id) return from_error(invalid("client_id is required"));
  if (!in->token_endpoint) return from_error(invalid("token_endpoint is required"));
  if (!in->grant_type) in->grant_type = "authorization_code";
  if (!in->use_pkce) in->use_pkce = true;
  if (!in->default_scopes) in->default_scopes.emplace();
  auto def = definition(*in, nullptr);
  if (!def) return from_error(def.error());
  // Tokens may go where the authorization server is (its userinfo, say) until an admin names the
  // API itself: PUT /v1/providers/{id} {api_base_url, injection}. The schema needs somewhere.
  auto origin = origin_of(*in->token_endpoint);
  if (!origin) return from_error(invalid("token_endpoint: " + origin.error().message));
  auto id = new_id();
  if (!id) return from_error(id.error());
  (*def)["key"] = Value(*id);
  (*def)["api_base_url"] = Value(*origin);

  if (auto claimed = claim_name(host, *in->name, *id); !claimed) return from_error(claimed.error());
  const std::int64_t now = native::Host::now_ms();
  const Record rec{*in->name, now, now};
  auto undo = [&](const Error& e, bool registered) {
    if (registered) (void)host.run(host.engine().remove_provider(*id, true));
    (void)host.remove(kRecordPrefix + *id, 0);
    release_name(host, *in->name, *id);
    return from_error(e);
  };
  if (auto saved = write_record(host, *id, rec); !saved) return undo(saved.error(), false);
  auto provider = host.run(host.engine().register_provider(serialize_json(Value(*def))));
  if (!provider) return undo(provider.error(), false);
  AppInput app;
  app.provider = *id;
  app.client_id = *in->client_id;
  if (in->client_secret && !in->client_secret->empty()) app.client_secret = *in->client_secret;
  auto stored = host.run(host.engine().upsert_app(std::move(app)));
  if (!stored) return undo(stored.error(), true);
  return json_response(201, provider_object(*id, rec, provider->provider, *stored));
}

/// Only the members the body names change. Everything is checked before anything is written:
/// the app's inputs, then the definition (update_provider validates the merged one), the app,
/// the name and the record.
ApiResponse update_oauth_provider(const Call& c) {
  native::Host& host = c.host;
  auto l = load(c);
  if (!l) return from_error(l.error());
  auto in = parse_input(c.req.body);
  if (!in) return from_error(in.error());
  auto def = definition(*in, &l->provider);
  if (!def) return from_error(def.error());

  std::optional<AppInput> app;
  if (in->client_id || in->client_secret) {
    auto current = read_app(host, l->id);
    if (!current) return from_error(current.error());
    if (!*current && !in->client_id) return from_error(invalid("client_id is required: this provider has no client yet"));
    app.emplace();
    app->provider = l->id;
    app->client_id = in->client_id ? *in->client_id : (*current)->client_id;
    app->client_secret = in->client_secret;  // "" clears it, absent keeps it
    if (*current) {  // what /v1 set beside them stays
      app->redirect_uri = (*current)->redirect_uri;
      app->scopes = (*current)->scopes;
      app->template_values = (*current)->template_values;
    }
  }
  const bool renamed = in->name && *in->name != l->record.name;
  if (renamed) {
    if (auto claimed = claim_name(host, *in->name, l->id); !claimed) return from_error(claimed.error());
  }
  auto give_back = [&](const Error& e) {
    if (renamed) release_name(host, *in->name, l->id);
    return from_error(e);
  };
  if (!def->empty()) {
    (*def)["key"] = Value(l->id);
    auto updated = host.run(host.engine().update_provider(serialize_json(Value(*def))));
    if (!updated) return give_back(updated.error());
  }
  if (app) {
    if (auto stored = host.run(host.engine().upsert_app(std::move(*app))); !stored) return give_back(stored.error());
  }
  Record rec = l->record;
  const std::string old_name = rec.name;
  if (renamed) rec.name = *in->name;
  if (renamed || !def->empty() || in->client_id || in->client_secret) rec.updated_at_ms = native::Host::now_ms();
  if (auto saved = write_record(host, l->id, rec); !saved) return give_back(saved.error());
  if (renamed) release_name(host, old_name, l->id);
  return answer(200, describe(host, l->id, rec));
}

/// The definition, its app and every connection made with it (the /v1 route's ?force=true), then
/// the records: a provider half removed is still found, so deleting it again finishes.
ApiResponse delete_oauth_provider(const Call& c) {
  native::Host& host = c.host;
  const std::string& id = c.param("id");
  auto rec = read_record(host, id);
  if (!rec) return from_error(rec.error());
  auto removed = host.run(host.engine().remove_provider(id, true));
  if (!removed && removed.error().code != ErrorCode::not_found) return from_error(removed.error());
  if (auto gone = host.remove(kRecordPrefix + id, 0); !gone) return from_error(gone.error());
  release_name(host, rec->name, id);
  return success();
}

ApiResponse authorize_oauth_provider(const Call& c) {
  auto l = load(c);
  if (!l) return from_error(l.error());
  if (!c.target.query.empty()) return from_error(invalid("this route takes no query parameters"));
  if (is_client_credentials(l->provider)) {
    return from_error(invalid("'" + l->record.name + "' uses grant_type client_credentials: no one signs in; an admin "
                              "connects it with POST /oauth-providers/" + l->id + "/connect"));
  }
  // One connection per principal and provider: the status, token and disconnect routes name it.
  return pick(through_v1(c, authorize, {{"key", l->id}}, std::string("account=") + kAccount, c.caller),
              {"authorization_url", "state"});
}

/// /v1's exchange itself (the pending sign-in is single-use, and only its own principal's).
ApiResponse exchange_oauth_code(const Call& c) {
  ApiResponse r = oauth_exchange(c);
  if (r.status != 200) return r;
  return success();
}

ApiResponse oauth_provider_status(const Call& c) {
  auto l = load(c);
  if (!l) return from_error(l.error());
  auto conn = c.host.run(c.host.engine().status(connection_ref(c, *l)));
  if (!conn && conn.error().code != ErrorCode::not_found) return from_error(conn.error());
  Object o;
  o["oauth_provider_id"] = Value(l->id);
  o["oauth_provider_name"] = Value(l->record.name);
  // The core's own verdict: "connected" tokens are valid or renewable (refreshed, or fetched
  // again for client credentials); needs_reauth ones are not.
  o["authenticated"] = Value(conn && conn->status == "connected");
  o["expires_at"] = conn && conn->expires_at_ms > 0 ? Value(utc_text(conn->expires_at_ms, true)) : Value();
  o["scope"] = conn ? Value(conn->scope) : Value();
  return json_response(200, Value(o));
}

ApiResponse connect_oauth_provider(const Call& c) {
  auto l = load(c);
  if (!l) return from_error(l.error());
  if (auto body = parse_fields(c.req.body, {}, true); !body) return from_error(body.error());
  if (!is_client_credentials(l->provider)) {
    return from_error(invalid("connect is for grant_type client_credentials; users sign in to '" + l->record.name +
                              "' with GET /oauth-providers/" + l->id + "/authorize"));
  }
  auto conn = c.host.run(c.host.engine().connect_client_credentials(connection_ref(c, *l), {}));
  if (!conn) return from_error(conn.error());
  return success();
}

/// /v1's token route: refreshed (single-flight) when due, and waiting without a thread.
ApiResponse oauth_provider_token(const Call& c) {
  auto l = load(c);
  if (!l) return from_error(l.error());
  if (auto body = parse_fields(c.req.body, {}, true); !body) return from_error(body.error());
  ApiResponse r = through_v1(c, connection_token, {{"provider", l->id}, {"account", kAccount}}, "", owner(c, l->provider));
  return then(c.host, std::move(r), [loaded = *l](native::Host&, ApiResponse a) {
    if (a.error_code == "not_found") return from_error(not_connected(loaded));
    return pick(std::move(a), {"access_token"});
  });
}

/// Revokes the tokens at the provider first when it has a revocation endpoint (what the
/// contract's revocation_endpoint is for); they are deleted even if that fails. Nothing to
/// delete is success too: the caller wanted none kept.
ApiResponse disconnect_oauth_provider(const Call& c) {
  auto l = load(c);
  if (!l) return from_error(l.error());
  auto done = c.host.run(c.host.engine().disconnect(connection_ref(c, *l), true));
  if (!done && done.error().code != ErrorCode::not_found) return from_error(done.error());
  return success();
}

}  // namespace latchkey::gateway
