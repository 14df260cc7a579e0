// client_auth.hpp: the method a client authenticates with, and the UTC text an expiry message shows.
#include <gtest/gtest.h>

#include "client_auth.hpp"
#include "crypto.hpp"
#include "steps.hpp"
#include "support/fixtures.hpp"
#include "url.hpp"

namespace latchkey {
namespace {

TEST(UtcText, MatchesTheCalendar) {
  EXPECT_EQ(detail::utc_text(0), "1970-01-01 00:00:00Z");
  EXPECT_EQ(detail::utc_text(1700003600000), "2023-11-14 23:13:20Z");
  EXPECT_EQ(detail::utc_text(951782400000), "2000-02-29 00:00:00Z");   // a leap day of a century year
  EXPECT_EQ(detail::utc_text(4107542399999), "2100-02-28 23:59:59Z");  // 2100 is no leap year
  EXPECT_EQ(detail::utc_text(4107542400000), "2100-03-01 00:00:00Z");
  EXPECT_EQ(detail::utc_text(253402300799000), "9999-12-31 23:59:59Z");  // the largest expiry accepted
  EXPECT_EQ(detail::utc_text(-1), "1969-12-31 23:59:59Z");
}

// The app's token_endpoint_auth_method overrides the provider's at every endpoint that
// authenticates clients, the pushed authorization request endpoint (RFC 9126 §2.1) included.
struct AppAuthMethod : testing::AcmeTest {
  /// acme with a PAR endpoint and `provider_method`, its app using `app_method`: the request
  /// authorize() pushes.
  HttpRequest pushed(const std::string& provider_method, const std::string& app_method) {
    std::string def = testing::kAcmeProvider;
    const std::string from = R"("token_endpoint_auth_method": "client_secret_basic",)";
    def.replace(def.find(from), from.size(),
                R"("token_endpoint_auth_method": ")" + provider_method +
                    R"(", "pushed_authorization_request_endpoint": "https://auth.acme.test/par",)");
    auto p = host.run(engine->update_provider(def));
    EXPECT_TRUE(p.ok()) << p.error().message;
    AppInput app = testing::app_input("acme", "acme-client", "acme-secret", "http://127.0.0.1:8765/callback");
    app.token_endpoint_auth_method = app_method;
    auto a = host.run(engine->upsert_app(app));
    EXPECT_TRUE(a.ok()) << a.error().message;
    host.http = [](const HttpRequest&) {
      return testing::respond(201, R"({"request_uri":"urn:ietf:params:oauth:request_uri:r1","expires_in":60})");
    };
    host.calls.clear();
    start();
    EXPECT_EQ(host.calls.size(), 1u);
    return host.calls.empty() ? HttpRequest{} : host.calls.front();
  }
};

std::size_t count(const std::string& form, const std::string& name) {
  auto params = detail::decode_form(form);
  EXPECT_TRUE(params.ok());
  std::size_t n = 0;
  if (params) {
    for (const auto& [k, v] : *params) n += k == name;
  }
  return n;
}

TEST_F(AppAuthMethod, PostOverridingBasicSendsTheIdOnceAndNoHeader) {
  HttpRequest req = pushed("client_secret_basic", "client_secret_post");
  EXPECT_EQ(req.url, "https://auth.acme.test/par");
  EXPECT_EQ(count(req.body, "client_id"), 1u);
  EXPECT_EQ(count(req.body, "client_secret"), 1u);
  EXPECT_EQ(testing::form_fields(req.body)["client_secret"], "acme-secret");
  EXPECT_EQ(detail::find_header(req.headers, "authorization"), nullptr);
}

TEST_F(AppAuthMethod, BasicOverridingPostSendsTheHeaderAndTheIdOnce) {
  HttpRequest req = pushed("client_secret_post", "client_secret_basic");
  EXPECT_EQ(req.url, "https://auth.acme.test/par");
  const std::string* auth = detail::find_header(req.headers, "authorization");
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(*auth, "Basic " + detail::base64_encode("acme-client:acme-secret"));
  EXPECT_EQ(count(req.body, "client_secret"), 0u);
  // RFC 9126 §2.1's example keeps client_id in the body beside the Basic header: once.
  EXPECT_EQ(count(req.body, "client_id"), 1u);
  EXPECT_EQ(testing::form_fields(req.body)["client_id"], "acme-client");
}

}  // namespace
}  // namespace latchkey
