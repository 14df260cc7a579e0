// latchkey/encoding.hpp as hosts use it: hex_encode against RFC 4648 §10's base16 vectors (in
// lowercase, as latchkey writes ids and nonces).
#include <gtest/gtest.h>

#include <string>

#include "latchkey/encoding.hpp"

namespace latchkey {
namespace {

TEST(Encoding, HexEncodeIsRfc4648Base16InLowercase) {
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode("f"), "66");
  EXPECT_EQ(hex_encode("fo"), "666f");
  EXPECT_EQ(hex_encode("foo"), "666f6f");
  EXPECT_EQ(hex_encode("foobar"), "666f6f626172");
  EXPECT_EQ(hex_encode(std::string("\x00\xff\x10", 3)), "00ff10");
}

}  // namespace
}  // namespace latchkey
