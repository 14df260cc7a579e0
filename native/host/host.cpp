#include "host.hpp"

#include <chrono>
#include <thread>

#include "latchkey/crypto.hpp"
#include "master_key.hpp"

namespace latchkey::native {

Result<std::unique_ptr<Host>> Host::open(const HostOptions& options) {
  std::unique_ptr<Host> h(new Host);
  h->store_path_ = options.store_path.empty() ? default_store_path() : options.store_path;
  auto store = open_store(h->store_path_);
  if (!store) return store.error();
  h->store_ = std::move(*store);

  // Any record at all means a key already sealed something: never make a new key for it.
  auto existing = h->list("", 1);
  if (!existing) return existing.error();
  auto key = load_master_key(h->store_path_, !existing->empty(), options.master_key_file);
  if (!key) return key.error();

  HttpsClientOptions http_options;
  http_options.ca_file = options.ca_file;
  auto client = HttpsClient::create(http_options);
  if (!client) return client.error();
  h->http_ = std::move(*client);

  auto entropy = os_random(48);
  if (!entropy) return entropy.error();
  EngineConfig config;
  config.master_keys[key->version] = std::string(key->bytes.view());
  for (const auto& [version, bytes] : key->others) config.master_keys[version] = std::string(bytes.view());
  config.current_key_version = key->version;
  config.entropy = std::move(*entropy);
  auto engine = Engine::create(config);
  for (auto& [version, bytes] : config.master_keys) wipe(bytes);  // the engine has its own (key's go when this returns)
  wipe(config.entropy);
  if (!engine) return engine.error();
  h->engine_ = std::move(*engine);
  // A wrong key must fail here, before anything is read or written with it.
  if (auto checked = h->run(h->engine_->check_master_key()); !checked) {
    Error e = checked.error();
    if (e.code == ErrorCode::crypto) e.message = "the master key from " + key->source + " does not open " +
                                                 h->store_path_ + ": " + e.message;
    return e;
  }
  return h;
}

std::int64_t Host::now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void Host::sleep_until(std::int64_t until_ms) {
  const std::int64_t left = until_ms - now_ms();
  if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(left));
}

namespace {

EffectResult as_effect_result(AuthorizedResponse&& sent, bool* refreshed) {
  if (refreshed) *refreshed = sent.refreshed;
  EffectResult r;
  r.response = std::move(sent.response);
  r.transport_error = std::move(sent.transport_error);
  return r;
}

// What the core's hold_401 asks of a streaming host: a 401 does not reach the client (the core
// sends the request again), everything else does.
class Hold401 : public ResponseSink {
 public:
  Hold401(ResponseSink& sink, bool hold) : sink_(sink), hold_(hold) {}
  Take head(const HttpResponse& head) override {
    if (head.status == 401 && hold_) {
      held_ = true;
      return Take::discard;
    }
    return sink_.head(head);
  }
  bool data(const char* bytes, std::size_t n) override { return sink_.data(bytes, n); }
  bool flush() override { return held_ || sink_.flush(); }

 private:
  ResponseSink& sink_;
  bool hold_;
  bool held_ = false;
};

}  // namespace

Result<EffectResult> Host::authorized_request(const ConnectionRef& ref, const HttpRequest& request, bool* refreshed) {
  if (refreshed) *refreshed = false;
  auto sent = run(engine_->send_authorized(ref, request));
  if (!sent) return sent.error();
  return as_effect_result(std::move(*sent), refreshed);
}

Result<Host::Ping> Host::ping(const ConnectionRef& ref) {
  auto p = run(engine_->get_provider(ref.provider));
  if (!p) return p.error();
  auto req = ping_request(p->provider);
  if (!req) return req.error();
  auto sent = authorized_request(ref, *req);
  if (!sent) return sent.error();
  Ping out;
  out.verdict = judge_ping(p->provider, sent->response);
  out.sent = std::move(*sent);
  return out;
}

const Effect* Host::advance(OperationBase& op, const Effect* e, const Streams* streams) {
  while (e && e->kind != EffectKind::wait) {
    if (streams && streams->sink && e->kind == EffectKind::http && e->stream) {
      Hold401 gate(*streams->sink, e->hold_401);
      e = op.resume(http_->stream(e->http, streams->body, gate), now_ms());
    } else {
      e = op.resume(perform(*e), now_ms());
    }
  }
  return e;
}

namespace {

Effect store_effect(EffectKind kind, const std::string& key) {
  Effect e;
  e.kind = kind;
  e.key = key;
  return e;
}

Error store_error(const EffectResult& r) { return make_error(ErrorCode::storage, r.store_error); }

}  // namespace

Result<std::optional<StoreRecord>> Host::get(const std::string& key) {
  EffectResult r = store_->perform(store_effect(EffectKind::store_get, key));
  if (!r.store_error.empty()) return store_error(r);
  if (!r.found) return std::optional<StoreRecord>();
  return std::optional<StoreRecord>(StoreRecord{key, std::move(r.record.value), r.record.version});
}

Status Host::put(const std::string& key, const std::string& value) {
  Effect e = store_effect(EffectKind::store_put, key);
  e.value = value;
  EffectResult r = store_->perform(e);
  if (!r.store_error.empty()) return store_error(r);
  return Ok{};
}

Result<bool> Host::cas(const std::string& key, const std::string& value, std::int64_t version) {
  Effect e = store_effect(EffectKind::store_cas, key);
  e.value = value;
  e.expected_version = version;
  EffectResult r = store_->perform(e);
  if (!r.store_error.empty()) return store_error(r);
  return !r.conflict;
}

Result<bool> Host::remove(const std::string& key, std::int64_t version) {
  Effect e = store_effect(EffectKind::store_delete, key);
  e.expected_version = version;
  EffectResult r = store_->perform(e);
  if (!r.store_error.empty()) return store_error(r);
  return r.found && !r.conflict;
}

Result<std::vector<StoreRecord>> Host::list(const std::string& prefix, std::size_t limit) {
  Effect e = store_effect(EffectKind::store_list, "");
  e.prefix = prefix;
  e.limit = limit;
  EffectResult r = store_->perform(e);
  if (!r.store_error.empty()) return store_error(r);
  return std::move(r.records);
}

EffectResult Host::perform(const Effect& e) {
  switch (e.kind) {
    case EffectKind::http: {
      if (!observer_.sending) return http_->perform(e.http);
      observer_.sending(e.http);
      EffectResult r = http_->perform(e.http);
      if (observer_.answered) observer_.answered(r);
      return r;
    }
    default:
      return store_->perform(e);
  }
}

}  // namespace latchkey::native
