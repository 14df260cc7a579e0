// send_authorized: the one authorized-request policy every host runs (the CLI's request and ping,
// latchkeyd's proxy, the JS broker's fetch): sign → send → on a 401 refresh once → sign → send.
#include "ops.hpp"

namespace latchkey::detail {
namespace {

class SendAuthorized : public Operation<AuthorizedResponse> {
 public:
  SendAuthorized(Engine& e, ConnectionRef ref, HttpRequest request, SendOptions options)
      : Operation(e), ref_(std::move(ref)), request_(std::move(request)), options_(std::move(options)) {}

 private:
  void run() override {
    // A caller that saw the 401 itself (latchkeyd's event loop) has made the first attempt.
    if (!options_.refused_access_token.empty()) return send(true, std::move(options_.refused_access_token));
    send(false, {});
  }

  // Signs and sends; `retry`: after a 401 to `refused`, which the token used now must replace.
  void send(bool retry, std::string refused) {
    auto sign = std::shared_ptr<SignRequestOp>(make_sign_request(engine(), ref_, request_, retry, std::move(refused)));
    delegate(sign, [this, sign, retry] {
      const auto& signed_request = sign->result();
      if (!signed_request) return fail(signed_request.error());
      if (retry) out_.refreshed = sign->refreshed();
      Effect e;
      e.kind = EffectKind::http;
      e.http = *signed_request;
      e.stream = options_.stream;
      // Held back only when sending again will answer it.
      e.hold_401 = options_.stream && options_.resend && !retry;
      ++out_.attempts;
      request(std::move(e), [this, retry, token = sign->access_token()](const EffectResult& r) {
        out_.response = r.response;
        out_.transport_error = r.transport_error;
        if (!r.transport_error.empty() || r.response.status != 401 || retry) return succeed(std::move(out_));
        if (options_.resend) return send(true, token);
        refresh_for_caller(token);
      });
    });
  }

  // The request cannot be sent again: the 401 is the answer, with the token refreshed for the
  // caller's own retry. A failed refresh leaves the 401 to say what happened.
  void refresh_for_caller(const std::string& refused) {
    auto token = std::shared_ptr<Operation<AccessToken>>(make_get_token(engine(), ref_, true, refused));
    delegate(token, [this, token] {
      out_.refreshed = token->result().ok() && token->result()->refreshed;
      succeed(std::move(out_));
    });
  }

  ConnectionRef ref_;
  HttpRequest request_;
  SendOptions options_;
  AuthorizedResponse out_;
};

}  // namespace

}  // namespace latchkey::detail

namespace latchkey {

std::unique_ptr<Operation<AuthorizedResponse>> Engine::send_authorized(ConnectionRef ref, HttpRequest request,
                                                                       SendOptions options) {
  return std::make_unique<detail::SendAuthorized>(*this, std::move(ref), std::move(request), std::move(options));
}

}  // namespace latchkey
