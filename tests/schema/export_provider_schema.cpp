// Writes the core's provider schema (latchkey::provider_schema_json) to the file named by its
// argument, or to stdout: the build's provider_schema.json, which tests/schema/provider_schema.mjs
// holds docs/, web/ and wasm/pkg/index.d.ts to.
#include <cstdio>
#include <string>

#include "latchkey/provider.hpp"

int main(int argc, char** argv) {
  std::string json = latchkey::provider_schema_json() + "\n";
  std::FILE* out = argc > 1 ? std::fopen(argv[1], "wb") : stdout;
  if (!out) {
    std::perror(argv[1]);
    return 1;
  }
  bool ok = std::fwrite(json.data(), 1, json.size(), out) == json.size();
  if (out != stdout) ok = std::fclose(out) == 0 && ok;
  return ok ? 0 : 1;
}
