// Master key rotation: re-seals every secret field still sealed under an older key version,
// record by record with compare-and-swap, so a rotation can run while the system is in use.
#include "crypto.hpp"
#include "json.hpp"
#include "ops.hpp"
#include "seal.hpp"

namespace latchkey::detail {
namespace {

class Reseal : public Operation<ResealResult> {
 public:
  explicit Reseal(Engine& e) : Operation(e) {}

 private:
  void run() override { next_prefix(0); }

  void next_prefix(std::size_t i) {
    if (i == sealed_record_fields().size()) return succeed(result_);
    Steps::list(*this, sealed_record_fields()[i].prefix, [this, i](Result<std::vector<StoreRecord>> r) {
      if (!r) return fail(r.error());
      batch_ = std::move(*r);
      next_record(i, 0);
    });
  }

  // Walks the batch in a loop (no recursion per record: stores can be large and wasm stacks
  // small) and only leaves it to ask the host for a compare-and-swap.
  void next_record(std::size_t prefix, std::size_t j) {
    const Sealer& sealer = engine().sealer();
    for (; j < batch_.size(); ++j) {
      const StoreRecord& rec = batch_[j];
      auto parsed = json::parse(rec.value, "a stored record");
      if (!parsed || !parsed->is<json::Object>()) {
        ++result_.failed;
        continue;
      }
      json::Object o = parsed->get<json::Object>();
      bool changed = false, failed = false;
      for (const char* field : sealed_record_fields()[prefix].fields) {
        const std::string* sealed = json::get_string(o, field);
        if (!sealed || sealed->empty() || Sealer::key_version(*sealed) == sealer.current_version()) continue;
        auto plain = sealer.open(seal_place(rec.key, field), *sealed);
        if (!plain) {
          failed = true;
          break;
        }
        o[field] = json::Value(sealer.seal(seal_place(rec.key, field), *plain, engine().drbg()));
        changed = true;
      }
      if (failed) {
        ++result_.failed;
        continue;
      }
      if (!changed) continue;
      return Steps::cas(*this, rec.key, json::serialize(json::Value(o)), rec.version,
                        [this, prefix, j](Result<std::int64_t> w) {
                          if (w) ++result_.resealed;
                          else if (w.error().code == ErrorCode::conflict) ++result_.skipped;  // changed meanwhile: run again
                          else return fail(w.error());
                          next_record(prefix, j + 1);
                        });
    }
    next_prefix(prefix + 1);
  }

  std::vector<StoreRecord> batch_;
  ResealResult result_;
};

}  // namespace

namespace {

// "meta/key-check/<version>": one record per master key version, written by the first engine
// that uses that version and compared by every later one.
class CheckMasterKey : public Operation<Ok> {
 public:
  explicit CheckMasterKey(Engine& e) : Operation(e), checks_(e.sealer().key_checks()) {}

 private:
  void run() override { next(checks_.begin()); }

  using It = std::map<std::uint32_t, std::string>::const_iterator;

  void next(It it) {
    if (it == checks_.end()) return succeed(Ok{});
    std::string key = "meta/key-check/" + std::to_string(it->first);
    Steps::get(*this, key, [this, it, key](Result<std::optional<StoreRecord>> r) {
      if (!r) return fail(r.error());
      if (!*r) {
        // A concurrent first writer makes this conflict: read again and compare.
        return Steps::cas(*this, key, it->second, 0, [this, it](Result<std::int64_t> w) {
          if (!w && w.error().code != ErrorCode::conflict) return fail(w.error());
          next(w ? std::next(it) : it);
        });
      }
      if (!constant_time_equal((*r)->value, it->second)) {
        return fail(make_error(ErrorCode::crypto, "master key version " + std::to_string(it->first) +
                                                      " is not the key this store was sealed with; restore the "
                                                      "right key (nothing was changed)"));
      }
      next(std::next(it));
    });
  }

  std::map<std::uint32_t, std::string> checks_;
};

}  // namespace

}  // namespace latchkey::detail

namespace latchkey {

std::unique_ptr<Operation<ResealResult>> Engine::reseal() { return std::make_unique<detail::Reseal>(*this); }
std::unique_ptr<Operation<Ok>> Engine::check_master_key() {
  return std::make_unique<detail::CheckMasterKey>(*this);
}

}  // namespace latchkey
