#include "metrics.hpp"

#include "proxy.hpp"

#include <cstdio>

namespace latchkey::gateway {
namespace {
constexpr double kBounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
}

namespace {

// Counters by name and status; the name is only copied the first time it is seen.
void bump(std::map<std::string, std::map<int, std::uint64_t>, std::less<>>& counters, std::string_view name,
          int status) {
  auto it = counters.find(name);
  if (it == counters.end()) it = counters.emplace(std::string(name), std::map<int, std::uint64_t>{}).first;
  ++it->second[status];
}

}  // namespace

void Metrics::observe(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  observe_locked(route, status, seconds);
}

void Metrics::observe_locked(std::string_view route, int status, double seconds) {
  bump(requests_, route, status);
  for (int i = 0; i < kBuckets; ++i) {
    if (seconds <= kBounds[i]) {
      ++buckets_[i];
      break;
    }
  }
  ++count_;
  sum_ += seconds;
}

void Metrics::count_refresh() {
  std::lock_guard<std::mutex> lock(mu_);
  ++refreshes_;
}

void Metrics::count_error(const std::string& route, const std::string& code) {
  std::lock_guard<std::mutex> lock(mu_);
  if (code == "storage") ++store_errors_;
  // Only these routes refresh; an error there other than the caller's own mistake is a failed refresh.
  const bool refreshing = route == "/v1/connections/{id}/token" || route == kProxyRoute;
  if (refreshing && (code == "invalid_grant" || code == "needs_reauth" || code == "provider_error" ||
                     code == "transport" || code == "malformed_response" || code == "rate_limited")) {
    ++refresh_failures_[code];
  }
}

void Metrics::count_proxy(const std::string& provider, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  bump(proxied_, provider, status);
}

void Metrics::observe_loop_proxy(std::string_view route, const std::string& provider, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  observe_locked(route, status, seconds);
  bump(proxied_, provider, status);
  ++proxied_by_loop_;
}

void Metrics::count_log_lines_dropped(std::uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  log_lines_dropped_ += n;
}

void Metrics::count_key_failure() {
  std::lock_guard<std::mutex> lock(mu_);
  ++key_failures_;
}

void Metrics::count_key_throttled() {
  std::lock_guard<std::mutex> lock(mu_);
  ++key_throttled_;
}

namespace {
std::string label_value(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}
}  // namespace

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  char line[256];
  out += "# HELP latchkeyd_requests_total HTTP requests handled, by route template and status.\n";
  out += "# TYPE latchkeyd_requests_total counter\n";
  // Route labels are our own templates (never client input), so they need no escaping.
  for (const auto& [route, by_status] : requests_) {
    for (const auto& [status, n] : by_status) {
      std::snprintf(line, sizeof line, "latchkeyd_requests_total{route=\"%s\",status=\"%d\"} %llu\n", route.c_str(),
                    status, static_cast<unsigned long long>(n));
      out += line;
    }
  }
  out += "# HELP latchkeyd_request_duration_seconds Time from a request's last byte to its response.\n";
  out += "# TYPE latchkeyd_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (int i = 0; i < kBuckets; ++i) {
    cumulative += buckets_[i];
    std::snprintf(line, sizeof line, "latchkeyd_request_duration_seconds_bucket{le=\"%g\"} %llu\n", kBounds[i],
                  static_cast<unsigned long long>(cumulative));
    out += line;
  }
  std::snprintf(line, sizeof line,
                "latchkeyd_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                "latchkeyd_request_duration_seconds_sum %.6f\nlatchkeyd_request_duration_seconds_count %llu\n",
                static_cast<unsigned long long>(count_), sum_, static_cast<unsigned long long>(count_));
  out += line;
  out += "# HELP latchkeyd_refreshes_total Access tokens refreshed while serving token requests.\n";
  out += "# TYPE latchkeyd_refreshes_total counter\n";
  std::snprintf(line, sizeof line, "latchkeyd_refreshes_total %llu\n", static_cast<unsigned long long>(refreshes_));
  out += line;
  out += "# HELP latchkeyd_refresh_failures_total Token refreshes that failed, by the core's error code.\n";
  out += "# TYPE latchkeyd_refresh_failures_total counter\n";
  for (const auto& [code, n] : refresh_failures_) {
    out += "latchkeyd_refresh_failures_total{code=\"" + code + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP latchkeyd_store_errors_total Requests that failed because the store could not be read or written.\n";
  out += "# TYPE latchkeyd_store_errors_total counter\n";
  out += "latchkeyd_store_errors_total " + std::to_string(store_errors_) + "\n";
  out += "# HELP latchkeyd_proxy_requests_total Requests proxied to a provider's API, by provider and status answered.\n";
  out += "# TYPE latchkeyd_proxy_requests_total counter\n";
  for (const auto& [provider, by_status] : proxied_) {
    for (const auto& [status, n] : by_status) {
      out += "latchkeyd_proxy_requests_total{provider=\"" + label_value(provider) + "\",status=\"" +
             std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP latchkeyd_proxy_loop_requests_total Proxied requests an event loop sent itself, signed from memory "
         "(the others went through a worker thread and the store).\n";
  out += "# TYPE latchkeyd_proxy_loop_requests_total counter\n";
  out += "latchkeyd_proxy_loop_requests_total " + std::to_string(proxied_by_loop_) + "\n";
  out += "# HELP latchkeyd_access_log_lines_dropped_total Access-log lines dropped because stderr was not being read.\n";
  out += "# TYPE latchkeyd_access_log_lines_dropped_total counter\n";
  out += "latchkeyd_access_log_lines_dropped_total " + std::to_string(log_lines_dropped_) + "\n";
  out += "# HELP latchkeyd_api_key_failures_total Requests with an API key that is not valid.\n";
  out += "# TYPE latchkeyd_api_key_failures_total counter\n";
  out += "latchkeyd_api_key_failures_total " + std::to_string(key_failures_) + "\n";
  out += "# HELP latchkeyd_api_key_throttled_total Keyed requests refused (429) because their address sent too many "
         "keys that are not valid.\n";
  out += "# TYPE latchkeyd_api_key_throttled_total counter\n";
  out += "latchkeyd_api_key_throttled_total " + std::to_string(key_throttled_) + "\n";
  return out;
}

}  // namespace latchkey::gateway
