// Which store a location names: a PostgreSQL URI, or else an SQLite file's path.
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

}  // namespace latchkey::native
