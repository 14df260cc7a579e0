#include "latchkey/operation.hpp"

#include "latchkey/advice.hpp"
#include "latchkey/engine.hpp"
#include "text.hpp"

namespace latchkey {

Error OperationBase::leaving(Error error) const {
  error.message = detail::clean(advice_for(error.message, engine_->config().surface), 2048);
  error.provider_code = detail::clean(error.provider_code, detail::kMaxProviderText);
  error.provider_description = detail::clean(error.provider_description, detail::kMaxProviderText);
  return error;
}

const Effect* OperationBase::start(std::int64_t now_ms) {
  now_ms_ = now_ms;
  if (finished_ || pending_) return pending_ ? &effect_ : nullptr;
  run();
  return pending_ ? &effect_ : nullptr;
}

const Effect* OperationBase::resume(const EffectResult& result, std::int64_t now_ms) {
  if (!pending_) return nullptr;
  now_ms_ = now_ms;
  pending_ = false;
  Continuation next = std::move(next_);
  next_ = nullptr;
  next(result);
  return pending_ ? &effect_ : nullptr;
}

void OperationBase::request(Effect effect, Continuation next) {
  effect_ = std::move(effect);
  next_ = std::move(next);
  pending_ = true;
}

void OperationBase::delegate(std::shared_ptr<OperationBase> child, std::function<void()> next) {
  const Effect* first = child->start(now_ms_);
  pump(std::move(child), first, std::move(next));
}

void OperationBase::rebind(Engine& engine) {
  engine_ = &engine;
  if (child_) child_->rebind(engine);
}

void OperationBase::pump(std::shared_ptr<OperationBase> child, const Effect* effect, std::function<void()> next) {
  if (!effect) {
    child_.reset();
    next();
    return;
  }
  child_ = child;  // the child asking now: rebind moves it too
  request(*effect, [this, child, next](const EffectResult& r) {
    const Effect* following = child->resume(r, now_ms_);
    pump(child, following, next);
  });
}

const char* to_string(EffectKind kind) {
  switch (kind) {
    case EffectKind::http: return "http";
    case EffectKind::store_get: return "store.get";
    case EffectKind::store_put: return "store.put";
    case EffectKind::store_cas: return "store.cas";
    case EffectKind::store_delete: return "store.delete";
    case EffectKind::store_list: return "store.list";
    case EffectKind::wait: return "wait";
  }
  return "http";
}

}  // namespace latchkey
