// Disconnecting: optional RFC 7009 revocation (refresh token first, since revoking it usually
// revokes the access tokens issued from it), then the tokens are deleted.
#include "authorization.hpp"
#include "client_auth.hpp"
#include "ops.hpp"
#include "seal.hpp"

namespace latchkey::detail {
namespace {

class Disconnect : public Operation<DisconnectResult> {
 public:
  Disconnect(Engine& e, ConnectionRef ref, bool revoke) : Operation(e), ref_(std::move(ref)), revoke_(revoke) {}

 private:
  void run() override {
    Steps::connection(*this, ref_, [this](Result<Versioned> v) {
      if (!v) return fail(v.error());
      cur_ = std::move(*v);
      ref_.account = cur_.record.account;
      if (!revoke_) return remove();
      Steps::provider(*this, ref_.provider, [this](Result<Provider> p) {
        if (!p) return skip_revocation(p.error().message);
        auto resolved = resolve_for(*p, cur_.record.template_values, {});
        if (!resolved) return skip_revocation(resolved.error().message);
        provider_ = std::move(*resolved);
        if (provider_.revocation_endpoint.empty()) {
          return skip_revocation("'" + provider_.key + "' has no revocation endpoint; revoke access in its settings");
        }
        Steps::app(*this, ref_.provider, [this](Result<AppRecord> a) {
          if (!a) return skip_revocation(a.error().message);
          if (auto client = client_credentials_for(engine(), provider_, *a, now_ms()); !client) {
            return skip_revocation(client.error().message);
          }
          app_ = std::move(*a);
          if (provider_.revocation_style == RevocationStyle::bearer) return revoke_with_valid_token();
          std::string key = connection_key(ref_);
          const ConnectionRecord& r = cur_.record;
          if (!r.refresh_token_sealed.empty()) {
            auto rt = engine().sealer().open(seal_place(key, "refresh_token"), r.refresh_token_sealed);
            if (rt) tokens_.emplace_back("refresh_token", *rt);
          }
          auto at = engine().sealer().open(seal_place(key, "access_token"), r.access_token_sealed);
          if (at) tokens_.emplace_back("access_token", *at);
          revoke_next(0);
        });
      });
    });
  }

  // A Bearer revocation (Dropbox) is authenticated by the access token and revokes its refresh
  // token with it, so it needs a valid one: an expired token is refreshed first (else the refresh
  // token would stay live at the provider after the connection is gone here).
  void revoke_with_valid_token() {
    auto token = std::shared_ptr<Operation<AccessToken>>(make_get_token(engine(), ref_, false, {}));
    delegate(token, [this, token] {
      const auto& t = token->result();
      if (!t) return skip_revocation("no valid access token to revoke with (" + t.error().message +
                                     "); revoke access in the provider's settings");
      tokens_.emplace_back("access_token", t->access_token);
      revoke_next(0);
    });
  }

  void revoke_next(std::size_t i) {
    if (i == tokens_.size()) {
      result_.revoked = result_.revocation_error.empty() && !tokens_.empty();
      return remove();
    }
    // Built per request: a private_key_jwt assertion is good for one request only.
    auto client = client_credentials_for(engine(), provider_, app_, now_ms());
    if (!client) {
      result_.revocation_error = client.error().message;
      return remove();
    }
    HttpRequest req = revocation_request(provider_, *client, tokens_[i].second, tokens_[i].first);
    Steps::http(*this, std::move(req), [this, i](Result<HttpResponse> r) {
      // RFC 7009 §2.2: 200 means revoked, or the token was already invalid; so does a server's
      // invalid_token (Salesforce's answer for an access token its refresh token took with it).
      if (!r) {
        result_.revocation_error = r.error().message;
      } else if (r->status != 200 && r->status != 204 &&
                 // With a Bearer revocation the token was just checked valid: a refusal is one.
                 (provider_.revocation_style == RevocationStyle::bearer || !says_invalid_token(*r))) {
        result_.revocation_error = "the revocation endpoint answered HTTP " + std::to_string(r->status) + " for the " +
                                   tokens_[i].first + "; revoke access in the provider's settings";
      }
      revoke_next(i + 1);
    });
  }

  void skip_revocation(std::string why) {
    result_.revocation_error = std::move(why);
    remove();
  }

  void remove() {
    Steps::remove(*this, connection_key(ref_), 0, [this](Result<bool> r) {
      if (!r) return fail(r.error());
      result_.deleted = *r;
      succeed(std::move(result_));
    });
  }

  ConnectionRef ref_;
  bool revoke_;
  Versioned cur_;
  Provider provider_;
  AppRecord app_;
  std::vector<std::pair<std::string, std::string>> tokens_;
  DisconnectResult result_;
};

}  // namespace

}  // namespace latchkey::detail

namespace latchkey {

std::unique_ptr<Operation<DisconnectResult>> Engine::disconnect(ConnectionRef ref, bool revoke) {
  return std::make_unique<detail::Disconnect>(*this, std::move(ref), revoke);
}

}  // namespace latchkey
