// Discovering a protected resource (an MCP server) and registering latchkey as its client:
// RFC 9728 → RFC 8414 → RFC 7591, then the provider (with `resource`, RFC 8707) and its app are
// saved. Every document on the way is untrusted: each URL in it is checked before it is fetched.
#include <utility>

#include "address_policy.hpp"
#include "discover_resource.hpp"
#include "latchkey/catalog.hpp"
#include "ops.hpp"
#include "origin.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

class DiscoverResource : public Operation<ProviderInfo> {
 public:
  DiscoverResource(Engine& e, ResourceDiscoveryRequest r) : Operation(e), req_(std::move(r)) {}

 private:
  void run() override {
    if (find_builtin(req_.key)) {
      return fail(make_error(ErrorCode::invalid_request, "'" + req_.key + "' is a built-in provider; choose another key"));
    }
    if (auto s = check_metadata_url(req_.resource_url, "the server URL", req_.allow_private_network); !s) {
      return fail(s.error());
    }
    if (auto s = check_endpoint(req_.redirect_uri, "redirect_uri"); !s) return fail(s.error());
    // Before anything is registered at the server: a key in use would leave an orphan client.
    Steps::get(*this, provider_key(req_.key), [this](Result<std::optional<StoreRecord>> r) {
      if (!r) return fail(r.error());
      if (*r) {
        return fail(make_error(ErrorCode::conflict, "a provider '" + req_.key +
                                                        "' is already registered; choose another --provider-key"));
      }
      get(well_known_url(req_.resource_url, "oauth-protected-resource"), [this](Result<HttpResponse> m) {
        if (!m) return fail(m.error());
        if (m->status == 200) return resource_metadata(m->body);
        probe();
      });
    });
  }

  static HttpRequest metadata_request(std::string url) {
    HttpRequest req;
    req.url = std::move(url);
    req.headers.emplace_back("Accept", "application/json");
    req.max_response_bytes = kMaxMetadataBytes;
    req.follow_redirects = false;  // a redirect would skip the checks below
    return req;
  }

  void get(std::string url, Then<HttpResponse> then) {
    Steps::http(*this, metadata_request(std::move(url)), std::move(then));
  }

  // No well-known document: an unauthenticated request's 401 may point at it (RFC 9728 §5.1).
  void probe() {
    get(req_.resource_url, [this](Result<HttpResponse> r) {
      if (!r) return fail(r.error());
      const std::string* challenge = r->status == 401 ? find_header(r->headers, "www-authenticate") : nullptr;
      std::string url = challenge ? resource_metadata_from_challenge(*challenge) : "";
      if (url.empty()) {
        return fail(make_error(ErrorCode::not_found,
                               "no protected resource metadata at " + well_known_url(req_.resource_url, "oauth-protected-resource") +
                                   ", and the server's answer (HTTP " + std::to_string(r->status) +
                                   ") names none (WWW-Authenticate resource_metadata); is it an OAuth-protected MCP server?"));
      }
      if (auto s = check_metadata_url(url, "the resource_metadata URL", req_.allow_private_network); !s) return fail(s.error());
      get(url, [this](Result<HttpResponse> m) {
        if (!m) return fail(m.error());
        if (m->status != 200) {
          return fail(make_error(ErrorCode::not_found, "the resource_metadata URL answered HTTP " + std::to_string(m->status)));
        }
        resource_metadata(m->body);
      });
    });
  }

  void resource_metadata(const std::string& body) {
    auto meta = parse_resource_metadata(body, req_.resource_url);
    if (!meta) return fail(meta.error());
    meta_ = std::move(*meta);
    // The first server is the one to use (RFC 9728 §2 lists them in no order; MCP picks any).
    issuer_ = meta_.authorization_servers.front();
    if (auto s = check_metadata_url(issuer_, "the authorization server", req_.allow_private_network); !s) return fail(s.error());
    server_metadata();
  }

  void server_metadata() {
    std::vector<std::string> urls = {well_known_url(issuer_, "oauth-authorization-server"),
                                     openid_configuration_url(issuer_)};
    Steps::first_found(*this, metadata_request(""), urls, [this, urls](Result<HttpResponse> r) {
      if (!r) return fail(r.error());
      if (r->status != 200) {
        return fail(make_error(ErrorCode::not_found, "no authorization server metadata at " + urls[0] + " or " +
                                                         urls[1] + " (HTTP " + std::to_string(r->status) + ")"));
      }
      if (r->body.size() > kMaxMetadataBytes) {
        return fail(make_error(ErrorCode::malformed_response, "the authorization server metadata is too large"));
      }
      // Checks the issuer is identical to the one the resource named (RFC 8414 §3.3).
      auto p = provider_from_discovery(req_.key, issuer_, r->body);
      if (!p) return fail(p.error());
      auto registration = registration_endpoint_of(r->body);
      if (!registration) return fail(registration.error());
      provider_ = std::move(*p);
      if (auto s = shape(*registration); !s) return fail(s.error());
      if (registration->empty()) return save();
      register_client(*registration);
    });
  }

  // The provider is the resource's: its token goes only to the resource's host, and every
  // endpoint the server metadata named passes the same checks as the metadata URLs did.
  Status shape(const std::string& registration) {
    if (auto s = check_discovered_endpoints(provider_, req_.allow_private_network); !s) return s;
    if (!registration.empty()) {
      if (auto s = check_metadata_url(registration, "registration_endpoint", req_.allow_private_network); !s) return s;
    }
    if (provider_.auth_mode != AuthMode::oauth2 || provider_.authorization_endpoint.empty()) {
      return make_error(ErrorCode::unsupported, "the authorization server offers no authorization code grant");
    }
    auto u = parse_url(req_.resource_url);
    if (!u) return u.error();
    provider_.resource = req_.resource_url;
    provider_.api_base_url = req_.resource_url;
    provider_.injection.hosts = {origin_of(*u)};  // with its port: another port is another server
    if (!meta_.resource_name.empty()) provider_.display_name = meta_.resource_name;
    if (!meta_.scopes_supported.empty()) {
      provider_.default_scopes = meta_.scopes_supported;
      provider_.available_scopes = meta_.scopes_supported;
    }
    // The token's audience is the resource, so the server's userinfo would not take it.
    if (provider_.identity) {
      if (!origin_allowed(provider_.injection, provider_.identity->url)) provider_.identity.reset();
    }
    return validate_provider(provider_);
  }

  void register_client(const std::string& endpoint) {
    RegistrationInput in{endpoint, req_.client_name, req_.redirect_uri, provider_.token_endpoint_auth_method};
    const ClientAuthMethod asked = in.method;
    Steps::http(*this, registration_request(in), [this, asked](Result<HttpResponse> r) {
      if (!r) return fail(r.error());
      auto client = parse_registration_response(*r, asked);
      if (!client) return fail(client.error());
      // Kept for managing the registration later: the same URL policy as every metadata URL.
      if (!client->registration_client_uri.empty()) {
        auto s = check_metadata_url(client->registration_client_uri, "registration_client_uri", req_.allow_private_network);
        if (!s) return fail(s.error());
      }
      provider_.token_endpoint_auth_method = client->method;
      provider_.requires_client_secret = client->method != ClientAuthMethod::none;
      client_ = std::move(*client);
      save();
    });
  }

  void save() {
    save_ = std::shared_ptr<Operation<ProviderInfo>>(engine().register_provider(provider_to_json(provider_)));
    delegate(save_, [this] {
      if (!save_->result()) return fail(save_->result().error());
      if (client_.client_id.empty()) return succeed(save_->result().value());  // nothing registered
      AppInput app;
      app.provider = req_.key;
      app.client_id = client_.client_id;
      app.client_secret = client_.client_secret;  // sealed by upsert_app, like any app secret
      app.redirect_uri = req_.redirect_uri;
      ClientRegistration registration{std::move(client_.registration_access_token),
                                      std::move(client_.registration_client_uri), client_.client_secret_expires_at_ms};
      app_ = std::shared_ptr<Operation<AppInfo>>(make_upsert_app(engine(), std::move(app), std::move(registration)));
      delegate(app_, [this] {
        if (!app_->result()) return fail(app_->result().error());
        ProviderInfo info = save_->result().value();
        info.has_app = true;
        succeed(std::move(info));
      });
    });
  }

  ResourceDiscoveryRequest req_;
  ResourceMetadata meta_;
  std::string issuer_;
  Provider provider_;
  RegisteredClient client_;  ///< Empty client_id: the server offered no registration.
  std::shared_ptr<Operation<ProviderInfo>> save_;
  std::shared_ptr<Operation<AppInfo>> app_;
};

// issuer_first: the issuer's metadata, else the resource's.
class DiscoverIssuerOrResource : public Operation<ProviderInfo> {
 public:
  DiscoverIssuerOrResource(Engine& e, ResourceDiscoveryRequest r) : Operation(e), req_(std::move(r)) {}

 private:
  void run() override {
    issuer_ = engine().discover_provider(req_.key, req_.resource_url, req_.allow_private_network);
    delegate(issuer_, [this] {
      const auto& issuer = issuer_->result();
      if (issuer || issuer.error().code != ErrorCode::not_found) return finish(issuer);
      resource_ = std::make_shared<DiscoverResource>(engine(), req_);
      delegate(resource_, [this] {
        const auto& resource = resource_->result();
        finish(resource || resource.error().code != ErrorCode::not_found ? resource : issuer_->result());
      });
    });
  }

  void finish(const Result<ProviderInfo>& r) {
    if (!r) return fail(r.error());
    succeed(r.value());
  }

  ResourceDiscoveryRequest req_;
  std::shared_ptr<Operation<ProviderInfo>> issuer_, resource_;
};

}  // namespace

}  // namespace latchkey::detail

namespace latchkey {

std::unique_ptr<Operation<ProviderInfo>> Engine::discover_resource(ResourceDiscoveryRequest request) {
  if (request.issuer_first) return std::make_unique<detail::DiscoverIssuerOrResource>(*this, std::move(request));
  return std::make_unique<detail::DiscoverResource>(*this, std::move(request));
}

}  // namespace latchkey
