// Fuzz inputs kept in the tree (tests/vectors/fuzz/<harness>/ regressions and
// tests/fuzz/seeds/<harness>/), embedded at build time by embed_inputs.cmake.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace latchkey::fuzz {

struct Input {
  const char* harness;  ///< The harness's name: the directory the file is in.
  const char* path;     ///< "<root>/<harness>/<file>", for messages.
  std::string_view bytes;
};
const std::vector<Input>& inputs();

// The harnesses the core's test suite replays (tests/fuzz/<name>.cpp; gateway_head needs Boost
// and is replayed by the fuzz preset only).
void token_response(const std::uint8_t* data, std::size_t size);
void callback(const std::uint8_t* data, std::size_t size);
void provider_json(const std::uint8_t* data, std::size_t size);
void discovery(const std::uint8_t* data, std::size_t size);
void oauth1_base_string(const std::uint8_t* data, std::size_t size);
void c_abi(const std::uint8_t* data, std::size_t size);

}  // namespace latchkey::fuzz
