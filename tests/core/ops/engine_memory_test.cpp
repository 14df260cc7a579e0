// core/src/ops/engine_memory.hpp: what an engine remembers between operations must never make
// it act on a stale definition. A custom provider read once is not read again while its stored
// text is the same, and is read anew as soon as that text changes, whoever changed it.
#include <gtest/gtest.h>

#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::AcmeTest;

struct EngineMemoryTest : AcmeTest {
  std::string authorization_url() {
    AuthorizeRequest r;
    r.principal = "alice";
    r.provider = "acme";
    auto s = host.run(engine->authorize(r));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? s->authorization_url : std::string();
  }

  static std::string with_authorization_endpoint(const std::string& url) {
    std::string def = testing::kAcmeProvider;
    const std::string old = "https://auth.acme.test/authorize";
    def.replace(def.find(old), old.size(), url);
    return def;
  }
};

TEST_F(EngineMemoryTest, AnotherEnginesUpdateOfACustomProviderIsSeenAtTheNextOperation) {
  EXPECT_EQ(authorization_url().rfind("https://auth.acme.test/authorize?", 0), 0u);
  EXPECT_EQ(authorization_url().rfind("https://auth.acme.test/authorize?", 0), 0u);  // read once, used twice

  // Another process changes the definition in the same store.
  auto other = testing::make_other_engine();
  auto updated = host.run(other->update_provider(with_authorization_endpoint("https://auth.acme.test/v2/authorize")));
  ASSERT_TRUE(updated.ok()) << updated.error().message;

  EXPECT_EQ(authorization_url().rfind("https://auth.acme.test/v2/authorize?", 0), 0u);
}

TEST_F(EngineMemoryTest, ADefinitionBrokenInTheStoreIsRefusedEvenAfterAGoodOneWasRead) {
  ASSERT_FALSE(authorization_url().empty());
  host.store.records["provider/acme"].value = "{\"key\": \"acme\"}";  // edited by hand, incomplete
  AuthorizeRequest r;
  r.principal = "alice";
  r.provider = "acme";
  auto s = host.run(engine->authorize(r));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::storage);
  EXPECT_NE(s.error().message.find("stored definition of provider 'acme' is invalid"), std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace latchkey
