#include "signer_cache.hpp"

#include <chrono>

#include "keys.hpp"

namespace latchkey::gateway {
namespace {

constexpr std::size_t kMaxEntries = 10000;  // bounded: past it, the cache starts over

std::int64_t steady_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Result<std::unique_ptr<SignerCache>> SignerCache::open(const std::string& store_path) {
  auto store = native::open_store(store_path);
  if (!store) return store.error();
  auto version = (*store)->data_version();
  if (!version) return version.error();
  std::unique_ptr<SignerCache> cache(new SignerCache(std::move(*store)));
  cache->version_ = *version;
  cache->checked_at_us_ = steady_us();
  return cache;
}

SignerCache::SignerCache(std::unique_ptr<native::Store> store) : store_(std::move(store)) {}

std::string SignerCache::key_of(const ConnectionRef& ref) {
  std::string key = ref.principal;
  key += '\0';
  key += ref.provider;
  key += '\0';
  key += ref.account;
  return key;
}

std::uint64_t SignerCache::current_epoch() {
  const std::int64_t now = steady_us();
  if (now - checked_at_us_.load(std::memory_order_relaxed) < kRecheckMs * 1000) return epoch_.load();
  std::unique_lock<std::mutex> lock(check_mu_, std::try_to_lock);
  // Another thread is asking the store right now: what it learns is at most that old anyway.
  if (!lock.owns_lock()) return epoch_.load();
  checked_at_us_ = now;
  auto version = store_->data_version();
  if (!version || *version != version_) {
    ++epoch_;  // an unreadable version counts as a change: the workers' store reads will say why
    keys_changed();  // a key may have been revoked or rotated by another process
    if (version) version_ = *version;
  }
  return epoch_.load();
}

std::shared_ptr<const RequestSigner> SignerCache::find(const ConnectionRef& asked, std::int64_t now_ms) {
  const std::uint64_t epoch = current_epoch();
  std::shared_lock lock(mu_);
  auto it = entries_.find(key_of(asked));
  if (it == entries_.end() || it->second.epoch != epoch) return nullptr;
  const RequestSigner& s = *it->second.signer;
  if (s.fresh_until_ms != 0 && now_ms >= s.fresh_until_ms) return nullptr;
  return it->second.signer;
}

std::uint64_t SignerCache::epoch() { return current_epoch(); }

void SignerCache::put(const ConnectionRef& asked, RequestSigner signer, std::uint64_t epoch) {
  if (epoch != current_epoch()) return;
  auto shared = std::make_shared<const RequestSigner>(std::move(signer));
  std::unique_lock lock(mu_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[key_of(asked)] = Entry{std::move(shared), epoch};
}

void SignerCache::forget(const ConnectionRef& asked) {
  std::unique_lock lock(mu_);
  entries_.erase(key_of(asked));
}

}  // namespace latchkey::gateway
