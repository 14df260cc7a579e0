#include "operations.hpp"

#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "results_json.hpp"
#include "text.hpp"

namespace latchkey::detail {
namespace {

// What a reader gives, without the Result it may come in.
template <class T>
struct Unwrapped {
  using type = T;
};
template <class T>
struct Unwrapped<Result<T>> {
  using type = T;
};
template <class T>
struct IsTuple : std::false_type {};
template <class... T>
struct IsTuple<std::tuple<T...>> : std::true_type {};

// make(engine, in) — or make(engine, in...) when the reader gave a tuple of arguments.
template <class Make, class In>
auto build(const Make& make, Engine& engine, In in) {
  if constexpr (IsTuple<In>::value) {
    return std::apply([&](auto&&... xs) { return std::invoke(make, engine, std::move(xs)...); }, std::move(in));
  } else {
    return std::invoke(make, engine, std::move(in));
  }
}

// One row. `read(args)` gives the arguments `make` takes after the engine (one value, a tuple
// of them, or a Result of either when the reader itself refuses the request); `make(engine,
// ...)` — usually an Engine member — builds the operation; its result is written with the
// to_value overload (results_json.hpp) for what the operation produces.
template <class Read, class Make>
OperationEntry row(std::string_view name, Read read, Make make) {
  using Read_t = std::invoke_result_t<Read&, Args&>;
  using In = typename Unwrapped<Read_t>::type;
  using Made = decltype(build(std::declval<const Make&>(), std::declval<Engine&>(), std::declval<In>()));
  using Op = typename Made::element_type;  // Operation<T>
  OperationEntry e;
  e.name = name;
  e.begin = [read, make](Engine& engine, Args& args) -> Result<std::unique_ptr<OperationBase>> {
    Read_t in = read(args);
    if constexpr (!std::is_same_v<Read_t, In>) {
      if (!in) return in.error();
      if (!args.problem().empty()) return make_error(ErrorCode::invalid_request, args.problem());
      return std::unique_ptr<OperationBase>(build(make, engine, std::move(*in)));
    } else {
      if (!args.problem().empty()) return make_error(ErrorCode::invalid_request, args.problem());
      return std::unique_ptr<OperationBase>(build(make, engine, std::move(in)));
    }
  };
  e.result = [](const OperationBase& op) { return result_value(static_cast<const Op&>(op).result()); };
  return e;
}

std::tuple<> no_args(Args&) { return {}; }

// register_provider and update_provider take the definition as JSON text.
Result<std::string> provider_document(Args& a) {
  const json::Value* p = a.raw("provider");
  if (!p || !p->is<json::Object>()) return make_error(ErrorCode::invalid_request, "'provider' must be a provider object");
  return json::serialize(*p);
}

// sign_request and send_authorized: the connection and the request to authorize.
Result<std::tuple<ConnectionRef, HttpRequest>> signed_request(Args& a) {
  a.require("provider");
  const json::Value* r = a.raw("request");
  if (!r || !r->is<json::Object>()) return make_error(ErrorCode::invalid_request, "'request' must be an object");
  Args ra(r->get<json::Object>());
  HttpRequest req;
  req.method = ra.str("method", "GET");
  req.url = ra.str("url");
  req.headers = ra.params("headers");
  req.body = ra.str("body");
  if (!ra.problem().empty()) return make_error(ErrorCode::invalid_request, "request: " + ra.problem());
  return std::tuple{a.ref(), std::move(req)};
}

DevicePollRequest device_poll_request(Args& a) {
  a.require("handle");
  DevicePollRequest r;
  r.principal = a.str("principal", "default");
  r.handle = a.str("handle");
  return r;
}

std::vector<OperationEntry> make_table() {
  std::vector<OperationEntry> t;
  // The provider registry.
  t.push_back(row("list_providers", [](Args& a) {
    ProviderFilter f;
    f.key_substrings = a.strings("search");
    f.supports_managed = a.flag("supports_managed");
    return f;
  }, &Engine::list_providers));
  t.push_back(row("get_provider", [](Args& a) { a.require("key"); return a.str("key"); }, &Engine::get_provider));
  t.push_back(row("register_provider", provider_document, &Engine::register_provider));
  t.push_back(row("update_provider", provider_document, &Engine::update_provider));
  t.push_back(row("remove_provider", [](Args& a) {
    a.require("key");
    return std::tuple{a.str("key"), a.flag("force")};
  }, &Engine::remove_provider));
  t.push_back(row("discover_provider", [](Args& a) {
    a.require("key");
    a.require("issuer");
    return std::tuple{a.str("key"), a.str("issuer"), a.flag("allow_private_network")};
  }, &Engine::discover_provider));
  t.push_back(row("discover_resource", [](Args& a) {
    a.require("key");
    a.require("resource");
    ResourceDiscoveryRequest r;
    r.key = a.str("key");
    r.resource_url = a.str("resource");
    r.redirect_uri = a.str("redirect_uri");
    if (auto name = a.opt_str("client_name")) r.client_name = *name;
    r.allow_private_network = a.flag("allow_private_network");
    r.issuer_first = a.flag("issuer_first");
    return r;
  }, &Engine::discover_resource));
  t.push_back(row("set_mode", [](Args& a) -> Result<std::tuple<std::string, Mode>> {
    a.require("provider");
    std::string mode = a.str("mode");
    if (mode != "managed" && mode != "your-own") {
      return make_error(ErrorCode::invalid_request, "'mode' must be \"managed\" or \"your-own\"");
    }
    return std::tuple{a.str("provider"), mode == "managed" ? Mode::managed : Mode::your_own};
  }, &Engine::set_mode));

  // App credentials.
  t.push_back(row("upsert_app", [](Args& a) {
    a.require("provider");
    AppInput in;
    in.provider = a.str("provider");
    in.client_id = a.str("client_id");
    in.client_secret = a.opt_str("client_secret");
    in.token_endpoint_auth_method = a.opt_str("token_endpoint_auth_method");
    in.key_id = a.opt_str("key_id");
    in.redirect_uri = a.str("redirect_uri");
    in.scopes = a.strings("scopes");
    in.template_values = a.map("template_values");
    return in;
  }, &Engine::upsert_app));
  t.push_back(row("get_app", [](Args& a) { a.require("provider"); return a.str("provider"); }, &Engine::get_app));
  t.push_back(row("list_apps", no_args, &Engine::list_apps));
  t.push_back(row("delete_app", [](Args& a) { a.require("provider"); return a.str("provider"); }, &Engine::delete_app));

  // Connecting.
  t.push_back(row("authorize", [](Args& a) {
    a.require("provider");
    AuthorizeRequest r;
    ConnectionRef ref = a.ref();
    r.principal = ref.principal;
    r.provider = ref.provider;
    r.account = a.str("account");  // absent: named from the provider's identity endpoint
    r.redirect_uri = a.str("redirect_uri");
    r.scopes = a.strings("scopes");
    r.extra_params = a.params("extra_params");
    r.template_values = a.map("template_values");
    return r;
  }, &Engine::authorize));
  t.push_back(row("complete_callback", [](Args& a) {
    a.require("callback");
    return CallbackRequest{a.str("principal", "default"), a.str("callback")};
  }, &Engine::complete_callback));
  t.push_back(row("device_authorize", [](Args& a) {
    a.require("provider");
    DeviceRequest r;
    ConnectionRef ref = a.ref();
    r.principal = ref.principal;
    r.provider = ref.provider;
    r.account = a.str("account");  // absent: named from the provider's identity endpoint
    r.scopes = a.strings("scopes");
    r.template_values = a.map("template_values");
    r.timeout_ms = a.integer("timeout_ms", 0);
    return r;
  }, &Engine::device_authorize));
  t.push_back(row("device_poll", device_poll_request, &Engine::device_poll));
  t.push_back(row("device_poll_once", device_poll_request, &Engine::device_poll_once));
  t.push_back(row("connect_client_credentials", [](Args& a) {
    a.require("provider");
    return std::tuple{a.ref(), a.strings("scopes")};
  }, &Engine::connect_client_credentials));

  // Using a connection.
  t.push_back(row("get_token", [](Args& a) {
    a.require("provider");
    return std::tuple{a.ref(), a.flag("force_refresh")};
  }, &Engine::get_token));
  t.push_back(row("sign_request", signed_request, &Engine::sign_request));
  t.push_back(row("send_authorized", [](Args& a) -> Result<std::tuple<ConnectionRef, HttpRequest, SendOptions>> {
    auto r = signed_request(a);
    if (!r) return r.error();
    SendOptions options;
    options.stream = a.flag("stream");
    return std::tuple_cat(std::move(*r), std::tuple{std::move(options)});
  }, &Engine::send_authorized));
  t.push_back(row("status", [](Args& a) { a.require("provider"); return a.ref(); }, &Engine::status));
  t.push_back(row("list_connections", [](Args& a) { return a.str("principal", "default"); }, &Engine::list_connections));
  t.push_back(row("disconnect", [](Args& a) {
    a.require("provider");
    return std::tuple{a.ref(), a.flag("revoke")};
  }, &Engine::disconnect));

  // Keys.
  t.push_back(row("reseal", no_args, &Engine::reseal));
  t.push_back(row("check_master_key", no_args, &Engine::check_master_key));
  return t;
}

}  // namespace

const std::vector<OperationEntry>& operation_table() {
  static const std::vector<OperationEntry> table = make_table();
  return table;
}

const OperationEntry* find_operation(std::string_view name) {
  for (const auto& e : operation_table()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

Result<MadeOperation> make_operation(Engine& engine, std::string_view request_json) {
  auto v = json::parse(request_json, "the request");
  if (!v) return make_error(ErrorCode::invalid_request, v.error().message);
  if (!v->is<json::Object>()) return make_error(ErrorCode::invalid_request, "the request must be a JSON object");
  Args a(v->get<json::Object>());
  std::string name = a.str("op");
  const OperationEntry* entry = find_operation(name);
  if (!entry) return make_error(ErrorCode::invalid_request, "unknown operation '" + clean(name, 64) + "'");
  auto op = entry->begin(engine, a);
  if (!op) return op.error();
  return MadeOperation{std::move(*op), entry};
}

}  // namespace latchkey::detail
