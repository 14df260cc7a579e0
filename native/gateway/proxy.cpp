#include "proxy.hpp"

#include "pending_op.hpp"
#include "proxy_path.hpp"
#include "proxy_wire.hpp"
#include "responses.hpp"

namespace latchkey::gateway {
namespace {

// --- The proxy ----------------------------------------------------------------------------

/// Passes the upstream's answer on as caller_response_head filters it.
class UpstreamHead : public native::ResponseSink {
 public:
  explicit UpstreamHead(native::ResponseSink& to) : to_(to) {}
  Take head(const HttpResponse& upstream) override {
    started_ = true;
    return to_.head(caller_response_head(upstream));
  }
  bool data(const char* bytes, std::size_t n) override { return to_.data(bytes, n); }
  bool flush() override { return to_.flush(); }
  bool started() const { return started_; }

 private:
  native::ResponseSink& to_;
  bool started_ = false;
};

}  // namespace

Result<ProxyPlan> plan_proxy(const ApiRequest& req, const Target& t, const std::string& principal) {
  // The rest of the path, as received (still percent-encoded): after "/v1/proxy/<provider>".
  std::string path = req.target.substr(0, req.target.find('?'));
  if (path.find('\\') != std::string::npos) {
    return make_error(ErrorCode::invalid_request, "the proxied path must not contain backslashes");
  }
  std::size_t slash = 0;
  for (int i = 0; i < 3 && slash != std::string::npos; ++i) slash = path.find('/', slash + 1);
  // "/v1/proxy/<provider>" alone is api_base_url itself (an MCP server's endpoint); "…/" adds the slash.
  std::string rest = slash == std::string::npos ? "" : path.substr(slash);
  for (std::size_t i = 3; i < t.segments.size(); ++i) {
    if (auto why = proxy_segment_refusal(t.segments[i]); !why.empty()) {
      return make_error(ErrorCode::invalid_request, why);
    }
  }
  ProxyPlan plan;
  plan.ref = ConnectionRef{principal, t.segments[2], ""};
  plan.request.method = req.method;
  plan.request.url = rest + (t.query.empty() ? "" : "?" + t.query);
  plan.request.body = req.body;
  plan.request.follow_redirects = false;
  plan.request.headers = upstream_request_headers(req.headers, &plan.ref.account);
  return plan;
}

Result<ProxyPlan> plan_proxy(const ApiRequest& req, const std::string& principal) {
  Target t;
  if (!split_target(req.target, &t) || t.segments.size() < 3 || t.segments[0] != "v1" || t.segments[1] != "proxy") {
    return make_error(ErrorCode::invalid_request, "the request path is not /v1/proxy/{provider}/...");
  }
  return plan_proxy(req, t, principal);
}

ApiResponse proxy(native::Host& host, Metrics& metrics, const ApiRequest& req, const Target& t,
                  const std::string& principal) {
  const std::string& provider = t.segments[2];
  if (!req.response_stream) return error_response(500, "internal", "the proxy needs a response stream");
  auto plan = plan_proxy(req, t, principal);
  if (!plan) return from_error(plan.error());
  const ConnectionRef& ref = plan->ref;
  HttpRequest& out = plan->request;

  // A small body is held so a 401 can be answered by refreshing and sending it again; a larger
  // one streams through and its 401 goes back to the caller (with the token refreshed).
  native::BodySource* streamed_body = nullptr;
  if (req.body_stream) {
    auto length = req.body_stream->length();
    if (length && *length <= kReplayableBody) {
      out.body.resize(static_cast<std::size_t>(*length));
      std::size_t got = 0;
      while (got < out.body.size()) {
        long n = req.body_stream->read(out.body.data() + got, out.body.size() - got);
        if (n <= 0) return error_response(400, "invalid_request", "the request body ended early");
        got += static_cast<std::size_t>(n);
      }
    } else {
      streamed_body = req.body_stream;
    }
  }

  // The core's send_authorized in its head-only form: the answer streams to the caller, except a
  // first attempt's 401 it holds back to send again — only when the body can be sent again. A
  // streamed body cannot, so that 401 reaches the caller, with the token refreshed for its retry.
  // With refused_access_token the loop already saw that token's 401: one attempt, after the
  // refresh (or with the token a peer refreshed meanwhile).
  SendOptions options;
  options.stream = true;
  options.resend = streamed_body == nullptr;
  options.refused_access_token = req.refused_access_token;
  // The filter outlives a wait for a peer's refresh (pending_op.hpp): the answer's finish holds it.
  auto filter = std::make_shared<UpstreamHead>(*req.response_stream);
  native::Host::Streams streams{streamed_body, filter.get()};
  Metrics* counts = &metrics;
  return run_or_park<AuthorizedResponse>(
      host, host.engine().send_authorized(ref, std::move(out), std::move(options)),
      [filter, counts, provider](native::Host&, const Result<AuthorizedResponse>& sent) {
        if (sent && sent->refreshed) counts->count_refresh();
        if (!sent) {
          if (!filter->started()) return from_error(sent.error());
          ApiResponse cut;
          cut.streamed = true;
          cut.status = 502;
          return cut;
        }
        counts->count_proxy(provider, sent->transport_error.empty() ? sent->response.status : 502);
        if (!filter->started()) return error_response(502, "transport", sent->transport_error);
        // Sent (or, if transport_error is set, cut short: the server closes the connection).
        ApiResponse res;
        res.streamed = true;
        res.status = sent->response.status;
        res.body = sent->transport_error;
        return res;
      },
      &streams);
}

}  // namespace latchkey::gateway
