#include "master_key.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "crypto.hpp"

namespace latchkey::native {
namespace {

Error key_error(const std::string& message) { return make_error(ErrorCode::crypto, message); }

Result<std::string> decode_key(const std::string& text, const std::string& source) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r' || trimmed.back() == ' ')) {
    trimmed.pop_back();
  }
  auto bytes = detail::base64_decode(trimmed);
  if (!bytes || bytes->size() != 32) {
    return key_error("the master key in " + source +
                     " is not base64 of 32 bytes (make one with `head -c 32 /dev/urandom | base64`)");
  }
  return *bytes;
}

}  // namespace

Result<std::string> os_random(std::size_t n) {
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    ssize_t got = getrandom(out.data() + done, n - done, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return make_error(ErrorCode::internal, "the operating system's random source failed");
    done += static_cast<std::size_t>(got);
  }
  return out;
}

Result<MasterKey> load_master_key(const std::string& store_path, bool store_has_data) {
  if (const char* env = std::getenv("LATCHKEY_MASTER_KEY"); env && *env) {
    auto key = decode_key(env, "LATCHKEY_MASTER_KEY");
    if (!key) return key.error();
    return MasterKey{std::move(*key), "LATCHKEY_MASTER_KEY"};
  }
  std::string path = store_path + ".key";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
      ::close(fd);
      return key_error("the key file " + path + " is readable by other users; run `chmod 600 " + path + "`");
    }
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n <= 0) return key_error("could not read the key file " + path);
    auto key = decode_key(std::string(buf, static_cast<std::size_t>(n)), path);
    if (!key) return key.error();
    return MasterKey{std::move(*key), path};
  }
  if (errno != ENOENT) return key_error("could not open the key file " + path + ": " + std::strerror(errno));
  if (store_has_data) {
    return key_error("the store " + store_path + " has data but its key file " + path +
                     " is missing; restore the key file or set LATCHKEY_MASTER_KEY (a new key could not open it)");
  }
  auto bytes = os_random(32);
  if (!bytes) return bytes.error();
  fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return key_error("could not create the key file " + path + ": " + std::strerror(errno));
  std::string text = detail::base64_encode(*bytes) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return key_error("could not write the key file " + path);
  }
  return MasterKey{std::move(*bytes), path};
}

}  // namespace latchkey::native
