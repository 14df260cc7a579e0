#include "qr.hpp"

#include <cstdint>
#include <algorithm>
#include <cstdlib>

namespace latchkey::cli {
namespace {

// Level M block structure per version (ISO/IEC 18004 Table 9): EC codewords per block, then
// (blocks, data codewords per block) for the two groups.
struct Blocks {
  int ec_per_block, g1_blocks, g1_data, g2_blocks, g2_data;
};
constexpr Blocks kLevelM[11] = {
    {0, 0, 0, 0, 0},    {10, 1, 16, 0, 0}, {16, 1, 28, 0, 0}, {26, 1, 44, 0, 0},
    {18, 2, 32, 0, 0},  {24, 2, 43, 0, 0}, {16, 4, 27, 0, 0}, {18, 4, 31, 0, 0},
    {22, 2, 38, 2, 39}, {22, 3, 36, 2, 37}, {26, 4, 43, 1, 44},
};
// Alignment pattern centres (Annex E), versions 2-10.
const std::vector<int> kAlignment[11] = {{},          {},          {6, 18},     {6, 22},     {6, 26},    {6, 30},
                                         {6, 34},     {6, 22, 38}, {6, 24, 42}, {6, 26, 46}, {6, 28, 50}};

// GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
std::uint8_t gf_mul(std::uint8_t a, std::uint8_t b) {
  int r = 0;
  for (int i = 7; i >= 0; --i) {
    r = (r << 1) ^ ((r >> 7) * 0x11D);
    r ^= ((b >> i) & 1) * a;
  }
  return static_cast<std::uint8_t>(r);
}

/// Reed-Solomon error correction codewords for one block.
std::vector<std::uint8_t> reed_solomon(const std::vector<std::uint8_t>& data, int degree) {
  // The generator polynomial (x - a^0)(x - a^1)...(x - a^(degree-1)), leading 1 dropped.
  std::vector<std::uint8_t> gen(degree, 0);
  gen[degree - 1] = 1;
  std::uint8_t root = 1;
  for (int i = 0; i < degree; ++i) {
    for (int j = 0; j < degree; ++j) {
      gen[j] = gf_mul(gen[j], root);
      if (j + 1 < degree) gen[j] ^= gen[j + 1];
    }
    root = gf_mul(root, 0x02);
  }
  std::vector<std::uint8_t> rem(degree, 0);
  for (std::uint8_t b : data) {
    std::uint8_t factor = b ^ rem[0];
    rem.erase(rem.begin());
    rem.push_back(0);
    for (int j = 0; j < degree; ++j) rem[j] ^= gf_mul(gen[j], factor);
  }
  return rem;
}

class Matrix {
 public:
  explicit Matrix(int version) : version_(version), size_(17 + 4 * version) {
    dark_.assign(size_, std::vector<bool>(size_, false));
    function_ = dark_;
  }

  void draw_function_patterns() {
    for (int i = 0; i < size_; ++i) {
      set_function(6, i, i % 2 == 0);
      set_function(i, 6, i % 2 == 0);
    }
    finder(3, 3);
    finder(size_ - 4, 3);
    finder(3, size_ - 4);
    const auto& pos = kAlignment[version_];
    const std::size_t n = pos.size();
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        bool on_finder = (i == 0 && j == 0) || (i == 0 && j == n - 1) || (i == n - 1 && j == 0);
        if (!on_finder) alignment(pos[i], pos[j]);
      }
    }
    format_bits(0);  // reserves the area; drawn for real once the mask is chosen
    version_bits();
  }

  // Zig-zag placement from the bottom right, two columns at a time, skipping the timing column.
  void draw_codewords(const std::vector<std::uint8_t>& data) {
    std::size_t i = 0;
    for (int right = size_ - 1; right >= 1; right -= 2) {
      if (right == 6) right = 5;
      for (int vert = 0; vert < size_; ++vert) {
        for (int j = 0; j < 2; ++j) {
          int x = right - j;
          bool upward = ((right + 1) & 2) == 0;
          int y = upward ? size_ - 1 - vert : vert;
          if (!function_[y][x] && i < data.size() * 8) {
            dark_[y][x] = (data[i >> 3] >> (7 - (i & 7))) & 1;
            ++i;
          }
        }
      }
    }
  }

  void apply_mask(int mask) {
    for (int y = 0; y < size_; ++y) {
      for (int x = 0; x < size_; ++x) {
        if (function_[y][x]) continue;
        bool flip = false;
        switch (mask) {
          case 0: flip = (x + y) % 2 == 0; break;
          case 1: flip = y % 2 == 0; break;
          case 2: flip = x % 3 == 0; break;
          case 3: flip = (x + y) % 3 == 0; break;
          case 4: flip = (x / 3 + y / 2) % 2 == 0; break;
          case 5: flip = x * y % 2 + x * y % 3 == 0; break;
          case 6: flip = (x * y % 2 + x * y % 3) % 2 == 0; break;
          default: flip = ((x + y) % 2 + x * y % 3) % 2 == 0; break;
        }
        if (flip) dark_[y][x] = !dark_[y][x];
      }
    }
  }

  // Level M (bits 00) and the mask, BCH(15,5)-protected, XORed with 101010000010010.
  void format_bits(int mask) {
    int data = (0 << 3) | mask;
    int rem = data;
    for (int i = 0; i < 10; ++i) rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    int bits = ((data << 10) | rem) ^ 0x5412;
    auto bit = [bits](int i) { return ((bits >> i) & 1) != 0; };
    for (int i = 0; i <= 5; ++i) set_function(8, i, bit(i));
    set_function(8, 7, bit(6));
    set_function(8, 8, bit(7));
    set_function(7, 8, bit(8));
    for (int i = 9; i < 15; ++i) set_function(14 - i, 8, bit(i));
    for (int i = 0; i < 8; ++i) set_function(size_ - 1 - i, 8, bit(i));
    for (int i = 8; i < 15; ++i) set_function(8, size_ - 15 + i, bit(i));
    set_function(8, size_ - 8, true);  // the dark module
  }

  long penalty() const { return latchkey::detail::qr_penalty(dark_); }

  const std::vector<std::vector<bool>>& dark() const { return dark_; }

 private:
  void set_function(int x, int y, bool is_dark) {
    dark_[y][x] = is_dark;
    function_[y][x] = true;
  }
  void finder(int cx, int cy) {
    for (int dy = -4; dy <= 4; ++dy) {
      for (int dx = -4; dx <= 4; ++dx) {
        int x = cx + dx, y = cy + dy;
        if (x < 0 || y < 0 || x >= size_ || y >= size_) continue;
        int dist = std::max(std::abs(dx), std::abs(dy));
        set_function(x, y, dist != 2 && dist != 4);
      }
    }
  }
  void alignment(int cx, int cy) {
    for (int dy = -2; dy <= 2; ++dy) {
      for (int dx = -2; dx <= 2; ++dx) set_function(cx + dx, cy + dy, std::max(std::abs(dx), std::abs(dy)) != 1);
    }
  }
  // Versions 7 and up carry their number, BCH(18,6)-protected, beside two finders.
  void version_bits() {
    if (version_ < 7) return;
    int rem = version_;
    for (int i = 0; i < 12; ++i) rem = (rem << 1) ^ ((rem >> 11) * 0x1F25);
    long bits = (static_cast<long>(version_) << 12) | rem;
    for (int i = 0; i < 18; ++i) {
      bool bit = (bits >> i) & 1;
      int a = size_ - 11 + i % 3, b = i / 3;
      set_function(a, b, bit);
      set_function(b, a, bit);
    }
  }

  int version_;
  int size_;
  std::vector<std::vector<bool>> dark_;
  std::vector<std::vector<bool>> function_;
};

}  // namespace

}  // namespace latchkey::cli

namespace latchkey::detail {

long qr_penalty(const std::vector<std::vector<bool>>& dark) {
  const int size = static_cast<int>(dark.size());
  long score = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (int a = 0; a < size; ++a) {
      int run = 1;
      for (int b = 1; b < size; ++b) {
        bool same = pass == 0 ? dark[a][b] == dark[a][b - 1] : dark[b][a] == dark[b - 1][a];
        if (same) {
          ++run;
          if (run == 5) score += 3;
          else if (run > 5) score += 1;
        } else {
          run = 1;
        }
      }
    }
  }
  int dark_modules = 0;
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      dark_modules += dark[y][x];
      if (y + 1 < size && x + 1 < size && dark[y][x] == dark[y][x + 1] && dark[y][x] == dark[y + 1][x] &&
          dark[y][x] == dark[y + 1][x + 1]) {
        score += 3;
      }
    }
  }
  int total = size * size;
  score += static_cast<long>(std::abs(dark_modules * 20 - total * 10) / total) * 10;
  return score;
}

}  // namespace latchkey::detail

namespace latchkey::cli {

std::optional<QrCode> qr_encode(const std::string& text, int mask) {
  // The smallest version whose data capacity holds mode (4 bits), count and the bytes.
  int version = 1;
  for (; version <= 10; ++version) {
    const Blocks& b = kLevelM[version];
    int capacity_bits = (b.g1_blocks * b.g1_data + b.g2_blocks * b.g2_data) * 8;
    int count_bits = version <= 9 ? 8 : 16;
    if (4 + count_bits + static_cast<long>(text.size()) * 8 <= capacity_bits) break;
  }
  if (version > 10) return std::nullopt;
  const Blocks& b = kLevelM[version];
  const std::size_t capacity = static_cast<std::size_t>(b.g1_blocks * b.g1_data + b.g2_blocks * b.g2_data);

  // The bit stream: byte mode, count, data, terminator, then pad to the capacity.
  std::vector<bool> bits;
  auto append = [&bits](unsigned value, int n) {
    for (int i = n - 1; i >= 0; --i) bits.push_back(((value >> i) & 1) != 0);
  };
  append(0x4, 4);
  append(static_cast<unsigned>(text.size()), version <= 9 ? 8 : 16);
  for (unsigned char c : text) append(c, 8);
  append(0, static_cast<int>(std::min<std::size_t>(4, capacity * 8 - bits.size())));
  while (bits.size() % 8 != 0) bits.push_back(false);
  std::vector<std::uint8_t> data;
  for (std::size_t i = 0; i < bits.size(); i += 8) {
    std::uint8_t byte = 0;
    for (int j = 0; j < 8; ++j) byte = static_cast<std::uint8_t>((byte << 1) | bits[i + j]);
    data.push_back(byte);
  }
  for (std::uint8_t pad = 0xEC; data.size() < capacity; pad ^= 0xEC ^ 0x11) data.push_back(pad);

  // Split into blocks, add error correction to each, and interleave column by column.
  std::vector<std::vector<std::uint8_t>> blocks, ecc;
  std::size_t at = 0;
  for (int i = 0; i < b.g1_blocks + b.g2_blocks; ++i) {
    std::size_t n = static_cast<std::size_t>(i < b.g1_blocks ? b.g1_data : b.g2_data);
    blocks.emplace_back(data.begin() + static_cast<long>(at), data.begin() + static_cast<long>(at + n));
    ecc.push_back(reed_solomon(blocks.back(), b.ec_per_block));
    at += n;
  }
  std::vector<std::uint8_t> codewords;
  std::size_t longest = static_cast<std::size_t>(b.g2_blocks ? b.g2_data : b.g1_data);
  for (std::size_t i = 0; i < longest; ++i) {
    for (const auto& block : blocks) {
      if (i < block.size()) codewords.push_back(block[i]);
    }
  }
  for (int i = 0; i < b.ec_per_block; ++i) {
    for (const auto& block : ecc) codewords.push_back(block[static_cast<std::size_t>(i)]);
  }

  Matrix base(version);
  base.draw_function_patterns();
  base.draw_codewords(codewords);
  int best = mask;
  if (best < 0) {
    long lowest = -1;
    for (int m = 0; m < 8; ++m) {
      Matrix trial = base;
      trial.apply_mask(m);
      trial.format_bits(m);
      long p = trial.penalty();
      if (lowest < 0 || p < lowest) {
        lowest = p;
        best = m;
      }
    }
  }
  base.apply_mask(best);
  base.format_bits(best);
  return QrCode{version, best, base.dark()};
}

std::optional<std::string> qr_terminal(const std::string& text) {
  auto qr = qr_encode(text);
  if (!qr) return std::nullopt;
  const int quiet = 2;
  const int size = static_cast<int>(qr->dark.size());
  auto light = [&](int y, int x) {
    if (y < 0 || x < 0 || y >= size || x >= size) return true;
    return !qr->dark[y][x];
  };
  std::string out;
  for (int y = -quiet; y < size + quiet; y += 2) {
    for (int x = -quiet; x < size + quiet; ++x) {
      bool top = light(y, x), bottom = light(y + 1, x);
      out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
    }
    out += "\n";
  }
  return out;
}

}  // namespace latchkey::cli
