#include "bench_ops.hpp"

#include <cstdlib>

#include "authorization.hpp"
#include "crypto.hpp"
#include "latchkey/catalog.hpp"
#include "latchkey/pkce.hpp"
#include "latchkey/token_set.hpp"
#include "seal.hpp"

namespace latchkey::bench {

std::unique_ptr<Engine> make_engine() {
  EngineConfig cfg;
  cfg.master_keys[1] = std::string(32, 'k');
  cfg.entropy = std::string(48, 's');
  auto e = Engine::create(cfg);
  if (!e) std::abort();
  return std::move(*e);
}

StoreRecord sealed_connection(Engine& engine, const ConnectionRef& ref, const std::string& access_token,
                              const std::string& refresh_token, std::int64_t expires_at_ms, const std::string& scope) {
  std::string key = detail::connection_key(ref);
  detail::ConnectionRecord rec;
  rec.principal = ref.principal;
  rec.provider = ref.provider;
  rec.account = ref.account;
  rec.access_token_sealed = engine.sealer().seal(detail::seal_place(key, "access_token"), access_token, engine.drbg());
  rec.refresh_token_sealed = engine.sealer().seal(detail::seal_place(key, "refresh_token"), refresh_token, engine.drbg());
  rec.expires_at_ms = expires_at_ms;
  rec.scope = scope;
  return StoreRecord{key, detail::to_json(rec), 7};
}

Fixture::Fixture() : engine_(make_engine()) {
  const Provider* g = find_builtin("google");
  if (!g) std::abort();
  google_ = *g;
  connection_ = sealed_connection(*engine_, {"alice", "google", "default"}, "ya29.a0AfB_byC" + std::string(180, 'x'),
                                  "1//0g" + std::string(100, 'r'), now_ms_ + 3599 * 1000,
                                  "openid https://www.googleapis.com/auth/userinfo.email");
  short_connection_ = sealed_connection(*engine_, {"alice", "github", "default"}, "gho_" + std::string(36, 'g'),
                                        "ghr_" + std::string(36, 'r'), now_ms_ + 3599 * 1000, "repo read:user");
  token_body_ = R"({"access_token":"ya29.a0AfB_byC)" + std::string(180, 'x') +
                R"(","expires_in":3599,"refresh_token":"1//0g)" + std::string(100, 'r') +
                R"(","scope":"openid https://www.googleapis.com/auth/userinfo.email","token_type":"Bearer","id_token":"eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.)" +
                std::string(600, 'i') + R"(.sig"})";
}

std::size_t Fixture::pkce_pair() {
  auto verifier = pkce_verifier_from_random(engine_->drbg().bytes(32));
  return verifier->size() + pkce_challenge_s256(*verifier).size();
}

std::size_t Fixture::authorization_url() {
  detail::AuthorizationUrlInput in;
  in.client_id = "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com";
  in.redirect_uri = "http://127.0.0.1:53682/callback";
  in.scope = "openid email profile";
  in.state = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5";
  in.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  return detail::build_authorization_url(google_, in)->size();
}

std::size_t Fixture::token_response() {
  TokenHttpResponse r{200, "application/json; charset=utf-8", token_body_};
  auto t = parse_token_response(r, google_.token_response, now_ms_, "openid");
  return t->access_token.size();
}

std::size_t Fixture::get_valid_token() { return run_get_token(connection_, "google"); }
std::size_t Fixture::get_valid_token_short() { return run_get_token(short_connection_, "github"); }

std::size_t Fixture::run_get_token(const StoreRecord& record, const char* provider) {
  auto op = engine_->get_token({"alice", provider, "default"});
  const Effect* e = op->start(now_ms_);
  while (e) {
    EffectResult r;
    r.found = true;
    r.record = record;
    e = op->resume(r, now_ms_);
  }
  const auto& t = op->result();
  if (!t) std::abort();
  return t->access_token.size();
}

}  // namespace latchkey::bench
