#include "store/store_file.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace latchkey::native {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

std::string parent_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// mkdir -p; the directories it creates are 0700 whatever the umask (they will hold the store).
// Directories that already exist are left as they are. Returns an error sentence or "".
std::string make_directories(const std::string& dir) {
  std::size_t from = 0;
  while (from <= dir.size()) {
    std::size_t slash = dir.find('/', from);
    if (slash == std::string::npos) slash = dir.size();
    const std::string part = dir.substr(0, slash);
    from = slash + 1;
    if (part.empty() || part.back() == '/') continue;  // the leading "/", or "a//b"
    struct stat st;
    if (::stat(part.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return "cannot create the store's directory: " + part + " exists and is not a directory; choose another "
               "store path with --store or LATCHKEY_STORE";
      }
      continue;
    }
    if (::mkdir(part.c_str(), 0700) == 0) {
      ::chmod(part.c_str(), 0700);
      continue;
    }
    const int err = errno;
    if (err == EEXIST && ::stat(part.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;  // a racing mkdir
    return "cannot create the store's directory " + part + ": " + errno_text(err) +
           "; create it yourself or choose another store path with --store or LATCHKEY_STORE";
  }
  return "";
}

}  // namespace

std::string prepare_store_file(const std::string& path) {
  const std::string dir = parent_of(path);
  if (!dir.empty()) {
    if (std::string failed = make_directories(dir); !failed.empty()) return failed;
  }

  // Create the file ourselves, 0600 whatever the umask, before SQLite sees it: SQLite gives the
  // -wal and -shm files the main file's mode, so they are 0600 too. O_EXCL never truncates or
  // re-modes a file that is already there; SQLite is then told not to create anything.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    ::fchmod(fd, 0600);
    ::close(fd);
  } else if (errno != EEXIST) {
    const int err = errno;
    return "cannot create the store " + path + ": " + errno_text(err) +
           "; check that its directory is writable by this user, or choose "
           "another store with --store or LATCHKEY_STORE";
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    return "cannot open the store " + path + ": " + errno_text(err) +
           "; check the path, or choose another store with --store or "
           "LATCHKEY_STORE";
  }
  if (!S_ISREG(st.st_mode)) {
    return path + " is not a regular file, so it cannot be a latchkey store; "
             "choose another store with --store or LATCHKEY_STORE";
  }

  return "";
}

std::string default_store_path() {
  const auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string(value != nullptr ? value : "");
  };
  std::string path = env("LATCHKEY_STORE");
  if (!path.empty()) return path;
  // XDG Base Directory: an empty or relative XDG_DATA_HOME is to be ignored.
  std::string base = env("XDG_DATA_HOME");
  if (base.empty() || base[0] != '/') {
    std::string home = env("HOME");
    if (home.empty()) {
      const passwd* pw = ::getpwuid(::getuid());
      if (pw != nullptr && pw->pw_dir != nullptr) home = pw->pw_dir;
    }
    if (home.empty()) return "";
    while (home.size() > 1 && home.back() == '/') home.pop_back();
    base = (home == "/" ? "" : home) + "/.local/share";
  }
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return (base == "/" ? "" : base) + "/latchkey/latchkey.db";
}

}  // namespace latchkey::native
