// Providers and their apps: /v1/providers[/{key}[/app]] and /v1/providers/discover.
#include "api_body.hpp"
#include "api_handlers.hpp"
#include "responses.hpp"

namespace latchkey::gateway {
namespace {

using Object = JsonObject;
using Value = JsonValue;

Result<AppInput> parse_app(const std::string& provider, const std::string& body) {
  auto parsed = parse_fields(body, {"client_id", "client_secret", "redirect_uri", "scopes", "template_values",
                                    "token_endpoint_auth_method", "key_id"});
  if (!parsed) return parsed.error();
  const Object& o = *parsed;
  AppInput app;
  app.provider = provider;
  const std::string* id = json_string(o, "client_id");
  if (!id || id->empty()) return make_error(ErrorCode::invalid_request, "client_id (a string) is required");
  app.client_id = *id;
  if (o.count("client_secret")) {
    const std::string* secret = json_string(o, "client_secret");
    if (!secret) return make_error(ErrorCode::invalid_request, "client_secret must be a string");
    app.client_secret = *secret;
  }
  // private_key_jwt: the PEM key is the client_secret (write-only like any secret).
  for (auto [name, slot] : {std::pair{"token_endpoint_auth_method", &app.token_endpoint_auth_method},
                            std::pair{"key_id", &app.key_id}}) {
    if (!o.count(name)) continue;
    const std::string* v = json_string(o, name);
    if (!v) return make_error(ErrorCode::invalid_request, std::string(name) + " must be a string");
    *slot = *v;
  }
  if (o.count("redirect_uri")) {
    const std::string* uri = json_string(o, "redirect_uri");
    if (!uri) return make_error(ErrorCode::invalid_request, "redirect_uri must be a string");
    app.redirect_uri = *uri;
  }
  auto scopes = string_array(o, "scopes");
  if (!scopes) return scopes.error();
  app.scopes = std::move(*scopes);
  if (o.count("template_values")) {
    const Object* values = json_object(o, "template_values");
    if (!values) return make_error(ErrorCode::invalid_request, "template_values must be an object of strings");
    for (const auto& [k, v] : *values) {
      if (!v.is<std::string>()) return make_error(ErrorCode::invalid_request, "template_values must be an object of strings");
      app.template_values[k] = v.get<std::string>();
    }
  }
  return app;
}


}  // namespace

ApiResponse list_providers(const Call& c) { return from_result(c.host.run(c.host.engine().list_providers({}))); }

ApiResponse register_provider(const Call& c) {
  auto o = parse_object(c.req.body);
  if (!o) return from_error(o.error());
  ApiResponse r = from_result(c.host.run(c.host.engine().register_provider(c.req.body)));
  if (r.status == 200) r.status = 201;
  return r;
}

ApiResponse get_provider(const Call& c) {
  return from_result(c.host.run(c.host.engine().get_provider(c.param("key"))));
}

ApiResponse update_provider(const Call& c) {
  // PUT's body names the provider in the path; a "key" in the body must agree.
  auto body = definition_for_key(c.param("key"), c.req.body);
  if (!body) return from_error(body.error());
  return from_result(c.host.run(c.host.engine().update_provider(std::move(*body))));
}

ApiResponse remove_provider(const Call& c) {
  return from_result(c.host.run(c.host.engine().remove_provider(c.param("key"), query_flag(c.target.query, "force"))));
}

/// Issuer metadata (OpenID / RFC 8414) first, as the CLI does; with mcp, or when the URL has
/// none, the URL is a protected resource (an MCP server, RFC 9728) and latchkey registers itself
/// at its authorization server with this gateway's callback. 201 with the provider and, when an
/// app was registered, has_client_secret (never the secret) and client_secret_expires_at_ms.
ApiResponse discover_provider(const Call& c) {
  auto o = parse_fields(c.req.body, {"url", "key", "mcp", "allow_private_network"});
  if (!o) return from_error(o.error());
  const std::string* url = json_string(*o, "url");
  const std::string* key = json_string(*o, "key");
  if (!url || url->empty() || !key || key->empty()) {
    return error_response(400, "invalid_request", "url and key (strings) are required");
  }
  bool mcp = false;
  bool allow_private = false;
  for (auto [name, slot] : {std::pair{"mcp", &mcp}, std::pair{"allow_private_network", &allow_private}}) {
    if (o->count(name) && !json_bool(*o, name, slot)) {
      return error_response(400, "invalid_request", std::string(name) + " must be a boolean");
    }
  }
  ResourceDiscoveryRequest r;
  r.key = *key;
  r.resource_url = *url;
  r.redirect_uri = callback_uri(c.config, c.req);  // where authorize sends the browser back
  r.allow_private_network = allow_private;
  r.issuer_first = !mcp;
  auto info = c.host.run(c.host.engine().discover_resource(std::move(r)));
  if (!info) return from_error(info.error());
  Value v = json_form(*info);
  if (info->has_app && v.is<Object>()) {
    auto app = c.host.run(c.host.engine().get_app(*key));
    if (!app) return from_error(app.error());
    Object& fields = v.get<Object>();
    fields["has_client_secret"] = Value(app->has_client_secret);
    // When the registered secret stops working (null: never); the registration access token stays sealed.
    fields["client_secret_expires_at_ms"] =
        app->client_secret_expires_at_ms ? Value(app->client_secret_expires_at_ms) : Value();
  }
  return json_response(201, v);
}

// Reads say whether a client secret is set (has_client_secret), never the secret.
ApiResponse get_app(const Call& c) { return from_result(c.host.run(c.host.engine().get_app(c.param("key")))); }

ApiResponse put_app(const Call& c) {
  auto app = parse_app(c.param("key"), c.req.body);
  if (!app) return from_error(app.error());
  return from_result(c.host.run(c.host.engine().upsert_app(std::move(*app))));
}

ApiResponse delete_app(const Call& c) { return from_result(c.host.run(c.host.engine().delete_app(c.param("key")))); }

}  // namespace latchkey::gateway
