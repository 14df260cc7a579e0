// unknown_scopes: which asked-for scopes a provider does not list in available_scopes (the CLI's
// warning and --strict refusal come from it).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/provider/catalog_access.hpp"
#include "latchkey/provider.hpp"

namespace latchkey {
namespace {

using Scopes = std::vector<std::string>;

Provider offering(Scopes scopes) {
  Provider p;
  p.key = "acme";
  p.available_scopes = std::move(scopes);
  return p;
}

TEST(OfferedScopes, NamesEachScopeNotOfferedOnceInTheOrderAsked) {
  Provider p = offering({"read", "write", "admin:org"});
  EXPECT_EQ(unknown_scopes(p, {"read", "delete", "write", "Read", "delete", "admin"}), (Scopes{"delete", "Read", "admin"}));
}

TEST(OfferedScopes, NoneWhenAllAreOfferedOrNoneAsked) {
  Provider p = offering({"read", "write"});
  EXPECT_TRUE(unknown_scopes(p, {"write", "read"}).empty());
  EXPECT_TRUE(unknown_scopes(p, {}).empty());
}

TEST(OfferedScopes, AProviderThatListsNoScopesAcceptsAny) {
  EXPECT_TRUE(unknown_scopes(offering({}), {"anything", "at:all"}).empty());
}

TEST(OfferedScopes, ComparesWithTheCatalogsOwnSpelling) {
  const Provider& google = testing::catalog_entry("google");
  EXPECT_TRUE(unknown_scopes(google, {"openid", "https://www.googleapis.com/auth/drive.readonly"}).empty());
  // The short name people type is not Google's scope: worth a warning.
  EXPECT_EQ(unknown_scopes(google, {"openid", "drive.readonly"}), (Scopes{"drive.readonly"}));
}

}  // namespace
}  // namespace latchkey
