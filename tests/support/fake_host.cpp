#include "support/fake_host.hpp"

#include "steps.hpp"
#include "url.hpp"

namespace latchkey::testing {

EffectResult FakeHost::perform(const Effect& e) {
  switch (e.kind) {
    case EffectKind::http:
      calls.push_back(e.http);
      if (!http) return transport_failure("no HTTP handler in this test");
      return http(e.http);
    case EffectKind::wait:
      // The clock moves to the deadline, as a host's timer firing then would.
      sleeps.push_back(e.until_ms - now_ms);
      deadlines.push_back(e.until_ms);
      now_ms = std::max(now_ms, e.until_ms);
      return {};
    default:
      return store.perform(e);
  }
}

EffectResult respond(int status, std::string body, std::string content_type, Params extra_headers) {
  EffectResult r;
  r.response.status = status;
  r.response.body = std::move(body);
  if (!content_type.empty()) r.response.headers.emplace_back("Content-Type", content_type);
  for (auto& h : extra_headers) r.response.headers.push_back(std::move(h));
  return r;
}

EffectResult transport_failure(std::string message) {
  EffectResult r;
  r.transport_error = std::move(message);
  return r;
}

namespace {
const std::string kMasterKey1(32, '\x42');
const std::string kMasterKey2(32, '\x99');
}  // namespace

std::unique_ptr<Engine> make_engine(EngineConfig config) {
  if (config.master_keys.empty()) config.master_keys[1] = kMasterKey1;
  if (config.entropy.empty()) config.entropy = std::string(48, '\x07');
  auto e = Engine::create(config);
  if (!e) std::abort();
  return std::move(*e);
}

std::unique_ptr<Engine> make_other_engine() {
  EngineConfig config;
  config.entropy = std::string(48, '\x08');
  return make_engine(config);
}

std::unique_ptr<Engine> make_rotated_engine(bool keep_old) {
  EngineConfig config;
  if (keep_old) config.master_keys[1] = kMasterKey1;
  config.master_keys[2] = kMasterKey2;
  config.current_key_version = 2;
  return make_engine(config);
}

AppInput app_input(const std::string& provider, const std::string& client_id, const std::string& secret,
                   const std::string& redirect_uri) {
  AppInput app;
  app.provider = provider;
  app.client_id = client_id;
  if (!secret.empty()) app.client_secret = secret;
  app.redirect_uri = redirect_uri;
  return app;
}

std::map<std::string, std::string> form_fields(const std::string& body) {
  std::map<std::string, std::string> out;
  auto p = detail::decode_form(body);
  if (p) {
    for (auto& [k, v] : *p) out[k] = v;
  }
  return out;
}

std::map<std::string, std::string> query_fields(const std::string& url) {
  auto q = url.find('?');
  return form_fields(q == std::string::npos ? "" : url.substr(q + 1));
}

std::map<std::string, std::string> oauth_header_fields(const HttpRequest& request) {
  const std::string* h = detail::find_header(request.headers, "authorization");
  std::map<std::string, std::string> out;
  if (!h || h->rfind("OAuth ", 0) != 0) return out;
  std::string rest = h->substr(6);
  std::size_t i = 0;
  while (i < rest.size()) {
    auto eq = rest.find("=\"", i);
    auto end = rest.find('"', eq + 2);
    out[*detail::form_decode(rest.substr(i, eq - i))] = *detail::form_decode(rest.substr(eq + 2, end - eq - 2));
    i = end + 1;
    while (i < rest.size() && (rest[i] == ',' || rest[i] == ' ')) ++i;
  }
  return out;
}

}  // namespace latchkey::testing
