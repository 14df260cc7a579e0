#include "pending_op.hpp"

namespace latchkey::gateway {

ApiResponse park(std::shared_ptr<OperationBase> op, const Effect& wait, const native::Host::Streams* streams,
                 std::function<ApiResponse(native::Host&)> finish) {
  auto p = std::make_shared<PendingOp>();
  p->op = std::move(op);
  p->until_ms = wait.until_ms;
  if (streams) p->streams = *streams;
  p->finish = std::move(finish);
  ApiResponse r;
  r.pending = std::move(p);
  return r;
}

ApiResponse resume_pending(native::Host& host, std::shared_ptr<PendingOp> p) {
  // The engine that started it may be serving another request now: this thread's from here on.
  p->op->rebind(host.engine());
  const native::Host::Streams* streams = p->streams ? &*p->streams : nullptr;
  const Effect* wait = host.advance(*p->op, p->op->resume({}, native::Host::now_ms()), streams);
  if (!wait) return p->finish(host);
  p->until_ms = wait->until_ms;
  ApiResponse again;
  again.pending = std::move(p);
  return again;
}

ApiResponse then(native::Host& host, ApiResponse r, std::function<ApiResponse(native::Host&, ApiResponse)> after) {
  if (!r.pending) return after(host, std::move(r));
  auto inner = std::move(r.pending->finish);
  r.pending->finish = [inner = std::move(inner), after = std::move(after)](native::Host& h) {
    return then(h, inner(h), after);
  };
  return r;
}

}  // namespace latchkey::gateway
