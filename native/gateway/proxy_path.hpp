// Which proxied paths may go upstream: ones that stay under the provider's api_base_url path
// however the upstream server (or a proxy in front of it) normalizes them.
#pragma once

#include <string>

namespace latchkey::gateway {

/// Why one percent-decoded segment of a proxied path is refused, or "" if it is not. Refused:
/// "." and ".." — also with a ";parameter" ("..;x": Tomcat and Jetty strip path parameters before
/// resolving dot segments), hidden behind an encoded slash, or encoded twice; backslashes (which
/// some servers read as slashes); NUL bytes (C-string servers cut the path there); and bytes that
/// are not UTF-8, among them overlong forms such as %c0%ae ('.' in two bytes, read as a dot by
/// lenient decoders). Each rule is checked on the segment and on it decoded once more.
std::string proxy_segment_refusal(const std::string& segment);

}  // namespace latchkey::gateway
