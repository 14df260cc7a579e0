// The monotonic clock the native hosts time their deadlines with (the wall clock, for what the
// core is told, is Host::now_ms).
#pragma once

#include <chrono>
#include <cstdint>

namespace latchkey::native {

/// Milliseconds on the steady clock: only differences mean anything (deadlines, durations).
inline std::int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace latchkey::native
