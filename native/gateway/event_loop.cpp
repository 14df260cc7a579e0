#include "event_loop.hpp"

#include <unistd.h>

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
  if (it == idle_upstreams_.end() || it->second.empty()) return nullptr;
  auto up = std::move(it->second.back());
  it->second.pop_back();
  return up;
}

void EventLoop::keep_upstream(std::unique_ptr<Upstream> up) {
  auto& idle = idle_upstreams_[up->origin];
  if (idle.size() >= kIdlePerOrigin) return;  // closed
  idle.push_back(std::move(up));
}

}  // namespace latchkey::gateway
