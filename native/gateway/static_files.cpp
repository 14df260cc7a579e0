#include "static_files.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "responses.hpp"

namespace latchkey::gateway {
namespace {

// Web assets are small; a bigger file is refused rather than read into memory whole.
constexpr off_t kMaxFile = 32 << 20;

struct Type {
  const char* extension;
  const char* content_type;
};

constexpr Type kTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".wasm", "application/wasm"},
    {".map", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".ico", "image/x-icon"},
};

bool ends_with(const std::string& s, const char* suffix) {
  std::size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

const char* content_type_for(const std::string& path) {
  for (const auto& t : kTypes) {
    if (ends_with(path, t.extension)) return t.content_type;
  }
  return "application/octet-stream";  // with nosniff, never run as a script or page
}

/// A segment that could name something outside the root once joined with '/'. The segments are
/// already percent-decoded once, so "%2e%2e" arrives here as "..", and "%2f" as a '/' inside one.
bool unsafe_segment(const std::string& s) {
  return s == "." || s == ".." || s.find_first_of(std::string("/\\\0", 3)) != std::string::npos;
}

std::string resolved(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return {};
  return buf;
}

bool inside(const std::string& path, const std::string& root) {
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          (root.back() == '/' || path[root.size()] == '/'));
}

ApiResponse not_found() { return error_response(404, "not_found", "no such file"); }

Result<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::not_found, "no such file");
  std::string out;
  char buf[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return make_error(ErrorCode::internal, "the file could not be read");
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > static_cast<std::size_t>(kMaxFile)) {
      ::close(fd);
      return make_error(ErrorCode::internal, "the file is too large to serve");
    }
  }
  ::close(fd);
  return out;
}

}  // namespace

Result<std::string> resolve_web_root(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(ErrorCode::invalid_request, "--web-root '" + dir + "' is not a directory");
  }
  std::string root = resolved(dir);
  if (root.empty()) return make_error(ErrorCode::invalid_request, "--web-root '" + dir + "' cannot be resolved");
  return root;
}

constexpr const char* kPageCsp =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'";

ApiResponse serve_static(const std::string& web_root, const std::string& method,
                         const std::vector<std::string>& segments) {
  if (method != "GET" && method != "HEAD") return method_not_allowed("GET, HEAD");
  std::string path = web_root;
  for (const auto& s : segments) {
    if (unsafe_segment(s)) return error_response(400, "invalid_request", "the path must stay inside the web root");
    path += "/" + s;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return not_found();
  if (S_ISDIR(st.st_mode)) {
    path += "/index.html";
    if (::stat(path.c_str(), &st) != 0) return not_found();
  }
  if (!S_ISREG(st.st_mode)) return not_found();
  // Symlinks may point anywhere: what is served is decided by where the path really leads.
  std::string real = resolved(path);
  if (real.empty() || !inside(real, web_root)) return not_found();
  if (st.st_size > kMaxFile) return error_response(500, "internal", "the file is too large to serve");
  auto body = read_file(real);
  if (!body) return from_error(body.error());

  ApiResponse r;
  r.content_type = content_type_for(real);
  r.body = std::move(*body);  // for HEAD too: the server sends its length, not the bytes
  // Pages are revalidated so a new build shows at once; other assets may be cached briefly.
  r.headers.emplace_back("Cache-Control", ends_with(real, ".html") ? "no-cache" : "public, max-age=300");
  // Same-origin everything; WebAssembly may compile (the vault validates providers with the core).
  r.headers.emplace_back("Content-Security-Policy", kPageCsp);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

}  // namespace latchkey::gateway
