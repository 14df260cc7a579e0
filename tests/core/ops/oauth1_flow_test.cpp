// The OAuth 1.0a flow on the scripted host: temporary credentials, the consent URL, the
// callback with its verifier (once only, for its principal only), sealed token credentials, and
// signed requests with them.
#include <gtest/gtest.h>

#include "crypto.hpp"
#include "oauth1_signature.hpp"
#include "steps.hpp"
#include "support/fixtures.hpp"
#include "url.hpp"

namespace latchkey {
namespace {

using testing::FakeHost;
using testing::form_fields;
using testing::query_fields;
using testing::respond;

constexpr const char* kTumble = R"({
  "key": "tumble", "display_name": "Tumble", "auth_mode": "oauth1",
  "request_token_endpoint": "https://www.tumble.test/oauth/request_token",
  "authorization_endpoint": "https://www.tumble.test/oauth/authorize",
  "token_endpoint": "https://www.tumble.test/oauth/access_token",
  "signature_method": "HMAC-SHA1",
  "api_base_url": "https://api.tumble.test/v2", "pkce": "unsupported",
  "token_response": {"root": "", "keep": ["user_id"], "expires_in_unit": "seconds"},
  "injection": {"hosts": ["api.tumble.test"], "header": "Authorization", "prefix": "OAuth ", "query_param": null}
})";

// What a server does: recompute HMAC-SHA1 over the request as received.
bool signed_with(const HttpRequest& req, const std::string& consumer_secret, const std::string& token_secret) {
  auto o = testing::oauth_header_fields(req);
  std::string sig = o["oauth_signature"];
  o.erase("oauth_signature");
  auto base = detail::signature_base_string(req.method, req.url, {}, Params(o.begin(), o.end()));
  return base.ok() && sig == detail::base64_encode(detail::hmac_sha1(
                                 detail::oauth1_encode(consumer_secret) + "&" + detail::oauth1_encode(token_secret), *base));
}

struct OAuth1Flow : ::testing::Test {
  void SetUp() override {
    engine = testing::make_engine();
    ASSERT_TRUE(host.run(engine->register_provider(kTumble)).ok());
    AppInput app = testing::app_input("tumble", "consumer-key", "consumer-secret", "http://127.0.0.1:8765/oauth/callback");
    ASSERT_TRUE(host.run(engine->upsert_app(app)).ok());
    host.http = [this](const HttpRequest& req) { return server(req); };
  }

  // A well-behaved provider: temporary credentials T1/T1-secret, verifier V1, token
  // credentials A1/A1-secret.
  EffectResult server(const HttpRequest& req) {
    if (req.url == "https://www.tumble.test/oauth/request_token") {
      if (!signed_with(req, "consumer-secret", "")) return respond(401, "error=invalid_signature", "text/plain");
      return respond(200, request_token_body, "application/x-www-form-urlencoded");
    }
    if (req.url == "https://www.tumble.test/oauth/access_token") {
      auto o = testing::oauth_header_fields(req);
      if (!signed_with(req, "consumer-secret", "T1-secret") || o["oauth_token"] != "T1" || o["oauth_verifier"] != "V1") {
        return respond(401, "error=invalid_request", "text/plain");
      }
      return respond(200, "oauth_token=A1&oauth_token_secret=A1-secret&user_id=42&screen_name=ann",
                     "application/x-www-form-urlencoded");
    }
    return respond(404, "", "text/plain");
  }

  Result<AuthorizationStart> start(const std::string& principal = "alice") {
    AuthorizeRequest r;
    r.principal = principal;
    r.provider = "tumble";
    r.account = "ann";
    return host.run(engine->authorize(r));
  }
  Result<ConnectionInfo> complete(const std::string& query, const std::string& principal = "alice") {
    return host.run(engine->complete_callback({principal, "http://127.0.0.1:8765/oauth/callback?" + query}));
  }

  FakeHost host;
  std::unique_ptr<Engine> engine;
  std::string request_token_body = "oauth_token=T1&oauth_token_secret=T1-secret&oauth_callback_confirmed=true";
};

TEST_F(OAuth1Flow, ConnectsAndSealsTheTokenCredentials) {
  auto s = start();
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(host.calls.size(), 1u);
  const HttpRequest& rt = host.calls[0];
  EXPECT_EQ(rt.method, "POST");
  EXPECT_FALSE(rt.follow_redirects);
  EXPECT_EQ(testing::oauth_header_fields(rt)["oauth_callback"], "http://127.0.0.1:8765/oauth/callback");
  EXPECT_EQ(testing::oauth_header_fields(rt)["oauth_consumer_key"], "consumer-key");
  EXPECT_EQ(testing::oauth_header_fields(rt).count("oauth_token"), 0u);
  EXPECT_EQ(testing::oauth_header_fields(rt)["oauth_timestamp"], std::to_string(host.now_ms / 1000));
  EXPECT_EQ(s->state, "T1");
  EXPECT_EQ(s->authorization_url, "https://www.tumble.test/oauth/authorize?oauth_token=T1");

  auto c = complete("oauth_token=T1&oauth_verifier=V1");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->provider, "tumble");
  EXPECT_EQ(c->account, "ann");
  EXPECT_EQ(c->grant, "oauth1");
  EXPECT_EQ(c->status, "connected");
  EXPECT_EQ(c->expires_at_ms, 0);
  EXPECT_FALSE(c->has_refresh_token);
  ASSERT_EQ(c->extras.size(), 1u);
  EXPECT_EQ(c->extras[0], (std::pair<std::string, std::string>("user_id", "\"42\"")));
  ASSERT_EQ(host.calls.size(), 2u);
  EXPECT_EQ(testing::oauth_header_fields(host.calls[1])["oauth_verifier"], "V1");

  // Nothing secret is in the store in clear: not the consumer secret, nor either token secret.
  for (const auto& [key, rec] : host.store.records) {
    for (const char* secret : {"consumer-secret", "T1-secret", "A1-secret", "\"A1\""}) {
      EXPECT_EQ(rec.value.find(secret), std::string::npos) << key << " holds " << secret;
    }
  }

  // Requests are signed with the token credentials; the caller's Authorization is dropped.
  HttpRequest req;
  req.url = "/user/info?fields=a%20b";
  req.headers = {{"Authorization", "Bearer mine"}};
  auto signed_req = host.run(engine->sign_request({"alice", "tumble", "ann"}, req));
  ASSERT_TRUE(signed_req.ok()) << signed_req.error().message;
  EXPECT_EQ(signed_req->url, "https://api.tumble.test/v2/user/info?fields=a%20b");
  EXPECT_EQ(testing::oauth_header_fields(*signed_req)["oauth_token"], "A1");
  EXPECT_TRUE(signed_with(*signed_req, "consumer-secret", "A1-secret"));
  EXPECT_FALSE(signed_with(*signed_req, "consumer-secret", "wrong"));
  std::size_t auths = 0;
  for (const auto& h : signed_req->headers) auths += detail::find_header({h}, "authorization") != nullptr;
  EXPECT_EQ(auths, 1u);

  // Only to the provider's hosts.
  req.url = "https://evil.test/steal";
  auto refused = host.run(engine->sign_request({"alice", "tumble", "ann"}, req));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_request);

  // get_token hands out the token (never its secret); the connection does not expire.
  auto t = host.run(engine->get_token({"alice", "tumble", "ann"}));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "A1");
  EXPECT_FALSE(t->refreshed);
}

// Discogs: every request needs a User-Agent (api_headers); OAuth 1.0a signs without headers.
TEST_F(OAuth1Flow, ApiHeadersGoOnSignedRequestsToo) {
  std::string with_ua = kTumble;
  with_ua.insert(with_ua.find("\"api_base_url\""), R"("api_headers": {"User-Agent": "latchkey-test/1"}, )");
  ASSERT_TRUE(host.run(engine->update_provider(with_ua)).ok());
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(complete("oauth_token=T1&oauth_verifier=V1").ok());
  HttpRequest req;
  req.url = "/user/info";
  auto signed_req = host.run(engine->sign_request({"alice", "tumble", "ann"}, req));
  ASSERT_TRUE(signed_req.ok()) << signed_req.error().message;
  const std::string* ua = detail::find_header(signed_req->headers, "user-agent");
  ASSERT_NE(ua, nullptr);
  EXPECT_EQ(*ua, "latchkey-test/1");
  EXPECT_TRUE(signed_with(*signed_req, "consumer-secret", "A1-secret"));
}

TEST_F(OAuth1Flow, NoReusableSignerForOAuth1) {
  ASSERT_TRUE(start().ok());
  auto c = complete("oauth_token=T1&oauth_verifier=V1");
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto signer = host.run(engine->request_signer({c->principal, "tumble", c->account}));
  ASSERT_FALSE(signer.ok());
  EXPECT_EQ(signer.error().code, ErrorCode::invalid_request);
  EXPECT_NE(signer.error().message.find("OAuth 1.0a"), std::string::npos);
}

// A connection the provider stopped honouring is refused before anything is signed, with the
// same words (account, reason, the command) as an OAuth 2 one.
TEST_F(OAuth1Flow, ANeedsReauthConnectionIsNotSigned) {
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(complete("oauth_token=T1&oauth_verifier=V1").ok());
  std::size_t marked = 0;
  for (auto& [key, rec] : host.store.records) {
    if (key.rfind("conn/", 0) != 0) continue;
    const std::string from = R"("status":"connected")";
    auto at = rec.value.find(from);
    ASSERT_NE(at, std::string::npos) << rec.value;
    rec.value.replace(at, from.size(), R"("status":"needs_reauth","last_error":"the token was revoked")");
    ++marked;
  }
  ASSERT_EQ(marked, 1u);
  HttpRequest req;
  req.url = "/me";
  auto r = host.run(engine->sign_request({"alice", "tumble", "ann"}, req));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::needs_reauth);
  EXPECT_EQ(r.error().message,
            "the connection to 'tumble' (account 'ann') needs to be authorized again (the token was revoked): run "
            "`latchkey connect tumble --account ann`");
}

TEST_F(OAuth1Flow, RefusesAServerThatDoesNotConfirmTheCallback) {
  request_token_body = "oauth_token=T1&oauth_token_secret=T1-secret";
  auto s = start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::provider_error);
  EXPECT_NE(s.error().message.find("oauth_callback_confirmed"), std::string::npos);
  for (const auto& [key, rec] : host.store.records) EXPECT_NE(key.rfind("pending/", 0), 0u) << key;

  request_token_body = "oauth_token=T1&oauth_token_secret=T1-secret&oauth_callback_confirmed=false";
  EXPECT_EQ(start().error().code, ErrorCode::provider_error);
}

TEST_F(OAuth1Flow, RequestTokenErrors) {
  host.http = [](const HttpRequest&) { return respond(401, "error=invalid_signature", "text/plain"); };
  auto s = start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::provider_error);
  EXPECT_EQ(s.error().http_status, 401);
  EXPECT_NE(s.error().message.find("invalid_signature"), std::string::npos);

  host.http = [](const HttpRequest&) { return respond(200, "{\"token\":1}", "application/json"); };
  EXPECT_EQ(start().error().code, ErrorCode::malformed_response);
}

// ---- A server that echoes the PLAINTEXT signature: the secrets stay out of the message ----

// PLAINTEXT sends enc(consumer secret) "&" enc(token secret) in the clear (RFC 5849 §3.4.4),
// percent-encoded once more in the header (§3.5.1). The encoded forms were computed apart.
constexpr const char* kPlainConsumerSecret = "cs/S3cret+key";
constexpr const char* kPlainConsumerSecretEnc = "cs%2FS3cret%2Bkey";
constexpr const char* kPlainTokenSecret = "ts/T0ken+secret";
constexpr const char* kPlainTokenSecretEnc = "ts%2FT0ken%2Bsecret";
constexpr const char* kPlainRequestSignature = "cs%252FS3cret%252Bkey%26";  // no token secret yet
constexpr const char* kPlainAccessSignature = "cs%252FS3cret%252Bkey%26ts%252FT0ken%252Bsecret";
constexpr const char* kPlainVerifier = "V1-verifier/xyz";

// The value of `name` in the request's OAuth header exactly as it was sent (still encoded).
std::string sent_oauth_param(const HttpRequest& req, const std::string& name) {
  const std::string* h = detail::find_header(req.headers, "authorization");
  if (!h) return "";
  auto at = h->find(name + "=\"");
  if (at == std::string::npos) return "";
  at += name.size() + 2;
  return h->substr(at, h->find('"', at) - at);
}

struct EchoingOAuth1 : OAuth1Flow {
  void SetUp() override {
    OAuth1Flow::SetUp();
    std::string plain = kTumble;
    plain.replace(plain.find("\"key\": \"tumble\""), 15, "\"key\": \"plain\"");
    plain.replace(plain.find("\"HMAC-SHA1\""), 11, "\"PLAINTEXT\"");
    ASSERT_TRUE(host.run(engine->register_provider(plain)).ok()) << plain;
    AppInput app =
        testing::app_input("plain", "consumer-key", kPlainConsumerSecret, "http://127.0.0.1:8765/oauth/callback");
    ASSERT_TRUE(host.run(engine->upsert_app(app)).ok());
  }
  Result<AuthorizationStart> start_plain() {
    AuthorizeRequest r;
    r.principal = "alice";
    r.provider = "plain";
    return host.run(engine->authorize(r));
  }
  static void expect_no_secret(const Error& e) {
    for (const std::string text : {e.message, e.provider_description}) {
      for (const char* secret : {kPlainConsumerSecret, kPlainConsumerSecretEnc, kPlainTokenSecret, kPlainTokenSecretEnc,
                                 kPlainRequestSignature, kPlainAccessSignature, kPlainVerifier, "V1-verifier%2Fxyz"}) {
        EXPECT_EQ(text.find(secret), std::string::npos) << "leaks " << secret << ": " << text;
      }
    }
  }
};

TEST_F(EchoingOAuth1, ARequestTokenErrorEchoingThePlaintextSignatureIsRedacted) {
  std::string sent_signature;
  host.http = [&](const HttpRequest& req) {
    sent_signature = sent_oauth_param(req, "oauth_signature");
    return respond(401,
                   "error=invalid_signature sig=" + sent_signature + " secret " + kPlainConsumerSecret + " aka " +
                       kPlainConsumerSecretEnc,
                   "text/plain");
  };
  auto s = start_plain();
  ASSERT_EQ(sent_signature, kPlainRequestSignature);  // the literal is what latchkey really sent
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::provider_error);
  expect_no_secret(s.error());
  EXPECT_NE(s.error().message.find("invalid_signature"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("[redacted]"), std::string::npos) << s.error().message;
}

TEST_F(EchoingOAuth1, AnAccessTokenErrorEchoingTheSecretsAndVerifierIsRedacted) {
  std::string sent_signature;
  host.http = [&](const HttpRequest& req) {
    if (req.url == "https://www.tumble.test/oauth/request_token") {
      return respond(200, std::string("oauth_token=T1&oauth_token_secret=") + kPlainTokenSecretEnc +
                              "&oauth_callback_confirmed=true",
                     "application/x-www-form-urlencoded");
    }
    sent_signature = sent_oauth_param(req, "oauth_signature");
    return respond(401,
                   "error=invalid_request sig=" + sent_signature + " verifier " +
                       testing::oauth_header_fields(req)["oauth_verifier"] + " token secret " + kPlainTokenSecret +
                       " consumer secret " + kPlainConsumerSecret,
                   "text/plain");
  };
  ASSERT_TRUE(start_plain().ok());
  auto c = complete("oauth_token=T1&oauth_verifier=V1-verifier%2Fxyz");
  ASSERT_EQ(sent_signature, kPlainAccessSignature);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::invalid_grant);
  expect_no_secret(c.error());
  EXPECT_NE(c.error().message.find("invalid_request"), std::string::npos) << c.error().message;
}

// send_authorized: OAuth 1.0a has nothing to refresh; a 401 is retried once, signed afresh (a
// new nonce), and nothing asks a token endpoint.
TEST_F(OAuth1Flow, SendAuthorizedRetriesA401SignedAfresh) {
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(complete("oauth_token=T1&oauth_verifier=V1").ok());
  host.calls.clear();
  int api_calls = 0;
  host.http = [&](const HttpRequest& req) {
    if (req.url.rfind("https://api.tumble.test/", 0) != 0) return respond(500, "", "text/plain");
    EXPECT_TRUE(signed_with(req, "consumer-secret", "A1-secret"));
    return respond(++api_calls == 1 ? 401 : 200, "", "text/plain");
  };
  HttpRequest req;
  req.url = "/user/info";
  auto r = host.run(engine->send_authorized({"alice", "tumble", "ann"}, req));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->response.status, 200);
  EXPECT_EQ(r->attempts, 2);
  EXPECT_FALSE(r->refreshed);
  ASSERT_EQ(host.calls.size(), 2u);  // the API twice, nothing else
  auto first = testing::oauth_header_fields(host.calls[0]), second = testing::oauth_header_fields(host.calls[1]);
  EXPECT_EQ(first["oauth_token"], "A1");
  EXPECT_EQ(second["oauth_token"], "A1");
  EXPECT_NE(first["oauth_nonce"], second["oauth_nonce"]);
}

TEST_F(OAuth1Flow, AVerifierWorksOnce) {
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(complete("oauth_token=T1&oauth_verifier=V1").ok());
  auto again = complete("oauth_token=T1&oauth_verifier=V1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::state_reused);
  EXPECT_EQ(host.calls.size(), 2u);  // the replay reached no server
}

TEST_F(OAuth1Flow, BoundToThePrincipalThatStarted) {
  ASSERT_TRUE(start("alice").ok());
  auto r = complete("oauth_token=T1&oauth_verifier=V1", "mallory");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_state);
  // Still usable by its owner: the refusal consumed nothing.
  EXPECT_TRUE(complete("oauth_token=T1&oauth_verifier=V1", "alice").ok());
}

TEST_F(OAuth1Flow, UnknownTemporaryToken) {
  ASSERT_TRUE(start().ok());
  EXPECT_EQ(complete("oauth_token=T2&oauth_verifier=V1").error().code, ErrorCode::invalid_state);
  EXPECT_EQ(host.calls.size(), 1u);
}

TEST_F(OAuth1Flow, MissingVerifier) {
  ASSERT_TRUE(start().ok());
  auto r = complete("oauth_token=T1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find("oauth_verifier"), std::string::npos);
  EXPECT_EQ(host.calls.size(), 1u);
}

TEST_F(OAuth1Flow, RejectedVerifier) {
  ASSERT_TRUE(start().ok());
  auto wrong = complete("oauth_token=T1&oauth_verifier=V9");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::invalid_grant);
  EXPECT_EQ(wrong.error().http_status, 401);
  // The sign-in was consumed by the attempt: a second try is a replay.
  EXPECT_EQ(complete("oauth_token=T1&oauth_verifier=V1").error().code, ErrorCode::state_reused);
}

TEST_F(OAuth1Flow, FlowsDoNotCross) {
  // An OAuth 2 state presented as a temporary token, and a temporary token presented as a state.
  ASSERT_TRUE(host.run(engine->register_provider(testing::kAcmeProvider)).ok());
  AppInput app = testing::app_input("acme", "acme-client", "", "http://127.0.0.1:8765/callback");
  ASSERT_TRUE(host.run(engine->upsert_app(app)).ok());
  AuthorizeRequest r;
  r.principal = "alice";
  r.provider = "acme";
  auto oauth2 = host.run(engine->authorize(r));
  ASSERT_TRUE(oauth2.ok());
  EXPECT_EQ(complete("oauth_token=" + oauth2->state + "&oauth_verifier=V1").error().code, ErrorCode::invalid_state);
  ASSERT_TRUE(start().ok());
  EXPECT_EQ(complete("code=c&state=T1").error().code, ErrorCode::invalid_state);
  // Neither attempt used anything up.
  EXPECT_TRUE(complete("oauth_token=T1&oauth_verifier=V1").ok());
}

TEST_F(OAuth1Flow, ScopeAndProviderParamsGoOnTheConsentUrl) {
  std::string trello_like = kTumble;
  trello_like.replace(trello_like.find("\"key\": \"tumble\""), 15, "\"key\": \"board\"");
  trello_like.insert(trello_like.rfind('}'), R"(, "default_scopes": ["read", "write"], "scope_separator": ",",
      "authorization_params": {"expiration": "never"})");
  ASSERT_TRUE(host.run(engine->register_provider(trello_like)).ok()) << trello_like;
  AppInput app = testing::app_input("board", "k", "consumer-secret", "http://127.0.0.1:8765/oauth/callback");
  ASSERT_TRUE(host.run(engine->upsert_app(app)).ok());
  AuthorizeRequest r;
  r.principal = "alice";
  r.provider = "board";
  r.extra_params = {{"name", "latchkey"}};
  auto s = host.run(engine->authorize(r));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->authorization_url,
            "https://www.tumble.test/oauth/authorize?oauth_token=T1&scope=read%2Cwrite&expiration=never&name=latchkey");
  r.extra_params = {{"oauth_token", "mine"}};
  EXPECT_EQ(host.run(engine->authorize(r)).error().code, ErrorCode::invalid_request);
}

TEST_F(OAuth1Flow, ResealCoversTheTokenSecret) {
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(complete("oauth_token=T1&oauth_verifier=V1").ok());
  auto rotated = testing::make_rotated_engine();
  auto r = host.run(rotated->reseal());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->failed, 0);
  for (const auto& [key, rec] : host.store.records) {
    if (key.rfind("conn/", 0) == 0) EXPECT_EQ(rec.value.find("lk1.1."), std::string::npos) << rec.value;
  }
  // Signing with only the new key proves the token secret was re-sealed, not just the token.
  auto fresh = testing::make_rotated_engine(false);
  HttpRequest req;
  req.url = "/me";
  auto signed_req = host.run(fresh->sign_request({"alice", "tumble", "ann"}, req));
  ASSERT_TRUE(signed_req.ok()) << signed_req.error().message;
  EXPECT_TRUE(signed_with(*signed_req, "consumer-secret", "A1-secret"));
}

}  // namespace
}  // namespace latchkey
