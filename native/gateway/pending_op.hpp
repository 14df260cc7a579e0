// Operations that wait without a thread. A core operation may ask to wait until a deadline
// (refresh backoff, a peer's refresh lease: a wait effect, effects.hpp). latchkeyd's threads
// serve every client, so none may sleep inside an operation: a handler runs its operation with
// run_or_park, which answers at once when the operation finishes without waiting, and otherwise
// returns a pending ApiResponse — the operation, its deadline and how to turn its result into the
// answer. The worker (worker.cpp) then gives back its Host and its thread, parks the operation
// on the Alarms timer (alarms.hpp) and, at the deadline, resumes it on any worker thread with
// any free Host (OperationBase::rebind): resume_pending.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "api.hpp"

namespace latchkey::gateway {

struct PendingOp {
  std::shared_ptr<OperationBase> op;  ///< Waiting: resume it with an empty result at until_ms.
  std::int64_t until_ms = 0;          ///< In Host::now_ms's clock.
  std::optional<native::Host::Streams> streams;  ///< The proxy's body and response (outlive the op).
  /// Once `op` has finished: the answer (pending again when it runs a further operation).
  std::function<ApiResponse(native::Host&)> finish;
};

/// A pending answer for `op`, which advance() left waiting at `wait`.
ApiResponse park(std::shared_ptr<OperationBase> op, const Effect& wait, const native::Host::Streams* streams,
                 std::function<ApiResponse(native::Host&)> finish);

/// Starts `op` with `host` and performs its effects: finish(host, result) at once when it ends
/// without waiting, else a pending answer that finishes the same way later, maybe with another Host.
template <class T>
ApiResponse run_or_park(native::Host& host, std::unique_ptr<Operation<T>> op,
                        std::function<ApiResponse(native::Host&, const Result<T>&)> finish,
                        const native::Host::Streams* streams = nullptr) {
  std::shared_ptr<Operation<T>> shared(std::move(op));
  const Effect* wait = host.advance(*shared, shared->start(native::Host::now_ms()), streams);
  if (!wait) return finish(host, shared->result());
  auto done = [shared, finish = std::move(finish)](native::Host& h) { return finish(h, shared->result()); };
  return park(shared, *wait, streams, std::move(done));
}

/// Resumes `p` with `host` (on the calling thread, which owns `host` until this returns): the
/// answer once its operation ends, or pending again (a new deadline, or its finish started
/// another operation that waits).
ApiResponse resume_pending(native::Host& host, std::shared_ptr<PendingOp> p);

/// after(host, r) once `r` is an answer: at once when it is one, else when its operation ends.
ApiResponse then(native::Host& host, ApiResponse r, std::function<ApiResponse(native::Host&, ApiResponse)> after);

}  // namespace latchkey::gateway
