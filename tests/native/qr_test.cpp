// The CLI's QR encoder, checked module for module against reference symbols made by an
// independent encoder (python3-qrcode 7.4, byte mode, level M, forced mask, no border).
#include <gtest/gtest.h>

#include "qr.hpp"

namespace latchkey::cli {
namespace {

std::vector<std::string> rows(const QrCode& q) {
  std::vector<std::string> out;
  for (const auto& row : q.dark) {
    std::string line;
    for (bool dark : row) line += dark ? '#' : '.';
    out.push_back(line);
  }
  return out;
}

TEST(Qr, Version1MatchesTheReference) {
  const std::vector<std::string> expected = {
      "#######....##.#######",
      "#.....#.####..#.....#",
      "#.###.#...###.#.###.#",
      "#.###.#..#.#..#.###.#",
      "#.###.#.#####.#.###.#",
      "#.....#..#.#..#.....#",
      "#######.#.#.#.#######",
      "..........#..........",
      "#.#.#.#..##.#...#..#.",
      "#.##......##.#.#.####",
      "....#.###.##.###.####",
      "..#.##.#.#.###.###.#.",
      "##.#..#.####.###..#..",
      "........#.....#...###",
      "#######..#..#...#..##",
      "#.....#..##...#...###",
      "#.###.#.###.#.#.#.#.#",
      "#.###.#..###.#.#.#.#.",
      "#.###.#.####.###.##.#",
      "#.....#..#####.###.#.",
      "#######.##.#.###.####",
  };
  auto q = qr_encode("hi", 0);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->version, 1);
  EXPECT_EQ(rows(*q), expected);
}

TEST(Qr, Version4WithTwoBlocksMatchesTheReference) {
  const std::vector<std::string> expected = {
      "#######..##..#..##.#.#.##.#######",
      "#.....#..#...#####..##..#.#.....#",
      "#.###.#.#..###...##..#..#.#.###.#",
      "#.###.#.##....###...#.....#.###.#",
      "#.###.#.#......#..#.......#.###.#",
      "#.....#.#####.###...#.#.#.#.....#",
      "#######.#.#.#.#.#.#.#.#.#.#######",
      "........##.##.##.....#.##........",
      "#.#####...####.#.##.#..#..#####..",
      ".#.#.#.#.##...#.#..#..###.##.##.#",
      "##..#.#.#...#..##.#.###.##..#.##.",
      "###.##.######.##....####....#####",
      "##.#..######......#..#####.###...",
      "#..###....########..##....#..####",
      "#..#.###.#....#...##.#..###.####.",
      ".#.....##...#...#..###.####.###..",
      "......#.#.....#..####..##..###..#",
      ".##.##..##.#.#..####...#####.####",
      "########.....#.#.#..#.#..#.##.##.",
      "###..#.#######..####.#.#.#.#####.",
      ".#.#.##.###.#####....##.#..###.#.",
      "##.###...#.....#.##......##...#.#",
      "#...#.###....#####..#.#.....#..#.",
      "#.#.##.#..##..##...#.#.###.#.##.#",
      "#.#..####.#..#####.##..########..",
      "........#..#.#..#.##..###...#.###",
      "#######...#..####.#..####.#.#.##.",
      "#.....#.#..##.###..#.#..#...#####",
      "#.###.#.#.###..#..##.##.######.##",
      "#.###.#.#...#.###...###.....##.##",
      "#.###.#.##.#.........#..####.#...",
      "#.....#....####.#.#..##.###.###..",
      "#######.#..##....#.##..###.#...#.",
  };
  auto q = qr_encode("https://127.0.0.1:35159/device?user_code=KJJP-NLXK", 2);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->version, 4);
  EXPECT_EQ(rows(*q), expected);
}

TEST(Qr, CapacityAndMaskChoice) {
  EXPECT_EQ(qr_encode(std::string(213, 'a'))->version, 10);
  EXPECT_FALSE(qr_encode(std::string(214, 'a')).has_value());
  auto q = qr_encode("https://example.test/device");
  ASSERT_TRUE(q.has_value());
  EXPECT_GE(q->mask, 0);
  EXPECT_LE(q->mask, 7);
}

TEST(Qr, TerminalDrawingHasTheQuietZone) {
  auto text = qr_terminal("hi");
  ASSERT_TRUE(text.has_value());
  // 21 modules + 2 x 2 quiet: 25 columns, 13 lines of two module rows each.
  std::size_t lines = 0;
  for (char c : *text) lines += c == '\n';
  EXPECT_EQ(lines, 13u);
  EXPECT_EQ(text->substr(0, 3 * 25), [] {
    std::string full;
    for (int i = 0; i < 25; ++i) full += "\u2588";
    return full;
  }());
  EXPECT_FALSE(qr_terminal(std::string(300, 'x')).has_value());
}

}  // namespace
}  // namespace latchkey::cli
