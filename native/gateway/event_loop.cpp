#include "event_loop.hpp"

#include <poll.h>

#include <algorithm>

#include <boost/asio/post.hpp>

#include "host/clock.hpp"
#include "session.hpp"

namespace latchkey::gateway {
namespace {

namespace asio = boost::asio;

constexpr auto kSweepEvery = std::chrono::milliseconds(250);  // how late a deadline may be noticed
constexpr auto kLogDelay = std::chrono::milliseconds(50);
constexpr std::size_t kLogBatch = 16 * 1024;
constexpr std::size_t kIdlePerOrigin = 64;
// Servers close idle keep-alive connections after a while (nginx 75 s, Node 5 s, some load
// balancers sooner); one idle longer than this is more likely closed than not, and is not kept.
constexpr std::int64_t kUpstreamIdleLifeMs = 30000;

bool too_old(const Upstream& up, std::int64_t now) { return now - up.idle_since_ms >= kUpstreamIdleLifeMs; }

/// An idle connection must have nothing to read. If it is readable the server closed it or sent
/// something unasked (a 408 as its idle timeout fired): either way that is not the answer to the
/// next request, and the connection cannot carry one (HttpsClient checks the same).
bool usable(Upstream& up, std::int64_t now) {
  if (!up.socket.is_open() || too_old(up, now)) return false;
  pollfd p{up.socket.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

}  // namespace

EventLoop::EventLoop(ServerState& state) : state_(state), sweep_timer_(ioc_), log_timer_(ioc_) {
  native::HttpsClientOptions options;
  options.ca_file = state.options.host.ca_file;
  if (auto client = native::HttpsClient::create(options)) tls_ = std::move(*client);
}

EventLoop::~EventLoop() { flush_log(); }

void EventLoop::run() {
  sweep();
  ioc_.run();
  flush_log();
}

void EventLoop::stop() { ioc_.stop(); }

void EventLoop::close_idle() {
  asio::post(ioc_, [this] {
    // close_if_idle may end a session, which removes itself from the list: walk a copy.
    std::vector<std::shared_ptr<Session>> all;
    for (Session* s : sessions_) all.push_back(s->shared_from_this());
    for (auto& s : all) s->close_if_idle();
  });
}

void EventLoop::add(Session* s) { s->where = sessions_.insert(sessions_.end(), s); }

void EventLoop::remove(Session* s) { sessions_.erase(s->where); }

void EventLoop::sweep() {
  const std::int64_t now = native::steady_ms();
  std::vector<std::shared_ptr<Session>> all;
  for (Session* s : sessions_) all.push_back(s->shared_from_this());
  for (auto& s : all) s->check_deadline(now);
  all.clear();
  for (auto it = idle_upstreams_.begin(); it != idle_upstreams_.end();) {
    auto& idle = it->second;  // oldest first: each goes to the back when kept
    idle.erase(idle.begin(), std::find_if(idle.begin(), idle.end(), [now](const auto& up) { return !too_old(*up, now); }));
    it = idle.empty() ? idle_upstreams_.erase(it) : std::next(it);
  }
  sweep_timer_.expires_after(kSweepEvery);
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) sweep();
  });
}

void EventLoop::log(const std::string& line) {
  if (log_.size() + line.size() > kLogBatch) flush_log();
  log_ += line;
  if (!log_timer_armed_) {
    log_timer_armed_ = true;
    log_timer_.expires_after(kLogDelay);
    log_timer_.async_wait([this](boost::system::error_code) {
      log_timer_armed_ = false;
      flush_log();
    });
  }
}

void EventLoop::flush_log() {
  state_.log.submit(log_);
  log_.clear();
}

std::unique_ptr<Upstream> EventLoop::take_upstream(const std::string& origin) {
  auto it = idle_upstreams_.find(origin);
  if (it == idle_upstreams_.end()) return nullptr;
  const std::int64_t now = native::steady_ms();
  auto& idle = it->second;
  while (!idle.empty()) {
    auto up = std::move(idle.back());  // the most recently used: the likeliest to be still open
    idle.pop_back();
    if (usable(*up, now)) return up;
  }
  return nullptr;
}

void EventLoop::keep_upstream(std::unique_ptr<Upstream> up) {
  up->idle_since_ms = native::steady_ms();
  auto& idle = idle_upstreams_[up->origin];
  if (idle.size() >= kIdlePerOrigin) return;  // closed
  idle.push_back(std::move(up));
}

}  // namespace latchkey::gateway
