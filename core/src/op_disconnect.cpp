// Disconnecting: optional RFC 7009 revocation (refresh token first, since revoking it usually
// revokes the access tokens issued from it), then the tokens are deleted.
#include "authorization.hpp"
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
          auto secret = open_client_secret(engine(), *a);
          if (!secret) return skip_revocation(secret.error().message);
          client_ = {a->client_id, *secret};
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

  void revoke_next(std::size_t i) {
    if (i == tokens_.size()) {
      result_.revoked = result_.revocation_error.empty() && !tokens_.empty();
      return remove();
    }
    Params body = {{"token", tokens_[i].second}, {"token_type_hint", tokens_[i].first}};
    HttpRequest req = token_request(provider_, provider_.revocation_endpoint, client_, std::move(body));
    Steps::http(*this, std::move(req), [this, i](Result<HttpResponse> r) {
      // RFC 7009 §2.2: 200 means revoked, or the token was already invalid.
      if (!r) {
        result_.revocation_error = r.error().message;
      } else if (r->status != 200) {
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
  ClientCredentials client_;
  std::vector<std::pair<std::string, std::string>> tokens_;
  DisconnectResult result_;
};

}  // namespace

std::unique_ptr<Operation<DisconnectResult>> make_disconnect(Engine& engine, ConnectionRef ref, bool revoke) {
  return std::make_unique<Disconnect>(engine, std::move(ref), revoke);
}

}  // namespace latchkey::detail
