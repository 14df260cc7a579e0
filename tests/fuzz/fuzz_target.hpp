// What every harness shares: the entry point each one defines, and the check that turns a broken
// invariant into a crash libFuzzer (and the regression test, tests/core/fuzz_regressions_test.cpp)
// reports. A harness file defines `latchkey::fuzz::<name>(data, size)`; built as a harness
// (LATCHKEY_FUZZ_HARNESS), it also defines libFuzzer's entry point calling it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "latchkey/result.hpp"

namespace latchkey::fuzz {

/// Aborts with `what` when `ok` is false: a broken invariant is a finding like a sanitizer's.
inline void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

/// The fuzz input split at the first `n` newlines: fields first, the rest (which may hold
/// newlines) last. Missing fields are empty. Harness inputs are text so seeds stay readable.
template <std::size_t N>
struct Lines {
  std::string_view field[N];
  std::string_view rest;
};
template <std::size_t N>
Lines<N> split_lines(const std::uint8_t* data, std::size_t size) {
  Lines<N> out;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (std::size_t i = 0; i < N; ++i) {
    auto nl = in.find('\n');
    out.field[i] = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  }
  out.rest = in;
  return out;
}

/// True for a character percent-encoded text may hold: RFC 3986's unreserved ones and '%'.
inline bool percent_encoded_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '%';
}

/// True for well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
inline bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (n == 9 || s.size() - i <= n) return false;
    std::uint32_t cp = n == 0 ? c : c & (0x3f >> n);
    for (std::size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static const std::uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

/// What every error message promises (result.hpp, provider_text.hpp): a non-empty sentence of
/// valid UTF-8 without control characters (it reaches logs and terminals), of bounded length.
/// `caller_controls`: the caller's own request held control characters, which a message may
/// echo (what the caller sent is the caller's to show); text from servers never may.
inline void check_message(const std::string& message, bool caller_controls = false) {
  bool controls = false;
  for (char ch : message) controls |= static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
  const char* broken = message.empty()                ? "an error without a message"
                       : message.size() > 4096        ? "an error message longer than 4 KiB"
                       : !valid_utf8(message)         ? "an error message that is not UTF-8"
                       : controls && !caller_controls ? "an error message with a control character"
                                                      : nullptr;
  if (broken == nullptr) return;
  std::fprintf(stderr, "the message: ");
  for (char ch : message.substr(0, 600)) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) std::fputc(c, stderr);
    else std::fprintf(stderr, "\\x%02x", c);
  }
  std::fprintf(stderr, "\n");
  check(false, broken);
}

/// An error from bad input: check_message's promises, and never `internal` (a bug in latchkey).
inline void check_error(const Error& e) {
  check(e.code != ErrorCode::internal, "an internal error from input (a bug, not bad input)");
  check_message(e.message);
}

}  // namespace latchkey::fuzz

#ifdef LATCHKEY_FUZZ_HARNESS
#define LATCHKEY_FUZZ_ENTRY(name)                                                        \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    latchkey::fuzz::name(data, size);                                                    \
    return 0;                                                                            \
  }
#else
#define LATCHKEY_FUZZ_ENTRY(name)
#endif
