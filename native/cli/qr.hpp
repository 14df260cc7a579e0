// A small QR code encoder (ISO/IEC 18004) for `connect --device`: byte mode, error correction
// level M, versions 1-10 (up to 213 bytes: enough for any verification URL worth scanning).
// No dependency: Debian's libqrencode is C and would be the CLI's only use for it.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace latchkey::cli {

struct QrCode {
  int version = 0;
  int mask = 0;
  std::vector<std::vector<bool>> dark;  ///< [row][column], true = dark module; size 17 + 4 * version.
};

/// Encodes `text` as bytes. `mask` 0-7 forces a mask pattern (tests); -1 picks the one with the
/// lowest penalty. nullopt when the text is longer than version 10 holds.
std::optional<QrCode> qr_encode(const std::string& text, int mask = -1);

/// The code drawn with Unicode half blocks, two module rows per line, light modules as blocks
/// (for the usual light-on-dark terminal) and a 2-module quiet zone. nullopt if it does not fit.
std::optional<std::string> qr_terminal(const std::string& text);

}  // namespace latchkey::cli

namespace latchkey::detail {

/// The mask penalty qr_encode minimises for a finished symbol (`dark` as in QrCode): N1 (runs),
/// N2 (2x2 blocks) and N4 (balance) of ISO/IEC 18004 §7.8.3. N3 (finder-like runs) is left out:
/// any mask decodes, the score only steers towards an easier scan.
long qr_penalty(const std::vector<std::vector<bool>>& dark);

}  // namespace latchkey::detail
