// The effect loop. An operation is a small state machine:
//
//   const Effect* e = op->start(now_ms);
//   while (e) { EffectResult r = host_performs(*e); e = op->resume(r, now_ms); }
//   Result<T> result = op->result();
//
// The host may take as long as it likes between start/resume (async fetch, KV storage); the
// operation keeps its own state. The clock is an input: pass the host's current unix time in ms
// on every call. An operation must not outlive the Engine that made it, or the one it was last
// rebound to (the C ABI's lk_op keeps its engine alive instead: latchkey.h).
//
// A wait effect (effects.hpp) is a deadline, not a duration: an event-driven host keeps the
// operation aside, with no thread, and resumes it once its timer reaches `until_ms`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "latchkey/effects.hpp"
#include "latchkey/result.hpp"

namespace latchkey {

class Engine;
namespace detail {
struct Steps;
}

class OperationBase {
 public:
  explicit OperationBase(Engine& engine) : engine_(&engine) {}
  virtual ~OperationBase() = default;
  OperationBase(const OperationBase&) = delete;
  OperationBase& operator=(const OperationBase&) = delete;

  /// Begins the operation. Returns the first effect to perform, or nullptr if it finished at once.
  const Effect* start(std::int64_t now_ms);
  /// Hands back the result of the last effect. Returns the next effect, or nullptr when finished.
  /// Calling it when no effect is pending is a no-op returning nullptr.
  const Effect* resume(const EffectResult& result, std::int64_t now_ms);
  bool finished() const { return finished_; }
  /// Moves the operation, between effects, to `engine`: from then on it seals, opens and draws
  /// random bytes with that one. For a host with a pool of engines that lets go of its engine
  /// while an operation waits (latchkeyd) and resumes it with whichever is free. `engine` must
  /// be made from the same EngineConfig keys (else sealed values do not open: a crypto error
  /// from the operation), must outlive the operation, and must not be in use by another thread
  /// while this operation runs. Cannot fail.
  void rebind(Engine& engine);

 protected:
  using Continuation = std::function<void(const EffectResult&)>;
  /// The operation's first step.
  virtual void run() = 0;
  /// Asks the host for `effect`; `next` runs with its result.
  void request(Effect effect, Continuation next);
  /// Runs `child` to completion, forwarding its effects, then calls `next`.
  void delegate(std::shared_ptr<OperationBase> child, std::function<void()> next);
  void mark_finished() { finished_ = true; }
  /// An error as it may leave the core: its texts quote names and values from stores, callers and
  /// providers, so they are made printable here, once (valid UTF-8, no control characters), and
  /// its advice names the engine's surface's calls (EngineConfig::surface).
  Error leaving(Error error) const;
  std::int64_t now_ms() const { return now_ms_; }
  Engine& engine() { return *engine_; }

 private:
  friend struct detail::Steps;
  void pump(std::shared_ptr<OperationBase> child, const Effect* effect, std::function<void()> next);

  Engine* engine_;
  std::shared_ptr<OperationBase> child_;  ///< The delegated operation whose effect is pending, if any.
  std::int64_t now_ms_ = 0;
  bool finished_ = false;
  bool pending_ = false;
  Effect effect_;
  Continuation next_;
};

/// An operation producing a T.
template <class T>
class Operation : public OperationBase {
 public:
  using OperationBase::OperationBase;
  /// The outcome; only valid once finished() (an unfinished operation reports internal).
  const Result<T>& result() const {
    static const Result<T> unfinished = make_error(ErrorCode::internal, "the operation has not finished");
    return result_ ? *result_ : unfinished;
  }

 protected:
  void succeed(T value) { result_.emplace(std::move(value)); mark_finished(); }
  void fail(Error error) { result_.emplace(this->leaving(std::move(error))); mark_finished(); }

 private:
  std::optional<Result<T>> result_;
};

}  // namespace latchkey
