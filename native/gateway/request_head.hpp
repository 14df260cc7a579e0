// A request head as Beast parsed it, turned into the API's ApiRequest (api.hpp stays free of
// any transport): for the worker threads, and for the event loop's own proxy.
#pragma once

#include <boost/beast/http/message.hpp>

#include "api.hpp"

namespace latchkey::gateway {

/// The method, target, Authorization, Host and Accept values and every header of `head`, copied.
/// The body, the listen address, the streams and refresh_first are the caller's to fill in.
ApiRequest api_request(const boost::beast::http::request_header<>& head);

}  // namespace latchkey::gateway
