// What every store shares (store.hpp): the effect dispatch (Store::perform), the first key after a
// prefix (prefix_successor), and which store a location names: a PostgreSQL URI, or else an
// SQLite file's path (open_store).
#include "store/store.hpp"

#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace latchkey::native {

bool is_postgres_location(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<Store>> open_store(const std::string& location) {
  if (is_postgres_location(location)) {
    auto opened = PostgresStore::open(location);
    if (!opened) return opened.error();
    return std::unique_ptr<Store>(std::move(*opened));
  }
  auto opened = SqliteStore::open(location);
  if (!opened) return opened.error();
  return std::unique_ptr<Store>(std::move(*opened));
}

std::string prefix_successor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

EffectResult Store::perform(const Effect& effect) {
  EffectResult r;
  constexpr std::size_t kMaxBytes = 1000000000;
  if (effect.key.size() > kMaxBytes || effect.value.size() > kMaxBytes || effect.prefix.size() > kMaxBytes) {
    r.store_error = "a key or value of more than 1 GB cannot be kept in the store " + location();
    return r;
  }
  switch (effect.kind) {
    case EffectKind::store_get:
      get(effect, r);
      break;
    case EffectKind::store_put:
      write(effect, false, r);
      break;
    case EffectKind::store_cas:
      write(effect, true, r);
      break;
    case EffectKind::store_delete:
      remove(effect, r);
      break;
    case EffectKind::store_list:
      list(effect, r);
      break;
    case EffectKind::http:
    case EffectKind::wait:
      break;
  }
  return r;
}

}  // namespace latchkey::native
