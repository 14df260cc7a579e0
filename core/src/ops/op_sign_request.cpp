// Signing requests with a connection's token: sign_request for one request, request_signer for a
// host that signs many itself (sign_with, request_signer.cpp).
#include "headers.hpp"
#include "latchkey/catalog.hpp"
#include "oauth1_flow.hpp"
#include "ops.hpp"
#include "records.hpp"
#include "seal.hpp"

namespace latchkey::detail {
namespace {

/// Resolves a connection's provider (templates filled in) and account, then hands them on: what
/// signing a request needs before the token.
class SignerBase {
 protected:
  template <class Op, class Then>
  static void resolve(Op& op, ConnectionRef& ref, Provider& provider, Then then) {
    Steps::provider(op, ref.provider, [&op, &ref, &provider, then](Result<Provider> p) {
      if (!p) return op.fail(p.error());
      provider = std::move(*p);
      Steps::connection(op, ref, [&op, &ref, &provider, then](Result<Versioned> v) {
        if (!v) return op.fail(v.error());
        ref.account = v->record.account;
        auto resolved = resolve_for(provider, v->record.template_values, {});
        if (!resolved) return op.fail(resolved.error());
        provider = std::move(*resolved);
        then(std::move(v->record));
      });
    });
  }

  /// The signer without its token: enough to check a request's destination.
  static RequestSigner signer_for(const ConnectionRef& ref, const Provider& provider) {
    RequestSigner s;
    s.account = ref.account;
    s.api_base_url = provider.api_base_url;
    s.provider = provider.key;
    s.injection = provider.injection;
    s.api_headers = provider.api_headers;
    return s;
  }
};

class SignRequest : public SignRequestOp, SignerBase {
 public:
  SignRequest(Engine& e, ConnectionRef ref, HttpRequest req, bool force, std::string refused)
      : SignRequestOp(e), ref_(std::move(ref)), req_(std::move(req)), force_(force), refused_(std::move(refused)) {}

 private:
  friend class SignerBase;
  void run() override {
    resolve(*this, ref_, provider_, [this](ConnectionRecord record) {
      signer_ = signer_for(ref_, provider_);
      // Check the destination before spending a refresh on it.
      auto checked = sign_with(signer_, req_);
      if (!checked) return fail(checked.error());
      if (provider_.auth_mode == AuthMode::oauth1) return sign_oauth1(std::move(record), std::move(checked->url));
      auto token = std::shared_ptr<Operation<AccessToken>>(make_get_token(engine(), ref_, force_, refused_));
      delegate(token, [this, token] {
        const auto& t = token->result();
        if (!t) return fail(t.error());
        access_token_ = t->access_token;
        refreshed_ = t->refreshed;
        signer_.access_token = t->access_token;
        auto signed_request = sign_with(signer_, std::move(req_));
        if (!signed_request) return fail(signed_request.error());
        succeed(std::move(*signed_request));
      });
    });
  }

  // OAuth 1.0a tokens do not expire or refresh: each request is signed with the app's
  // credentials and the token credentials (RFC 5849 §3), in the Authorization header.
  void sign_oauth1(ConnectionRecord record, std::string url) {
    if (record.status == "needs_reauth") return fail(reauth_error(ref_, record.last_error));
    req_.url = std::move(url);
    add_missing_headers(req_.headers, provider_.api_headers);  // headers are not signed (RFC 5849 §3.4.1.3)
    Steps::app(*this, ref_.provider, [this, record](Result<AppRecord> a) {
      if (!a) return fail(a.error());
      auto client = oauth1_client(engine(), provider_, *a);
      if (!client) return fail(client.error());
      const std::string key = connection_key(ref_);
      auto token = engine().sealer().open(seal_place(key, "access_token"), record.access_token_sealed);
      if (!token) return fail(token.error());
      client->token = std::move(*token);
      if (!record.token_secret_sealed.empty()) {
        auto secret = engine().sealer().open(seal_place(key, "token_secret"), record.token_secret_sealed);
        if (!secret) return fail(secret.error());
        client->token_secret = std::move(*secret);
      }
      if (auto s = sign_oauth1_request(req_, *client, {}, now_ms(), engine().drbg()); !s) return fail(s.error());
      req_.follow_redirects = false;
      succeed(std::move(req_));
    });
  }

  ConnectionRef ref_;
  HttpRequest req_;
  bool force_;
  std::string refused_;
  Provider provider_;
  RequestSigner signer_;
};

class MakeRequestSigner : public Operation<RequestSigner>, SignerBase {
 public:
  MakeRequestSigner(Engine& e, ConnectionRef ref) : Operation(e), ref_(std::move(ref)) {}

 private:
  friend class SignerBase;
  void run() override {
    resolve(*this, ref_, provider_, [this](ConnectionRecord) {
      if (provider_.auth_mode == AuthMode::oauth1) {
        return fail(make_error(ErrorCode::invalid_request,
                               "'" + provider_.key + "' uses OAuth 1.0a: each request is signed on its own"));
      }
      auto token = std::shared_ptr<Operation<AccessToken>>(make_get_token(engine(), ref_, false));
      delegate(token, [this, token] {
        const auto& t = token->result();
        if (!t) return fail(t.error());
        RequestSigner s = signer_for(ref_, provider_);
        s.access_token = t->access_token;
        s.fresh_until_ms = t->fresh_until_ms;
        succeed(std::move(s));
      });
    });
  }

  ConnectionRef ref_;
  Provider provider_;
};

}  // namespace

std::unique_ptr<SignRequestOp> make_sign_request(Engine& engine, ConnectionRef ref, HttpRequest request,
                                                 bool force_refresh, std::string refused_access_token) {
  return std::make_unique<SignRequest>(engine, std::move(ref), std::move(request), force_refresh,
                                       std::move(refused_access_token));
}

}  // namespace latchkey::detail

namespace latchkey {

std::unique_ptr<Operation<HttpRequest>> Engine::sign_request(ConnectionRef ref, HttpRequest request) {
  return detail::make_sign_request(*this, std::move(ref), std::move(request));
}
std::unique_ptr<Operation<RequestSigner>> Engine::request_signer(ConnectionRef ref) {
  return std::make_unique<detail::MakeRequestSigner>(*this, std::move(ref));
}

}  // namespace latchkey
