// The web root (the vault page's build) served at "/": GET and HEAD of regular files under one
// directory, "/" and directories answered by their index.html. Nothing outside the directory is
// reachable: "." and ".." segments (also percent-encoded), encoded slashes, backslashes and NULs
// are refused, and the resolved path (symlinks followed) must still be inside the root.
#pragma once

#include <string>
#include <vector>

#include "api.hpp"

namespace latchkey::gateway {

/// Checks the configured web root: an existing directory. Returns its absolute, resolved path.
Result<std::string> resolve_web_root(const std::string& dir);

/// Answers GET/HEAD of the decoded path `segments` from `web_root` (resolved by resolve_web_root):
/// the file with its Content-Type, Cache-Control, a CSP of default-src 'self' and nosniff; 404
/// JSON for a missing file; 400 for a path that tries to leave the root; 405 for other methods.
/// HEAD answers with the headers only.
ApiResponse serve_static(const std::string& web_root, const std::string& method,
                         const std::vector<std::string>& segments);

}  // namespace latchkey::gateway
