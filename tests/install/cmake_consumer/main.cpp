// A C++ program built against an installed latchkey through find_package (install.test.mjs): the
// typed C++ API, the JSON values (picojson) the public headers hand out, the built-in catalog,
// and the C ABI from C++. It prints one line each; the test checks them.
#include <latchkey/catalog.hpp>
#include <latchkey/json.hpp>
#include <latchkey/latchkey.h>
#include <latchkey/pkce.hpp>

#include <cstdio>
#include <string>

int main() {
  // The version the package config declares, and the one the library reports.
  std::printf("%s %s\n", LATCHKEY_PACKAGE_VERSION, lk_version());
  // RFC 7636 Appendix B.
  std::printf("%s\n", latchkey::pkce_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").c_str());
  auto doc = latchkey::parse_json(R"({"b": [1, 2.5, "x"], "a": null})", "a test document");
  if (!doc.ok()) return 1;
  std::printf("%s\n", latchkey::serialize_json(*doc).c_str());
  auto bad = latchkey::parse_json("{", "a test document");
  std::printf("%s\n", bad.ok() ? "parsed" : "refused");
  const latchkey::Provider* github = latchkey::find_builtin("github");
  std::printf("%s\n", github != nullptr ? "github in the catalog" : "no github");
  return 0;
}
