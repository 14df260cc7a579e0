// latchkey/url.hpp: the core's URL handling (base/url.cpp), for hosts.
#include "latchkey/url.hpp"

#include "url.hpp"

namespace latchkey {

Result<Url> parse_url(std::string_view text) { return detail::parse_url(text); }
std::string url_problem(std::string_view text, Url* out) { return detail::parse_url_into(text, out); }
HostPort split_host_port(std::string_view authority) { return detail::split_host_port(authority); }
bool is_loopback_host(std::string_view host) { return detail::is_loopback_host(host); }
Status check_endpoint(std::string_view url, const char* what) { return detail::check_endpoint(url, what); }
std::string percent_encode(std::string_view s) { return detail::percent_encode(s); }
std::string encode_form(const Params& params) { return detail::encode_form(params); }
Result<Params> decode_form(std::string_view body) { return detail::decode_form(body); }
std::string append_query(const std::string& url, const Params& params) { return detail::append_query(url, params); }
const std::string* find_param(const Params& params, std::string_view name) { return detail::find_param(params, name); }

}  // namespace latchkey
