// The CLI's QR encoder, checked module for module against reference symbols made by an
// independent encoder (python3-qrcode 7.4, byte mode, level M, forced mask, no border).
#include <gtest/gtest.h>

#include <algorithm>

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

// Each symbol as the reference encoder drew it for `text` with `mask` forced.
struct Reference {
  const char* text;
  int mask;
  int version;
  std::vector<std::string> rows;
};

const Reference kReferences[] = {
    {"hi", 0, 1,
        {
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
        }},
    // Version 4: two blocks, interleaved.
    {"https://127.0.0.1:35159/device?user_code=KJJP-NLXK", 2, 4,
        {
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
        }},
};

TEST(Qr, MatchesTheReferenceSymbols) {
  for (const Reference& ref : kReferences) {
    auto q = qr_encode(ref.text, ref.mask);
    ASSERT_TRUE(q.has_value()) << ref.text;
    EXPECT_EQ(q->version, ref.version) << ref.text;
    EXPECT_EQ(q->mask, ref.mask) << ref.text;
    EXPECT_EQ(rows(*q), ref.rows) << ref.text;
  }
}

TEST(Qr, Capacity) {
  auto largest = qr_encode(std::string(213, 'a'));
  ASSERT_TRUE(largest.has_value());
  EXPECT_EQ(largest->version, 10);
  EXPECT_FALSE(qr_encode(std::string(214, 'a')).has_value());
}

TEST(Qr, ChoosesTheMaskWithTheLowestPenalty) {
  const std::vector<std::string> texts = {"hi", "https://example.test/device",
                                          "https://127.0.0.1:35159/device?user_code=KJJP-NLXK", std::string(150, 'x')};
  for (const std::string& text : texts) {
    std::vector<QrCode> forced;
    for (int m = 0; m < 8; ++m) {
      auto q = qr_encode(text, m);
      ASSERT_TRUE(q.has_value()) << text;
      forced.push_back(std::move(*q));
    }
    long lowest = latchkey::detail::qr_penalty(forced[0].dark), highest = lowest;
    for (const QrCode& q : forced) {
      lowest = std::min(lowest, latchkey::detail::qr_penalty(q.dark));
      highest = std::max(highest, latchkey::detail::qr_penalty(q.dark));
    }
    ASSERT_LT(lowest, highest) << text << ": the masks must score differently for the choice to mean anything";
    auto chosen = qr_encode(text);
    ASSERT_TRUE(chosen.has_value()) << text;
    ASSERT_GE(chosen->mask, 0) << text;
    ASSERT_LE(chosen->mask, 7) << text;
    EXPECT_EQ(chosen->dark, forced[static_cast<std::size_t>(chosen->mask)].dark) << text;
    EXPECT_EQ(latchkey::detail::qr_penalty(chosen->dark), lowest) << text << " (mask " << chosen->mask << ")";
  }
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
