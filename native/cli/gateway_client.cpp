#include "gateway_client.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "latchkey/headers.hpp"
#include "latchkey/url.hpp"

namespace latchkey::cli {
namespace {

using Object = JsonObject;
using Value = JsonValue;

constexpr std::size_t kMaxJsonBytes = 16u << 20;
constexpr std::size_t kMaxKeyFileBytes = 4096;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// The key file is a secret like an ssh key: refused if anyone but its owner may read or change it.
Result<std::string> read_key_file(const std::string& path) {
  const std::string name = "LATCHKEY_API_KEY_FILE (" + path + ")";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return make_error(ErrorCode::invalid_request, "cannot read " + name);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorCode::invalid_request, name + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return make_error(ErrorCode::invalid_request, name + " may be read or changed by others (mode " + mode +
                                                      "); run `chmod 600 " + path + "`");
  }
  if (st.st_uid != ::geteuid()) {
    ::close(fd);
    return make_error(ErrorCode::invalid_request, name + " belongs to another user; use a key file of your own");
  }
  std::string text(kMaxKeyFileBytes + 1, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0) {
      ::close(fd);
      return make_error(ErrorCode::invalid_request, "cannot read " + name);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got > kMaxKeyFileBytes) return make_error(ErrorCode::invalid_request, name + " is too large to hold an API key");
  text.resize(got);
  return trim(text);
}

bool is_json(const HttpResponse& r) {
  const std::string* type = find_header(r.headers, "content-type");
  return type && type->find("json") != std::string::npos;
}

bool is_html(const HttpResponse& r) {
  const std::string* type = find_header(r.headers, "content-type");
  return type && type->find("text/html") != std::string::npos;
}

// {"error": {"code": "...", "message": "..."}} and nothing else: the only shape latchkeyd's own
// errors take (an upstream API passed through by the proxy rarely says exactly this).
const Object* gateway_error_object(const Value& doc) {
  if (!doc.is<Object>() || doc.get<Object>().size() != 1) return nullptr;
  const Object* e = json_object(doc.get<Object>(), "error");
  if (!e || !json_string(*e, "code") || !json_string(*e, "message")) return nullptr;
  return e;
}

bool is_gateway_code(const std::string& code) {
  ErrorCode ignored;
  return code == "unauthorized" || code == "forbidden" || error_code_from_string(code, &ignored);
}

}  // namespace

Result<GatewaySettings> gateway_settings_from_env(const std::string& provider) {
  const std::string why = "'" + provider + "' is in managed mode, so latchkey works through the gateway: ";
  GatewaySettings s;
  s.url = env("LATCHKEY_GATEWAY_URL");
  if (s.url.empty()) {
    return make_error(ErrorCode::invalid_request, why + "set LATCHKEY_GATEWAY_URL to its address (e.g. "
                                                        "http://127.0.0.1:8787), or run `latchkey mode " +
                                                        provider + " --set your-own`");
  }
  // Checked here, before any request, so a typo gets a sentence about the variable rather than
  // about a connection.
  auto u = parse_url(s.url);
  if (!u) return make_error(ErrorCode::invalid_request, "LATCHKEY_GATEWAY_URL is not an http(s) URL: " + u.error().message);
  if (!u->query.empty()) return make_error(ErrorCode::invalid_request, "LATCHKEY_GATEWAY_URL must not have a ?query");
  auto ok = check_endpoint(s.url, "LATCHKEY_GATEWAY_URL");
  if (!ok) return ok.error();
  while (!s.url.empty() && s.url.back() == '/') s.url.pop_back();

  const std::string key = env("LATCHKEY_API_KEY"), file = env("LATCHKEY_API_KEY_FILE");
  if (!key.empty() && !file.empty()) {
    return make_error(ErrorCode::invalid_request,
                      "both LATCHKEY_API_KEY and LATCHKEY_API_KEY_FILE are set; unset one so it is clear which key to use");
  }
  if (key.empty() && file.empty()) {
    return make_error(ErrorCode::invalid_request,
                      why + "set LATCHKEY_API_KEY to your gateway API key, or LATCHKEY_API_KEY_FILE to a file holding it "
                            "(chmod 600); `latchkeyd keys create` makes one");
  }
  if (!key.empty()) {
    s.api_key = trim(key);
    s.key_source = "LATCHKEY_API_KEY";
  } else {
    auto read = read_key_file(file);
    if (!read) return read.error();
    s.api_key = std::move(*read);
    s.key_source = "LATCHKEY_API_KEY_FILE";
  }
  if (s.api_key.empty()) return make_error(ErrorCode::invalid_request, s.key_source + " holds no API key");
  for (unsigned char c : s.api_key) {
    if (c <= ' ' || c == 0x7f) {
      return make_error(ErrorCode::invalid_request, s.key_source + " must hold one API key (one line, no spaces)");
    }
  }
  return s;
}

Result<std::unique_ptr<GatewayClient>> GatewayClient::create(GatewaySettings settings, const std::string& ca_file) {
  native::HttpsClientOptions options;
  options.ca_file = ca_file;
  auto http = native::HttpsClient::create(options);
  if (!http) return http.error();
  std::unique_ptr<GatewayClient> c(new GatewayClient());
  c->settings_ = std::move(settings);
  c->http_ = std::move(*http);
  return c;
}

Result<HttpResponse> GatewayClient::send(HttpRequest request) {
  request.url = settings_.url + request.url;
  request.follow_redirects = false;
  request.headers.emplace_back("Authorization", "Bearer " + settings_.api_key);
  // Errors' advice in our commands, not the gateway's routes (never forwarded upstream: X-Latchkey-*).
  request.headers.emplace_back("X-Latchkey-Advice", "cli");
  EffectResult r = http_->perform(request);
  if (!r.transport_error.empty()) {
    // The HTTPS client's sentences name host and port only, never the key.
    return make_error(ErrorCode::transport,
                      "cannot reach the gateway at " + settings_.url + " (LATCHKEY_GATEWAY_URL): " + r.transport_error);
  }
  return std::move(r.response);
}

Result<Value> GatewayClient::call(const std::string& method, const std::string& path, const std::string& body) {
  HttpRequest req;
  req.method = method;
  req.url = path;
  req.body = body;
  req.max_response_bytes = kMaxJsonBytes;
  req.headers.emplace_back("Accept", "application/json");
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  auto r = send(std::move(req));
  if (!r) return r.error();
  if (r->status < 200 || r->status >= 300) return error_from(*r);
  auto doc = parse_json(r->body, "the gateway's answer");
  if (!doc) return error_from(*r);  // says what came instead of JSON
  return std::move(*doc);
}

Result<HttpResponse> GatewayClient::proxy(HttpRequest request) { return send(std::move(request)); }

std::optional<Error> GatewayClient::own_error(const HttpResponse& r) const {
  if (r.status < 400 || !is_json(r)) return std::nullopt;
  auto doc = parse_json(r.body, "the gateway's answer");
  if (!doc) return std::nullopt;
  const Object* e = gateway_error_object(*doc);
  if (!e || !is_gateway_code(*json_string(*e, "code"))) return std::nullopt;
  return error_from(r);
}

Error GatewayClient::error_from(const HttpResponse& r) const {
  const std::string status = std::to_string(r.status);
  auto doc = parse_json(r.body, "the gateway's answer");
  const Object* e = doc ? gateway_error_object(*doc) : nullptr;
  if (!e) {
    std::string what = is_html(r) ? "an HTML page" : r.body.empty() ? "an empty body" : "something that is not JSON";
    if (doc) what = "JSON without an error";
    Error out = make_error(ErrorCode::malformed_response,
                           "the gateway at " + settings_.url + " answered HTTP " + status + " with " + what +
                               " instead of latchkeyd's JSON; check LATCHKEY_GATEWAY_URL is latchkeyd's address");
    out.http_status = r.status;
    return out;
  }
  const std::string code = *json_string(*e, "code");
  const std::string message = *json_string(*e, "message");
  Error out;
  out.http_status = r.status;
  if (code == "unauthorized" || r.status == 401) {
    out.code = ErrorCode::invalid_request;
    out.message = "the gateway at " + settings_.url + " did not accept the API key (" + message + "); check " +
                  settings_.key_source + " holds a key `latchkeyd keys create` made for this gateway";
    return out;
  }
  if (code == "forbidden") {
    out.code = ErrorCode::invalid_request;
    out.message = "the gateway refused: " + message;
    return out;
  }
  if (!error_code_from_string(code, &out.code)) {
    out.code = r.status >= 500 ? ErrorCode::provider_error : ErrorCode::invalid_request;
    out.message = "the gateway answered HTTP " + status + " (" + code + "): " + message;
    return out;
  }
  // The core's own error, made in the gateway: its sentence already says what to do.
  out.message = message;
  if (const std::string* p = json_string(*e, "provider_error")) out.provider_code = *p;
  if (const std::string* p = json_string(*e, "provider_error_description")) out.provider_description = *p;
  json_int(*e, "retry_at_ms", &out.retry_at_ms);
  return out;
}

std::string connection_path(const std::string& provider, const std::string& account) {
  return "/v1/connections/" + percent_encode(provider) + "/" + percent_encode(account);
}

}  // namespace latchkey::cli
