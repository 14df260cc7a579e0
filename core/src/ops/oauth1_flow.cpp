#include "oauth1_flow.hpp"

#include "authorization.hpp"
#include "json.hpp"
#include "ops.hpp"
#include "text.hpp"
#include "redaction.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

constexpr std::size_t kMaxCredentialsResponse = 64 * 1024;

// The message quotes a short excerpt of an error body (the server's own words, e.g. oauthlib's
// "error=invalid_signature") without what the request carried: a server that echoes it would
// put the PLAINTEXT signature — the consumer and token secrets — or the verifier in the message.
Error endpoint_error(ErrorCode code, const Provider& provider, const char* what, const HttpResponse& r,
                     const SentSecrets& sent, const std::string& advice) {
  // Redacted after clean(): a secret its cap cut short is still recognised at the excerpt's end.
  const std::string excerpt = r.body.empty() ? std::string() : " (" + sent.redact(clean(r.body, 200)) + ")";
  Error e = make_error(code, std::string("the ") + what + " endpoint of '" + provider.key + "' answered HTTP " +
                                 std::to_string(r.status) + excerpt + "; " + advice);
  e.http_status = r.status;
  return e;
}

HttpRequest credentials_request(const std::string& endpoint) {
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint;
  req.follow_redirects = false;
  req.max_response_bytes = kMaxCredentialsResponse;
  req.headers.emplace_back("Accept", "application/x-www-form-urlencoded");
  return req;
}

Result<Params> credentials_body(const Provider& provider, const char* what, const HttpResponse& r) {
  auto fields = decode_form(r.body);
  const std::string* token = fields ? find_param(*fields, "oauth_token") : nullptr;
  const std::string* secret = fields ? find_param(*fields, "oauth_token_secret") : nullptr;
  if (!token || token->empty() || !secret) {
    return make_error(ErrorCode::malformed_response, std::string("the ") + what + " endpoint of '" + provider.key +
                                                         "' did not answer with form-encoded oauth_token and "
                                                         "oauth_token_secret; check its URL in the provider definition");
  }
  return std::move(*fields);
}

}  // namespace

Result<OAuth1Credentials> oauth1_client(const Engine& engine, const Provider& provider, const AppRecord& app) {
  auto secret = open_client_secret(engine, app);
  if (!secret) return secret.error();
  OAuth1Credentials c;
  c.method = provider.signature_method;
  c.consumer_key = app.client_id;
  c.consumer_secret = std::move(*secret);
  return c;
}

Result<std::string> oauth1_authorization_url(const Provider& provider, const std::string& temporary_token,
                                             const std::string& scope, const Params& extra) {
  Params params = {{"oauth_token", temporary_token}};
  if (!scope.empty()) params.emplace_back(provider.scope_param, scope);
  auto reserved = [&](const std::string& name) { return name == "oauth_token" || name == provider.scope_param; };
  if (auto s = add_extra_params(params, provider.authorization_params, extra, reserved); !s) return s.error();
  return append_query(provider.authorization_endpoint, params);
}

void OAuth1Steps::temporary_credentials(OperationBase& op, Engine& engine, const Provider& provider,
                                        const OAuth1Credentials& client, const std::string& callback,
                                        std::int64_t now_ms, Then<TemporaryCredentials> then) {
  HttpRequest req = credentials_request(provider.request_token_endpoint);
  if (auto s = sign_oauth1_request(req, client, {{"oauth_callback", callback}}, now_ms, engine.drbg()); !s) {
    return then(s.error());
  }
  SentSecrets sent = SentSecrets::of(req);
  Steps::http(op, std::move(req), [provider, sent, then](Result<HttpResponse> r) {
    if (!r) return then(r.error());
    if (r->status < 200 || r->status > 299) {
      return then(endpoint_error(ErrorCode::provider_error, provider, "request token", *r, sent,
                                 "check the app's client ID and secret (consumer key and secret), the signature "
                                 "method, and that the callback URL is registered with the provider"));
    }
    auto fields = credentials_body(provider, "request token", *r);
    if (!fields) return then(fields.error());
    const std::string* confirmed = find_param(*fields, "oauth_callback_confirmed");
    if (!confirmed || *confirmed != "true") {
      return then(make_error(ErrorCode::provider_error,
                             "the request token endpoint of '" + provider.key +
                                 "' did not confirm the callback (oauth_callback_confirmed=true): it speaks the "
                                 "original OAuth 1.0, whose session-fixation flaw RFC 5849 fixed, so latchkey "
                                 "will not continue"));
    }
    then(TemporaryCredentials{*find_param(*fields, "oauth_token"), *find_param(*fields, "oauth_token_secret")});
  });
}

void OAuth1Steps::token_credentials(OperationBase& op, Engine& engine, const Provider& provider,
                                    const OAuth1Credentials& temporary, const std::string& verifier,
                                    std::int64_t now_ms, Then<TokenSet> then) {
  HttpRequest req = credentials_request(provider.token_endpoint);
  if (auto s = sign_oauth1_request(req, temporary, {{"oauth_verifier", verifier}}, now_ms, engine.drbg()); !s) {
    return then(s.error());
  }
  SentSecrets sent = SentSecrets::of(req);
  Steps::http(op, std::move(req), [provider, sent, then](Result<HttpResponse> r) {
    if (!r) return then(r.error());
    if (r->status == 400 || r->status == 401) {
      return then(endpoint_error(ErrorCode::invalid_grant, provider, "access token", *r, sent,
                                 "the provider rejected the verifier or the temporary token (expired, already used, "
                                 "or signed with other credentials); start the connection again"));
    }
    if (r->status < 200 || r->status > 299) {
      return then(endpoint_error(ErrorCode::provider_error, provider, "access token", *r, sent, "try again later"));
    }
    auto fields = credentials_body(provider, "access token", *r);
    if (!fields) return then(fields.error());
    TokenSet t;
    t.access_token = *find_param(*fields, "oauth_token");
    t.token_secret = *find_param(*fields, "oauth_token_secret");
    t.token_type = "OAuth";
    for (const auto& name : provider.token_response.keep) {
      if (const std::string* v = find_param(*fields, name)) t.extras.emplace_back(name, json::serialize(json::str(*v)));
    }
    then(std::move(t));
  });
}

}  // namespace latchkey::detail
