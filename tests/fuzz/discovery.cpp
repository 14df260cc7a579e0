// Metadata a server publishes about itself, all untrusted: RFC 8414 / OpenID Connect discovery
// (provider_from_discovery, provider.hpp), RFC 9728 protected-resource metadata, the
// WWW-Authenticate challenge naming it, RFC 7591 registration answers and the URL checks every
// URL from such a document passes (discover_resource.hpp).
// Input: the URL the host asked (also read as a challenge header); empty: the document's own
// `issuer` / `resource`, so the identity checks pass and the rest is reached. Then the document.
#include <string>

#include "address_policy.hpp"
#include "discover_resource.hpp"
#include "fuzz_target.hpp"
#include "json.hpp"
#include "latchkey/provider.hpp"

namespace latchkey::fuzz {

namespace {
std::string member(const std::string& document, const char* name) {
  auto v = detail::json::parse(document, "document");
  if (!v || !v->is<detail::json::Object>()) return "";
  const std::string* s = detail::json::get_string(v->get<detail::json::Object>(), name);
  return s != nullptr ? *s : "";
}
}  // namespace

void discovery(const std::uint8_t* data, std::size_t size) {
  auto in = split_lines<1>(data, size);
  const std::string asked(in.field[0]);
  const std::string document(in.rest);

  const std::string issuer = asked.empty() ? member(document, "issuer") : asked;
  auto provider = provider_from_discovery("fuzzed", issuer, document);
  if (!provider) {
    check_error(provider.error());
  } else {
    check(provider->issuer == issuer, "discovery accepted a document for another issuer");
    check(validate_provider(*provider).ok(), "discovery built a provider validate_provider refuses");
    auto again = provider_from_json(provider_to_json(*provider));
    check(again.ok(), "discovery built a provider that does not survive JSON");
    for (bool allow_private : {false, true}) {
      auto endpoints = detail::check_discovered_endpoints(*provider, allow_private);
      if (!endpoints) check_error(endpoints.error());
    }
  }

  const std::string resource = asked.empty() ? member(document, "resource") : asked;
  auto metadata = detail::parse_resource_metadata(document, resource);
  if (!metadata) {
    check_error(metadata.error());
  } else {
    check(metadata->resource == resource, "protected-resource metadata accepted for another resource");
    check(!metadata->authorization_servers.empty(), "protected-resource metadata without an authorization server");
  }

  auto endpoint = detail::registration_endpoint_of(document);
  if (!endpoint) check_error(endpoint.error());

  for (auto asked_method : {ClientAuthMethod::client_secret_basic, ClientAuthMethod::none}) {
    HttpResponse response;
    response.status = 201;
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = document;
    auto client = detail::parse_registration_response(response, asked_method);
    if (!client) {
      check_error(client.error());
      continue;
    }
    check(!client->client_id.empty(), "a registration without a client_id");
    bool confidential = client->method == ClientAuthMethod::client_secret_basic ||
                        client->method == ClientAuthMethod::client_secret_post;
    check(!confidential || !client->client_secret.empty(), "a confidential registration without a secret");
    check(client->client_secret_expires_at_ms >= 0, "a negative client_secret_expires_at");
  }

  std::string challenge = detail::resource_metadata_from_challenge(asked);
  check(challenge.size() <= asked.size(), "a challenge's resource_metadata longer than the header");
  for (bool allow_private : {false, true}) {
    auto ok = detail::check_metadata_url(asked, "the fuzzed URL", allow_private);
    if (!ok) check_error(ok.error());
  }
  (void)detail::is_private_host(asked);
  (void)detail::well_known_url(asked, "oauth-authorization-server");
  (void)detail::openid_configuration_url(asked);
}

}  // namespace latchkey::fuzz

LATCHKEY_FUZZ_ENTRY(discovery)
