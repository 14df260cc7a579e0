#include "access_log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "host/host.hpp"
#include "latchkey/json.hpp"

namespace latchkey::gateway {

// Formatted by hand (it is written for every request): the method is an HTTP token and the route
// one of our templates; only the principal needs JSON's escaping.
std::string access_log_line(const std::string& method, const std::string& route, int status, double ms,
                            const std::string& principal, const std::string& client) {
  char numbers[160];
  const int n = std::snprintf(numbers, sizeof numbers, ",\"status\":%d,\"ms\":%lld,\"us\":%lld,\"principal\":",
                              status, static_cast<long long>(ms + 0.5), static_cast<long long>(ms * 1000));
  std::string line = "{\"ts_ms\":" + std::to_string(native::Host::now_ms()) + ",\"method\":\"" + method +
                     "\",\"route\":\"" + route + "\"";
  line.append(numbers, static_cast<std::size_t>(n));
  line += principal.empty() ? "null" : serialize_json(JsonValue(principal));
  line += ",\"client\":";
  line += client.empty() ? "null" : serialize_json(JsonValue(client));
  line += "}\n";
  return line;
}

AccessLog::AccessLog(Metrics& metrics) : metrics_(metrics), writer_([this] { run(); }) {}

AccessLog::~AccessLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void AccessLog::submit(const std::string& lines) {
  if (lines.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queued_.size() + lines.size() > kMaxQueued) {
      metrics_.count_log_lines_dropped(static_cast<std::uint64_t>(std::count(lines.begin(), lines.end(), '\n')));
      return;
    }
    queued_ += lines;
  }
  wake_.notify_one();
}

void AccessLog::run() {
  std::string writing;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return !queued_.empty() || closing_; });
    if (queued_.empty() && closing_) return;
    writing.swap(queued_);
    lock.unlock();
    std::size_t at = 0;
    while (at < writing.size()) {
      const ssize_t n = ::write(STDERR_FILENO, writing.data() + at, writing.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr is gone: nothing to tell
      at += static_cast<std::size_t>(n);
    }
    writing.clear();
    lock.lock();
  }
}

}  // namespace latchkey::gateway
