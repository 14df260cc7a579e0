// Starting an authorization (consent URL + pending record) and completing it from the callback.
#include "authorization.hpp"
#include "client_auth.hpp"
#include "crypto.hpp"
#include "latchkey/pkce.hpp"
#include "json.hpp"
#include "learned_values.hpp"
#include "oauth1_flow.hpp"
#include "provider_templates.hpp"
#include "ops.hpp"
#include "text.hpp"
#include "redaction.hpp"
#include "seal.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

class Authorize : public Operation<AuthorizationStart> {
 public:
  Authorize(Engine& e, AuthorizeRequest r) : Operation(e), req_(std::move(r)) {}

 private:
  void run() override {
    if (req_.principal.empty()) return fail(make_error(ErrorCode::invalid_request, "a principal is required"));
    Steps::provider(*this, req_.provider, [this](Result<Provider> p) {
      if (!p) return fail(p.error());
      if (p->auth_mode == AuthMode::client_credentials) {
        return fail(make_error(ErrorCode::invalid_request,
                               "'" + p->key + "' uses the client credentials grant: connect it without a browser "
                                              "(`latchkey connect " + p->key + "`)"));
      }
      provider_ = std::move(*p);
      Steps::app(*this, req_.provider, [this](Result<AppRecord> a) {
        if (!a) return fail(a.error());
        begin(std::move(*a));
      });
    });
  }

  void begin(AppRecord app) {
    // Learned values come from the provider at the callback, never from whoever starts it.
    for (const auto& tp : provider_.template_params) {
      if (!tp.from.empty() && req_.template_values.count(tp.name)) {
        return fail(make_error(ErrorCode::invalid_request,
                               "template parameter " + tp.name + " is learned from the provider when connecting (" +
                                   clean(tp.from, 200) + "); do not give it"));
      }
    }
    StringMap values = app.template_values;
    for (const auto& [k, v] : req_.template_values) values[k] = v;
    auto resolved = resolve_before_learning(provider_, values);
    if (!resolved) return fail(resolved.error());
    // Before the user consents: the code could not be redeemed with an expired secret.
    if (auto current = client_secret_current(*resolved, app, now_ms()); !current) return fail(current.error());
    if (signs_client_secret(*resolved, app)) {
      // Without its key, key ID or issuer ({team_id}) the secret would fail only at the code
      // exchange, after the user consented: sign one now, and drop it.
      auto client = client_credentials_for(engine(), *resolved, app, now_ms());
      if (!client) return fail(client.error());
      wipe(client->client_secret);
    }

    std::string redirect = !req_.redirect_uri.empty() ? req_.redirect_uri
                           : !app.redirect_uri.empty() ? app.redirect_uri
                                                       : req_.default_redirect_uri;
    if (redirect.empty()) {
      return fail(make_error(ErrorCode::invalid_request,
                             "no redirect URI: set one on the app (`latchkey apps upsert --redirect-uri`) or pass it"));
    }
    std::string scope = requested_scope(*resolved, req_.scopes, app);
    if (resolved->auth_mode == AuthMode::oauth1) return begin_oauth1(std::move(*resolved), app, redirect, scope, values);

    Drbg& drbg = engine().drbg();
    std::string state = base64url_encode(drbg.bytes(32));  // 256 bits
    PendingRecord pending = new_pending(redirect, scope, values);

    AuthorizationUrlInput in;
    in.client_id = app.client_id;
    in.redirect_uri = redirect;
    in.scope = scope;
    in.state = state;
    in.extra_params = req_.extra_params;
    if (resolved->pkce != PkceSupport::unsupported) {
      auto verifier = pkce_verifier_from_random(drbg.bytes(32));
      if (!verifier) return fail(verifier.error());
      in.code_challenge = pkce_challenge_s256(*verifier);
      std::string key = pending_key(state);
      pending.code_verifier_sealed = engine().sealer().seal(seal_place(key, "code_verifier"), *verifier, drbg);
    }
    result_.state = state;
    result_.expires_at_ms = pending.expires_at_ms;
    pending_value_ = to_json(pending);
    pending_store_key_ = pending_key(state);
    if (!resolved->pushed_authorization_request_endpoint.empty()) return push(std::move(*resolved), app, in);
    auto url = build_authorization_url(*resolved, in);
    if (!url) return fail(url.error());
    result_.authorization_url = std::move(*url);
    sweep();
  }

  // RFC 9126: the parameters travel server to server (authenticated, not through the browser);
  // the consent URL then names them by the request_uri the server hands back.
  void push(Provider provider, const AppRecord& app, const AuthorizationUrlInput& in) {
    auto params = authorization_params(provider, in);
    if (!params) return fail(params.error());
    // The PAR endpoint authenticates clients as the token endpoint does (RFC 9126 §2).
    auto client = client_credentials_for(engine(), provider, app, now_ms());
    if (!client) return fail(client.error());
    provider_ = std::move(provider);
    std::string client_id = app.client_id;
    HttpRequest req = pushed_authorization_request(provider_, *client, std::move(*params));
    SentSecrets sent = SentSecrets::of(req);
    Steps::http(*this, std::move(req), [this, client_id, sent](Result<HttpResponse> r) {
      if (!r) return fail(r.error());
      auto uri = parse_pushed_authorization_response(*r);
      if (!uri) return fail(sent.redact(uri.error()));
      result_.authorization_url = pushed_authorization_url(provider_, client_id, *uri);
      sweep();
    });
  }

  // A sign-in in progress, as both flows store it until its callback.
  PendingRecord new_pending(const std::string& redirect, const std::string& scope, const StringMap& values) {
    PendingRecord pending;
    pending.principal = req_.principal;
    pending.provider = req_.provider;
    pending.account = req_.account;
    pending.redirect_uri = redirect;
    pending.scope = scope;
    pending.template_values = values;
    pending.created_at_ms = now_ms();
    pending.expires_at_ms = now_ms() + engine().config().pending_ttl_ms;
    return pending;
  }

  // OAuth 1.0a: the provider issues the "state" — its temporary token, which comes back in the
  // callback — so the pending record is keyed by that token and keeps its secret sealed.
  void begin_oauth1(Provider provider, const AppRecord& app, const std::string& redirect, const std::string& scope,
                    StringMap values) {
    if (auto s = check_endpoint(redirect, "redirect_uri"); !s) return fail(s.error());
    auto client = oauth1_client(engine(), provider, app);
    if (!client) return fail(client.error());
    provider_ = std::move(provider);
    OAuth1Steps::temporary_credentials(
        *this, engine(), provider_, *client, redirect, now_ms(),
        [this, redirect, scope, values](Result<TemporaryCredentials> t) {
          if (!t) return fail(t.error());
          auto url = oauth1_authorization_url(provider_, t->token, scope, req_.extra_params);
          if (!url) return fail(url.error());
          PendingRecord pending = new_pending(redirect, scope, values);
          pending.flow = "oauth1";
          pending_store_key_ = pending_key(t->token);
          pending.token_secret_sealed =
              engine().sealer().seal(seal_place(pending_store_key_, "token_secret"), t->secret, engine().drbg());
          result_.authorization_url = std::move(*url);
          result_.state = t->token;
          result_.expires_at_ms = pending.expires_at_ms;
          pending_value_ = to_json(pending);
          sweep();
        });
  }

  // Pending records outlive their use (a replay must be told apart from a stranger's state) but
  // not their expiry: each new authorization removes a few expired ones, so the store stays
  // bounded by the sign-in rate times the pending lifetime. Then the new one is stored. The
  // sweep finds them by the expiry index, so a start costs the same however many sign-ins are
  // outstanding (and /oauth/start needs no sign-in: anyone can add to them).
  void sweep() {
    Steps::create_after_sweep(*this, pending_store_key_, pending_value_, result_.expires_at_ms, now_ms(),
                              [this](Result<std::int64_t> r) {
                                if (!r) return fail(r.error());
                                succeed(std::move(result_));
                              });
  }

  AuthorizeRequest req_;
  Provider provider_;
  AuthorizationStart result_;
  std::string pending_store_key_;
  std::string pending_value_;
};

class CompleteCallback : public Operation<ConnectionInfo> {
 public:
  CompleteCallback(Engine& e, CallbackRequest r) : Operation(e), req_(std::move(r)) {}

 private:
  void run() override {
    auto params = parse_callback(req_.callback);
    if (!params) return fail(params.error());
    cb_ = std::move(*params);
    // OAuth 1.0a callbacks carry the temporary token instead of a state (RFC 5849 §2.2).
    oauth1_ = (!cb_.has_state || cb_.state.empty()) && cb_.has_oauth_token && !cb_.oauth_token.empty();
    if (!oauth1_ && (!cb_.has_state || cb_.state.empty())) {
      if (cb_.has_error) return fail(provider_refusal());
      return fail(make_error(ErrorCode::invalid_state,
                             "the callback has no state parameter, so it cannot be matched to a sign-in started here; "
                             "start the connection again"));
    }
    key_ = pending_key(oauth1_ ? cb_.oauth_token : cb_.state);
    Steps::get(*this, key_, [this](Result<std::optional<StoreRecord>> r) {
      if (!r) return fail(r.error());
      if (!*r) {
        return fail(make_error(ErrorCode::invalid_state,
                               "the callback's state does not match any sign-in started here (it may have been "
                               "started by another latchkey instance, or already cleaned up); start the connection again"));
      }
      auto pending = pending_from_json((*r)->value);
      if (!pending) return fail(pending.error());
      pending_ = std::move(*pending);
      check(( *r)->version);
    });
  }

  void check(std::int64_t version) {
    // A state must not complete an OAuth 1.0a sign-in, nor a temporary token an OAuth 2 one.
    const bool flow_matches = (pending_.flow == "oauth1") == oauth1_;
    if (!flow_matches || (!req_.principal.empty() && pending_.principal != req_.principal)) {
      // Same message as an unknown state: do not confirm to another principal that it exists.
      return fail(make_error(ErrorCode::invalid_state,
                             "the callback's state does not match any sign-in started here (it may have been "
                             "started by another latchkey instance, or already cleaned up); start the connection again"));
    }
    if (pending_.consumed) {
      return fail(make_error(ErrorCode::state_reused,
                             "this callback was already used (a replayed or double-submitted redirect); the "
                             "connection, if it succeeded, is unchanged — start again to reconnect"));
    }
    if (now_ms() >= pending_.expires_at_ms) {
      return fail(make_error(ErrorCode::state_expired,
                             "the sign-in took too long and its state expired; start the connection again"));
    }
    // Consume first: whatever happens next, this state can never be used again.
    pending_.consumed = true;
    Steps::cas(*this, key_, to_json(pending_), version, [this](Result<std::int64_t> r) {
      if (!r) {
        if (r.error().code == ErrorCode::conflict) {
          return fail(make_error(ErrorCode::state_reused,
                                 "this callback is being completed by another request; it can be used only once"));
        }
        return fail(r.error());
      }
      after_consume();
    });
  }

  Error provider_refusal() const {
    Error e = make_error(ErrorCode::provider_error, "");
    // The callback's query is anyone's to write (a crafted link): quote it cleaned.
    e.provider_code = clean(cb_.error, 200);
    e.provider_description = clean(cb_.error_description, 300);
    if (cb_.error == "access_denied") {
      e.message = "the authorization was denied at the provider (access_denied)";
    } else {
      e.message = "the provider refused the authorization (" + e.provider_code + ")";
    }
    if (!e.provider_description.empty()) e.message += ": " + e.provider_description;
    e.message += "; start the connection again if this was not intended";
    return e;
  }

  void after_consume() {
    if (cb_.has_error) return fail(provider_refusal());
    Steps::provider(*this, pending_.provider, [this](Result<Provider> p) {
      if (!p) return fail(p.error());
      // Values learned from the callback's query (Zoho's accounts server) may steer the exchange.
      values_ = pending_.template_values;
      auto learned = learn_values(*p, {&cb_.all, nullptr, nullptr});
      if (!learned) return fail(learned.error());
      for (auto& [k, v] : *learned) values_[k] = std::move(v);
      auto resolved = resolve_before_learning(*p, values_);
      if (!resolved) return fail(resolved.error());
      unresolved_ = std::move(*p);
      provider_ = std::move(*resolved);
      // RFC 9207: the issuer identifier defends against mix-up attacks between providers.
      if (!provider_.issuer.empty()) {
        if (cb_.has_iss && cb_.iss != provider_.issuer) {
          return fail(make_error(ErrorCode::invalid_state,
                                 "the callback's iss '" + clean(cb_.iss, 200) + "' is not the issuer of '" +
                                     provider_.key + "' (" + provider_.issuer +
                                     "): possible mix-up attack, nothing was exchanged; start again"));
        }
        if (!cb_.has_iss && provider_.authorization_response_iss_parameter_supported) {
          return fail(make_error(ErrorCode::invalid_state,
                                 "the callback has no iss parameter although '" + provider_.key +
                                     "' always sends one (RFC 9207): nothing was exchanged; start again"));
        }
      }
      if (oauth1_) {
        if (!cb_.has_oauth_verifier || cb_.oauth_verifier.empty()) {
          return fail(make_error(ErrorCode::invalid_request,
                                 "the callback has no oauth_verifier (the authorization was denied or not "
                                 "finished at the provider); start the connection again"));
        }
        return Steps::app(*this, pending_.provider, [this](Result<AppRecord> a) {
          if (!a) return fail(a.error());
          exchange_oauth1(*a);
        });
      }
      if (!cb_.has_code || cb_.code.empty()) {
        return fail(make_error(ErrorCode::invalid_request, "the callback has no authorization code; start again"));
      }
      Steps::app(*this, pending_.provider, [this](Result<AppRecord> a) {
        if (!a) return fail(a.error());
        exchange(*a);
      });
    });
  }

  void exchange(const AppRecord& app) {
    auto client = client_credentials_for(engine(), provider_, app, now_ms());
    if (!client) return fail(client.error());
    Params grant = {{"grant_type", "authorization_code"}, {"code", cb_.code}, {"redirect_uri", pending_.redirect_uri}};
    if (!pending_.code_verifier_sealed.empty()) {
      auto verifier = engine().sealer().open(seal_place(key_, "code_verifier"), pending_.code_verifier_sealed);
      if (!verifier) return fail(verifier.error());
      grant.emplace_back("code_verifier", *verifier);
    }
    for (const auto& p : provider_.exchange_params) grant.push_back(p);
    HttpRequest req = token_request(provider_, provider_.token_endpoint, *client, std::move(grant));
    SentSecrets sent = SentSecrets::of(req);
    Steps::http(*this, std::move(req), [this, sent, app](Result<HttpResponse> r) {
      if (!r) return fail(r.error());
      std::string answer = r->body;
      auto tokens = parse_token_response(token_http(std::move(*r)), provider_.token_response, now_ms(), pending_.scope);
      if (!tokens) {
        Error e = sent.redact(tokens.error());
        if (e.code == ErrorCode::invalid_grant) {
          // The provider's own code (GitHub's bad_verification_code, Slack's invalid_code) says most.
          std::string said = e.provider_code.empty() ? std::string("invalid_grant") : e.provider_code;
          e.message = "the provider rejected the authorization code (" + said +
                      ": expired, already used, or issued for another redirect URI); start the connection again";
        }
        return fail(e);
      }
      tokens_ = std::move(*tokens);
      if (provider_.long_lived_exchange) return exchange_long_lived(app, std::move(answer));
      learn(answer);
    });
  }

  /// Facebook's and Instagram's short-lived user token is traded at once for a long-lived one,
  /// which is what the connection keeps (and, for Instagram, refreshes the same way).
  void exchange_long_lived(const AppRecord& app, std::string code_answer) {
    const GrantStyle& style = *provider_.long_lived_exchange;
    auto client = client_credentials_for(engine(), provider_, app, now_ms());
    if (!client) return fail(client.error());
    HttpRequest req = styled_grant_request(provider_, style, style.url, *client, tokens_.access_token);
    SentSecrets sent = SentSecrets::of(req);
    sent.add(tokens_.access_token);
    Steps::http(*this, std::move(req), [this, sent, code_answer = std::move(code_answer)](Result<HttpResponse> r) {
      if (!r) return fail(r.error());
      auto tokens = parse_token_response(token_http(std::move(*r)), answer_rules(provider_, provider_.long_lived_exchange),
                                         now_ms(), pending_.scope);
      if (!tokens) {
        Error e = sent.redact(tokens.error());
        e.message = "the long-lived token exchange failed: " + e.message + "; start the connection again";
        return fail(e);
      }
      // The exchange's answer may leave out what the code's carried (the refresh token, the scope).
      if (tokens->refresh_token.empty()) tokens->refresh_token = std::move(tokens_.refresh_token);
      if (tokens->scope.empty()) tokens->scope = tokens_.scope;
      if (tokens->id_token.empty()) tokens->id_token = std::move(tokens_.id_token);
      wipe(tokens_.access_token);
      tokens_ = std::move(*tokens);
      learn(code_answer);
    });
  }

  /// Values learned from the token answer and the metadata request: checked, then the
  /// provider is resolved with them before the token goes anywhere else (identity, storage).
  void learn(const std::string& answer) {
    bool learns = false;
    for (const auto& tp : unresolved_.template_params) learns = learns || !tp.from.empty();
    if (!learns) return named();
    auto doc = json::parse(answer, "the token answer");
    token_answer_ = doc && doc->is<json::Object>() ? doc->get<json::Object>() : json::Object();
    if (!provider_.metadata) return learned(nullptr);
    fetch_connect_metadata(*this, provider_, tokens_.access_token, [this](Result<json::Object> m) {
      if (!m) return fail(m.error());
      metadata_ = std::move(*m);
      learned(&metadata_);
    });
  }

  void learned(const json::Object* metadata) {
    auto values = learn_values(unresolved_, {&cb_.all, &token_answer_, metadata});
    if (!values) return fail(values.error());
    for (auto& [k, v] : *values) values_[k] = std::move(v);
    auto resolved = resolve_provider(unresolved_, values_);
    if (!resolved) return fail(resolved.error());
    provider_ = std::move(*resolved);
    named();
  }

  void named() {
    if (!pending_.account.empty()) return save(pending_.account);
    name_account();
  }

  void exchange_oauth1(const AppRecord& app) {
    auto client = oauth1_client(engine(), provider_, app);
    if (!client) return fail(client.error());
    auto secret = engine().sealer().open(seal_place(key_, "token_secret"), pending_.token_secret_sealed);
    if (!secret) return fail(secret.error());
    oauth1_client_ = *client;
    OAuth1Credentials temporary = *client;
    temporary.token = cb_.oauth_token;
    temporary.token_secret = std::move(*secret);
    OAuth1Steps::token_credentials(*this, engine(), provider_, temporary, cb_.oauth_verifier, now_ms(),
                                   [this](Result<TokenSet> t) {
                                     if (!t) return fail(t.error());
                                     tokens_ = std::move(*t);
                                     tokens_.scope = pending_.scope;
                                     if (!pending_.account.empty()) return save(pending_.account);
                                     name_account();
                                   });
  }

  // No account was named: ask the provider who this is, so several accounts of one provider
  // get distinct names.
  void name_account() {
    auto named = [this](std::string name) { save(name); };
    if (!oauth1_) return identify_account(*this, provider_, tokens_, named);
    identify_account(*this, provider_, tokens_, named, [this](HttpRequest& req) {
      OAuth1Credentials c = oauth1_client_;
      c.token = tokens_.access_token;
      c.token_secret = tokens_.token_secret;
      return static_cast<bool>(sign_oauth1_request(req, c, {}, now_ms(), engine().drbg()));
    });
  }

  void save(const std::string& account) {
    ConnectionRef ref{pending_.principal, pending_.provider, account};
    save_connection(*this, engine(), ref, oauth1_ ? "oauth1" : "authorization_code", values_, std::move(tokens_), now_ms(),
                    [this](Result<ConnectionInfo> c) {
                      if (!c) return fail(c.error());
                      succeed(std::move(*c));
                    });
  }

  CallbackRequest req_;
  CallbackParams cb_;
  bool oauth1_ = false;
  OAuth1Credentials oauth1_client_;
  std::string key_;
  PendingRecord pending_;
  Provider unresolved_;  ///< As defined: resolved again once values are learned.
  Provider provider_;
  StringMap values_;  ///< The connection's template values: given at the start, then learned.
  json::Object token_answer_;
  json::Object metadata_;
  TokenSet tokens_;
};

}  // namespace

}  // namespace latchkey::detail

namespace latchkey {

std::unique_ptr<Operation<AuthorizationStart>> Engine::authorize(AuthorizeRequest request) {
  return std::make_unique<detail::Authorize>(*this, std::move(request));
}
std::unique_ptr<Operation<ConnectionInfo>> Engine::complete_callback(CallbackRequest request) {
  return std::make_unique<detail::CompleteCallback>(*this, std::move(request));
}

}  // namespace latchkey
