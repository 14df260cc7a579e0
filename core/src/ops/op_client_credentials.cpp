// The client credentials grant (RFC 6749 §4.4): no user, no browser; the token is stored as a
// connection and re-fetched when it expires.
#include "authorization.hpp"
#include "client_auth.hpp"
#include "ops.hpp"
#include "redaction.hpp"

namespace latchkey::detail {
namespace {

class ClientCredentialsConnect : public Operation<ConnectionInfo> {
 public:
  ClientCredentialsConnect(Engine& e, ConnectionRef ref, std::vector<std::string> scopes)
      : Operation(e), ref_(std::move(ref)), scopes_(std::move(scopes)) {}

 private:
  void run() override {
    if (ref_.account.empty()) ref_.account = "default";
    Steps::provider(*this, ref_.provider, [this](Result<Provider> p) {
      if (!p) return fail(p.error());
      if (p->auth_mode == AuthMode::oauth1) {
        return fail(make_error(ErrorCode::unsupported, "'" + p->key + "' uses OAuth 1.0a, which this build does not support yet"));
      }
      provider_ = std::move(*p);
      Steps::app(*this, ref_.provider, [this](Result<AppRecord> a) {
        if (!a) return fail(a.error());
        exchange(std::move(*a));
      });
    });
  }

  void exchange(AppRecord app) {
    auto resolved = resolve_for(provider_, app.template_values, {});
    if (!resolved) return fail(resolved.error());
    provider_ = std::move(*resolved);
    auto client = client_credentials_for(engine(), provider_, app, now_ms());
    if (!client) return fail(client.error());
    if (client->client_secret.empty() && client->client_assertion.empty()) {
      return fail(make_error(ErrorCode::invalid_request,
                             "the client credentials grant needs a client secret: set one with `latchkey apps upsert "
                             "--provider " + ref_.provider + " --client-secret-stdin`"));
    }
    values_ = app.template_values;
    scope_ = requested_scope(provider_, scopes_, app);
    Params grant = {{"grant_type", provider_.client_credentials_grant_type}};
    if (!scope_.empty()) grant.emplace_back("scope", scope_);
    HttpRequest req = token_request(provider_, provider_.token_endpoint, *client, std::move(grant));
    SentSecrets sent = SentSecrets::of(req);
    Steps::http(*this, std::move(req), [this, sent](Result<HttpResponse> r) {
      if (!r) return fail(r.error());
      auto tokens = parse_token_response(token_http(std::move(*r)), provider_.token_response, now_ms(), scope_);
      if (!tokens) return fail(sent.redact(tokens.error()));
      // Client credentials never need a refresh token: the grant itself is repeated.
      tokens->refresh_token.clear();
      save_connection(*this, engine(), ref_, "client_credentials", values_, std::move(*tokens), now_ms(),
                      [this](Result<ConnectionInfo> c) {
                        if (!c) return fail(c.error());
                        succeed(std::move(*c));
                      });
    });
  }

  ConnectionRef ref_;
  std::vector<std::string> scopes_;
  Provider provider_;
  StringMap values_;
  std::string scope_;
};

}  // namespace

}  // namespace latchkey::detail

namespace latchkey {

std::unique_ptr<Operation<ConnectionInfo>> Engine::connect_client_credentials(ConnectionRef ref,
                                                                              std::vector<std::string> scopes) {
  return std::make_unique<detail::ClientCredentialsConnect>(*this, std::move(ref), std::move(scopes));
}

}  // namespace latchkey
