// The provider schema's table (see provider_schema.hpp): one entry per member.
#include "provider_schema.hpp"

#include <algorithm>
#include <map>

#include "provider_checks.hpp"
#include "provider_enums.hpp"

namespace latchkey::detail {
namespace {

SchemaField field(std::string path, JsonType type, std::string doc) {
  SchemaField f;
  f.path = std::move(path);
  f.type = type;
  f.doc = std::move(doc);
  return f;
}

using T = JsonType;

// The members of a grant style (provider.hpp's GrantStyle), under `parent`.
std::vector<SchemaField> grant_style(const std::string& parent, bool url_required) {
  SchemaField url = field(parent + ".url", T::string,
                          url_required ? "Where the exchange goes." : "Where refreshes go; null: refresh_endpoint, else the token endpoint.")
                        .is_url();
  if (url_required) url.must_be_given();
  else url.may_be_null();
  return {
      url,
      field(parent + ".method", T::string, "POST (a form or JSON body) or GET (every parameter in the query).")
          .one_of({"POST", "GET"}),
      field(parent + ".grant_type", T::string, "The grant_type sent.").matching(std::string(kGrantTypePattern)),
      field(parent + ".token", T::string, "Which token is exchanged: the refresh token or the current access token.")
          .one_of(enum_names(kGrantTokens)),
      field(parent + ".token_param", T::string, "The parameter that carries it.")
          .matching(std::string(kScopeParamPattern)),
      field(parent + ".params", T::string_map, "Extra parameters of this grant only."),
      field(parent + ".client_auth", T::boolean,
            "Whether the client authenticates (token_endpoint_auth_method) on this grant."),
      field(parent + ".root", T::string,
            "Dotted path of the object holding the answer's tokens; null: token_response.root.")
          .may_be_null(),
  };
}

std::vector<SchemaField> members() {
  const std::string scope(kScopePattern);
  const std::string header(kHeaderNamePattern);
  const std::string dotted(kDottedPathPattern);
  return {
      field("key", T::string, "The provider's unique name, kebab-case (used in API paths and commands).")
          .must_be_given().matching(std::string(kKeyPattern)).at_most(kMaxKey),
      field("display_name", T::string, "The name people see: 1 to 128 bytes, no control characters.").must_be_given(),
      field("auth_mode", T::string, "oauth2 (authorization code), client_credentials (no user), or oauth1 (OAuth 1.0a).")
          .one_of(enum_names(kAuthModes)),
      field("authorization_endpoint", T::string, "Where the user consents; required for oauth2 and oauth1, null for client_credentials.")
          .may_be_null().is_url(),
      field("token_endpoint", T::string, "Where codes, refresh tokens and client credentials become tokens (OAuth 1.0a: the access-token URL).")
          .may_be_null().is_url(),
      field("request_token_endpoint", T::string, "OAuth 1.0a temporary-credentials URL (RFC 5849 §2.1); only for oauth1.")
          .may_be_null().only_when_set().is_url(),
      field("signature_method", T::string, "OAuth 1.0a only: how requests are signed; RSA-SHA1 signs with the app's PEM private key.")
          .may_be_null().only_when_set().one_of(enum_names(kSignatureMethods)),
      field("revocation_endpoint", T::string, "RFC 7009 token revocation, used by disconnect --revoke.").may_be_null().is_url(),
      field("userinfo_endpoint", T::string, "OpenID Connect userinfo.").may_be_null().is_url(),
      field("device_authorization_endpoint", T::string, "RFC 8628: set when the provider offers connecting with a code.")
          .may_be_null().only_when_set().is_url(),
      field("pushed_authorization_request_endpoint", T::string,
            "RFC 9126: when set, the authorization request's parameters are pushed here first.")
          .may_be_null().only_when_set().is_url(),
      field("resource", T::string, "RFC 8707: the protected resource the tokens are for (an MCP server's URL).")
          .may_be_null().only_when_set().is_url(),
      field("issuer", T::string, "RFC 9207: a callback's iss must equal it when present.").may_be_null().is_url(),
      field("authorization_response_iss_parameter_supported", T::boolean,
            "RFC 9207 §2.4: the server always sends iss, so a callback without one is refused (needs issuer)."),
      field("api_base_url", T::string, "The API's base URL; its origin is where tokens go when injection.hosts is not given.")
          .may_be_null().is_url(),
      field("default_scopes", T::string_list, "Scopes requested when a connection names none.").items_matching(scope),
      field("scope_separator", T::string, "How scopes are joined in the request.").one_of({" ", ","}),
      field("scope_param", T::string, "The parameter that carries the scopes (usually scope).")
          .matching(std::string(kScopeParamPattern)),
      field("client_id_param", T::string,
            "The client identifier's parameter name in every request (TikTok: client_key).")
          .only_when_set().matching(std::string(kScopeParamPattern)),
      field("pkce", T::string, "PKCE S256 (RFC 7636): required, supported (sent), or unsupported (not sent).")
          .one_of(enum_names(kPkce)),
      field("token_endpoint_auth_method", T::string,
            "How the client authenticates at the token endpoint; private_key_jwt signs a JWT (RFC 7523) with the app's key.")
          .one_of(enum_names(kClientAuth)),
      // signed_client_secret: the client secret latchkey signs itself (Sign in with Apple).
      field("signed_client_secret", T::object,
            "For token_endpoint_auth_method signed_client_secret (the provider's or an app's): the client secret is "
            "a JWT latchkey signs per request with the app's PEM key, header {alg, kid: the app's key_id}, claims "
            "{iss, iat, exp, aud, sub: the client ID}; null: none.")
          .may_be_null().only_when_set(),
      field("signed_client_secret.issuer", T::string,
            "iss, e.g. \"{team_id}\" (a template value the app supplies).").must_be_given(),
      field("signed_client_secret.audience", T::string, "aud, e.g. \"https://appleid.apple.com\".").must_be_given(),
      field("signed_client_secret.algorithm", T::string,
            "ES256 (a P-256 key, such as Apple's .p8) or RS256 (an RSA key).")
          .one_of({"ES256", "RS256"}),
      field("signed_client_secret.lifetime_seconds", T::integer,
            "exp - iat. A fresh secret is signed for every request, so short is safer; at most six months.")
          .between(kMinSignedSecretLifetimeS, kMaxSignedSecretLifetimeS),
      field("authorization_params", T::string_map,
            "Extra parameters of the authorization request; latchkey's own (state, redirect_uri, …) are refused."),
      field("token_params", T::string_map,
            "Extra parameters of every token request; latchkey's own (grant_type, code, …) are refused."),
      field("exchange_params", T::string_map,
            "Extra parameters of the code exchange only (Shopify: expiring=1); latchkey's own are refused.")
          .only_when_set(),
      field("token_request_headers", T::string_map,
            "Headers on every token endpoint request (grants and revocation).")
          .only_when_set().items_matching(header),
      field("api_headers", T::string_map,
            "Headers on every API request made with a connection's token (Notion-Version); the caller's own win.")
          .only_when_set().items_matching(header),
      field("token_response", T::object, "Provider quirks in the token endpoint's answer."),
      field("token_response.root", T::string,
            "Dotted path of the object holding access_token etc.; empty for the top level.")
          .matching("^(" + dotted.substr(1, dotted.size() - 2) + ")?$")
          .at_most(kMaxTokenResponseName),
      field("token_response.keep", T::string_list,
            "Top-level members kept as connection extras (stored unsealed: never a token), each name at most " +
                std::to_string(kMaxTokenResponseName) + " characters."),
      field("token_response.expires_in_unit", T::string, "The unit of expires_in.").one_of(enum_names(kExpiresUnits)),
      field("template_params", T::object_map,
            "Values a connection supplies ({tenant}, {shop}), each used in a URL, injection host or parameter.")
          .items_matching(std::string(kTemplateNamePattern)),
      field("template_params.*.pattern", T::string, "An anchored pattern (^…$) every value must match.").must_be_given(),
      field("template_params.*.default", T::string, "The value used when none is given; null: a value is required.")
          .may_be_null().only_when_set(),
      field("template_params.*.description", T::string, "What the value is, for people."),
      field("template_params.*.from", T::string,
            "Learned when connecting, never given: token_response.PATH, callback.NAME or metadata.PATH, "
            "alternatives joined by ' || ' (the first present wins, then the default).")
          .may_be_null().only_when_set(),
      field("template_params.*.take", T::string,
            "What of the learned value is kept: the value itself, or the host (and port) of an https URL.")
          .only_when_set().one_of({"value", "host"}),
      field("expiry_buffer_seconds", T::integer, "How long before expiry a token is refreshed.").between(0, kMaxExpiryBuffer),
      field("token_exchange_body_format", T::string, "The token request's body: form (standard) or json.")
          .one_of(enum_names(kBodyFormats)),
      field("refresh_endpoint", T::string, "Where refresh grants go, when not the token endpoint.").may_be_null().is_url(),
      field("refresh", T::object,
            "The refresh grant when it differs from RFC 6749 §6 (Instagram's ig_refresh_token), or its own "
            "parameters and answer root; null: the standard grant.")
          .may_be_null().only_when_set(),
      field("long_lived_exchange", T::object,
            "A grant made once right after the code exchange with the new access token, whose answer replaces it "
            "(Facebook's fb_exchange_token); null: none.")
          .may_be_null().only_when_set(),
      field("client_credentials_grant_type", T::string,
            "The grant_type of the client-credentials grant, when not client_credentials (Zoom: account_credentials).")
          .only_when_set().matching(std::string(kGrantTypePattern)),
      field("revocation_style", T::string,
            "form (RFC 7009), bearer (the token in an Authorization header, no body: Dropbox) or json (RFC 7009's "
            "members as a JSON body).")
          .only_when_set().one_of(enum_names(kRevocationStyles)),
      field("ping", T::object, "A cheap request that shows a connection works; null: none.").may_be_null(),
      field("ping.method", T::string, "The request's method.").one_of({"GET", "HEAD", "POST"}),
      field("ping.url", T::string, "The request's URL (its origin must be in injection.hosts).").must_be_given().is_url(),
      field("ping.headers", T::string_map, "Extra request headers.").items_matching(header),
      field("ping.ok_path", T::string,
            "Dotted path of a member of the JSON answer that must be true (Slack: ok); null: a 2xx status is enough.")
          .may_be_null().only_when_set().matching(dotted),
      field("identity", T::object, "A request whose JSON answer names the account; null: none.").may_be_null(),
      field("identity.url", T::string, "The request's URL (its origin must be in injection.hosts).").must_be_given().is_url(),
      field("identity.account_path", T::string, "Dotted path of the answer's member that names the account.")
          .must_be_given().matching(dotted),
      field("identity.headers", T::string_map, "Extra request headers.").items_matching(header),
      field("metadata", T::object,
            "A request made once at connect time, with the new token, whose JSON answer template_params learn "
            "from (metadata.PATH); null: none.")
          .may_be_null().only_when_set(),
      field("metadata.method", T::string, "The request's method.").one_of({"GET", "POST"}),
      field("metadata.url", T::string, "The request's URL (its origin must be in injection.hosts).").must_be_given().is_url(),
      field("metadata.headers", T::string_map, "Extra request headers.").items_matching(header),
      field("injection", T::object, "Where a token may be sent and how."),
      field("injection.hosts", T::string_list,
            "Origins a token may go to: https://host[:port], https://*.domain, or http to loopback; a bare host means https."),
      field("injection.header", T::string, "The header that carries the token; null when it goes in the query.")
          .may_be_null().matching(header),
      field("injection.prefix", T::string, "Written before the token in the header."),
      field("injection.query_param", T::string, "The query parameter that carries the token instead of a header.")
          .may_be_null(),
      field("available_scopes", T::string_list, "Scopes offered to choose from.").items_matching(scope),
      field("requires_client_secret", T::boolean, "Whether an app for this provider needs a client secret."),
      field("managed_service_config_key", T::string, "The managed app's configuration key; null: no managed app.")
          .may_be_null().matching(std::string(kManagedConfigKeyPattern)).at_most(kMaxManagedConfigKey),
      field("docs_url", T::string, "Documentation for people (may point into a page with #section).").may_be_null().is_url(),
      // How people find and recognise a provider (the vault page's picker, `providers list`).
      field("category", T::string, "The group the provider is listed under.")
          .one_of({"analytics", "communication", "crm", "design", "developer", "ecommerce", "finance", "hr",
                   "identity", "marketing", "media", "other", "productivity", "social", "storage", "support"}),
      field("logo_url", T::string, "An https URL of the provider's logo, without placeholders; null: none.")
          .may_be_null().is_url(),
      field("scope_descriptions", T::string_map,
            "What each scope grants, one line (at most " + std::to_string(kMaxScopeDescription) +
                " bytes) per scope; every name is one of available_scopes.")
          .items_matching(scope),
  };
}

// The two grant styles share their members, listed after each parent.
std::vector<SchemaField> build() {
  std::vector<SchemaField> table = members();
  for (const std::string parent : {"refresh", "long_lived_exchange"}) {
    auto at = std::find_if(table.begin(), table.end(), [&](const SchemaField& f) { return f.path == parent; });
    auto children = grant_style(parent, parent == "long_lived_exchange");
    table.insert(at + 1, children.begin(), children.end());
  }
  return table;
}

}  // namespace

const std::vector<SchemaField>& provider_schema() {
  static const std::vector<SchemaField> table = build();
  return table;
}

namespace {

// The table by path, for the reader's lookups (one per member read).
const std::map<std::string, const SchemaField*, std::less<>>& by_path() {
  static const std::map<std::string, const SchemaField*, std::less<>> index = [] {
    std::map<std::string, const SchemaField*, std::less<>> out;
    for (const auto& f : provider_schema()) out.emplace(f.path, &f);
    return out;
  }();
  return index;
}

}  // namespace

const SchemaField* schema_field(std::string_view path) {
  auto it = by_path().find(path);
  return it == by_path().end() ? nullptr : it->second;
}

const std::vector<const SchemaField*>& schema_children(std::string_view prefix) {
  using Index = std::map<std::string, std::vector<const SchemaField*>, std::less<>>;
  static const Index index = [] {
    Index out;
    for (const auto& f : provider_schema()) out[f.path.substr(0, f.path.rfind('.') + 1)].push_back(&f);
    return out;
  }();
  static const std::vector<const SchemaField*> none;
  auto it = index.find(prefix);
  return it == index.end() ? none : it->second;
}

std::vector<std::string> schema_members(std::string_view parent) {
  std::vector<std::string> out;
  std::string prefix = parent.empty() ? std::string() : std::string(parent) + ".";
  for (const SchemaField* f : schema_children(prefix)) out.push_back(f->path.substr(prefix.size()));
  return out;
}

}  // namespace latchkey::detail
