#include "proxy.hpp"

#include "authorization.hpp"
#include "responses.hpp"

namespace latchkey::gateway {
namespace {

// --- The proxy ----------------------------------------------------------------------------

// Bodies up to this size are read before sending, so a 401 can be retried with them.
constexpr std::uint64_t kReplayableBody = 64 * 1024;

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

/// The names (lowercase) listed in every Connection header, plus the fixed hop-by-hop set.
bool is_hop_by_hop(const std::string& name, const std::vector<std::string>& connection_named) {
  static const char* const kFixed[] = {"connection", "keep-alive", "te", "trailer", "trailers",
                                       "transfer-encoding", "upgrade"};
  for (const char* h : kFixed) {
    if (name == h) return true;
  }
  if (name.rfind("proxy-", 0) == 0) return true;
  for (const auto& n : connection_named) {
    if (name == n) return true;
  }
  return false;
}

std::vector<std::string> connection_named(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers) {
    if (lower(name) != "connection") continue;
    for (const auto& part : detail::split_list(value)) {
      std::string n = lower(trim(part));
      if (!n.empty()) out.push_back(n);
    }
  }
  return out;
}

/// "." or ".." (after one more round of percent-decoding too, for servers that decode twice).
bool is_dot_segment(const std::string& part) {
  if (part == "." || part == "..") return true;
  std::string again;
  if (part.find('%') != std::string::npos && decode_segment(part, &again)) return again == "." || again == "..";
  return false;
}

/// A decoded path segment that could walk out of api_base_url's path: a dot segment, one hidden
/// behind an encoded slash, or a backslash (which some servers treat as a slash).
bool walks_out(const std::string& segment) {
  if (segment.find('\\') != std::string::npos) return true;
  std::string lowered = lower(segment);
  if (lowered.find("%5c") != std::string::npos) return true;
  std::size_t at = 0;
  while (true) {
    auto slash = segment.find('/', at);
    if (is_dot_segment(segment.substr(at, slash == std::string::npos ? std::string::npos : slash - at))) return true;
    if (slash == std::string::npos) return false;
    at = slash + 1;
  }
}

/// Passes the upstream's answer on without its hop-by-hop headers, cookies or Server header
/// (Content-Length stays: the server frames the body by it, or chunks it when it is absent).
class UpstreamHead : public native::ResponseSink {
 public:
  explicit UpstreamHead(native::ResponseSink& to) : to_(to) {}
  Take head(const HttpResponse& upstream) override {
    HttpResponse head;
    head.status = upstream.status;
    const auto named = connection_named(upstream.headers);
    for (const auto& [name, value] : upstream.headers) {
      std::string n = lower(name);
      if (is_hop_by_hop(n, named) || n == "set-cookie" || n == "set-cookie2" || n == "server") {
        continue;
      }
      head.headers.emplace_back(name, value);
    }
    started_ = true;
    return to_.head(head);
  }
  bool data(const char* bytes, std::size_t n) override { return to_.data(bytes, n); }
  bool flush() override { return to_.flush(); }
  bool started() const { return started_; }

 private:
  native::ResponseSink& to_;
  bool started_ = false;
};

}  // namespace

ApiResponse proxy(native::Host& host, Metrics& metrics, const ApiRequest& req, const Target& t,
                  const std::string& principal) {
  const std::string& provider = t.segments[2];
  if (!req.response_stream) return error_response(500, "internal", "the proxy needs a response stream");
  // The rest of the path, as received (still percent-encoded): after "/v1/proxy/<provider>".
  std::string path = req.target.substr(0, req.target.find('?'));
  if (path.find('\\') != std::string::npos) {
    return error_response(400, "invalid_request", "the proxied path must not contain backslashes");
  }
  std::size_t slash = 0;
  for (int i = 0; i < 3 && slash != std::string::npos; ++i) slash = path.find('/', slash + 1);
  // "/v1/proxy/<provider>" alone is api_base_url itself (an MCP server's endpoint); "…/" adds the slash.
  std::string rest = slash == std::string::npos ? "" : path.substr(slash);
  for (std::size_t i = 3; i < t.segments.size(); ++i) {
    if (walks_out(t.segments[i])) {
      return error_response(400, "invalid_request", "the proxied path must not contain '.' or '..' segments");
    }
  }

  ConnectionRef ref{principal, provider, ""};
  HttpRequest out;
  out.method = req.method;
  out.url = rest + (t.query.empty() ? "" : "?" + t.query);
  out.body = req.body;
  out.follow_redirects = false;
  const auto named = connection_named(req.headers);
  for (const auto& [name, value] : req.headers) {
    std::string n = lower(name);
    if (n == "x-latchkey-account") {
      ref.account = trim(value);
      continue;
    }
    if (is_hop_by_hop(n, named) || n == "host" || n == "content-length" || n == "authorization" || n == "cookie" ||
        n == "expect" || n.rfind("x-latchkey-", 0) == 0) {
      continue;
    }
    out.headers.emplace_back(name, value);
  }

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

  UpstreamHead filter(*req.response_stream);
  bool refreshed = false;
  auto sent = host.authorized_stream(ref, out, streamed_body, filter, &refreshed);
  if (refreshed) metrics.count_refresh();
  if (!sent) {
    if (!filter.started()) return from_error(sent.error());
    ApiResponse cut;
    cut.streamed = true;
    cut.status = 502;
    return cut;
  }
  EffectResult& r = *sent;
  metrics.count_proxy(provider, r.transport_error.empty() ? r.response.status : 502);
  if (!filter.started()) return error_response(502, "transport", r.transport_error);
  // Sent (or, if transport_error is set, cut short: the server closes the connection).
  ApiResponse res;
  res.streamed = true;
  res.status = r.response.status;
  res.body = r.transport_error;
  return res;
}

}  // namespace latchkey::gateway
