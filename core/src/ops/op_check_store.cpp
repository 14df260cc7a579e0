// A store's health under the engine's master keys: every sealed secret of every record opened
// (and wiped at once), for `latchkeyd store check` and any host that moves or restores a store.
#include "crypto.hpp"
#include "json.hpp"
#include "ops.hpp"
#include "seal.hpp"

namespace latchkey::detail {
namespace {

const SealedFields* sealed_fields_of(const std::string& key) {
  for (const auto& s : sealed_record_fields()) {
    if (key.compare(0, std::string(s.prefix).size(), s.prefix) == 0) return &s;
  }
  return nullptr;
}

class CheckStore : public Operation<StoreCheck> {
 public:
  explicit CheckStore(Engine& e) : Operation(e) {}

 private:
  void run() override {
    // Everything in one list rather than a list per kind: one snapshot of the whole store.
    Steps::list(*this, "", [this](Result<std::vector<StoreRecord>> r) {
      if (!r) return fail(r.error());
      StoreCheck result;
      for (const StoreRecord& rec : *r) {
        ++result.records[rec.key.substr(0, rec.key.find('/'))];
        const SealedFields* sealed = sealed_fields_of(rec.key);
        if (!sealed) continue;
        std::string problem = open_all(rec, *sealed, result.opened);
        if (!problem.empty()) result.failed.push_back({rec.key, std::move(problem)});
      }
      succeed(std::move(result));
    });
  }

  // "" when every sealed field of `rec` opens, else what is wrong with the first that does not.
  std::string open_all(const StoreRecord& rec, const SealedFields& sealed, int& opened) {
    auto parsed = json::parse(rec.value, "a stored record");
    if (!parsed || !parsed->is<json::Object>()) return "not a JSON object";
    const json::Object& o = parsed->get<json::Object>();
    for (const char* field : sealed.fields) {
      auto it = o.find(field);
      if (it == o.end()) continue;
      if (!it->second.is<std::string>()) return std::string(field) + " is not a string";
      const std::string& value = it->second.get<std::string>();
      if (value.empty()) continue;  // no such secret (a public client, no refresh token)
      auto plain = engine().sealer().open(seal_place(rec.key, field), value);
      if (!plain) {
        return std::string(field) + " does not open under the master key (sealed under another key, or altered or moved)";
      }
      wipe(*plain);
      ++opened;
    }
    return "";
  }
};

}  // namespace
}  // namespace latchkey::detail

namespace latchkey {

std::unique_ptr<Operation<StoreCheck>> Engine::check_store() { return std::make_unique<detail::CheckStore>(*this); }

}  // namespace latchkey
