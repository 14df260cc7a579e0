#include "master_key.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "latchkey/crypto.hpp"
#include "latchkey/encoding.hpp"
#include "store/store.hpp"

namespace latchkey::native {
namespace {

Error key_error(const std::string& message) { return make_error(ErrorCode::crypto, message); }

Result<SecretBytes> decode_key(std::string_view text, const std::string& source) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);  // "2: KEY" (entries come trimmed)
  auto bytes = base64_decode(text);
  if (!bytes || bytes->size() != 32) {
    if (bytes) wipe(*bytes);
    return key_error("the master key in " + source +
                     " is not base64 of 32 bytes (make one with `head -c 32 /dev/urandom | base64`)");
  }
  auto key = SecretBytes::copy_of(*bytes);
  wipe(*bytes);
  return key;
}

/// One key ("BASE64": version 1) or several ("2:NEWKEY,1:OLDKEY", commas or lines; the first is
/// current), as MasterKey documents.
Result<MasterKey> decode_keys(std::string_view text, const std::string& source) {
  std::vector<std::string_view> entries;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',' || text[i] == '\n') {
      std::string_view e = text.substr(start, i - start);
      while (!e.empty() && (e.back() == '\r' || e.back() == ' ')) e.remove_suffix(1);
      while (!e.empty() && e.front() == ' ') e.remove_prefix(1);
      if (!e.empty()) entries.push_back(e);
      start = i + 1;
    }
  }
  if (entries.empty()) return key_error("the master key in " + source + " is empty");
  MasterKey out;
  out.source = source;
  for (std::size_t n = 0; n < entries.size(); ++n) {
    std::string_view e = entries[n];
    std::uint32_t version = 1;
    const auto colon = e.find(':');
    if (colon == std::string_view::npos) {
      if (entries.size() > 1) {
        return key_error("the master keys in " + source + " must each be VERSION:BASE64 when there are several "
                         "(e.g. 2:NEWKEY,1:OLDKEY, the current one first)");
      }
    } else {
      const std::string_view digits = e.substr(0, colon);
      unsigned long long v = 0;
      bool ok = !digits.empty() && digits.size() <= 10;
      for (char c : digits) ok = ok && c >= '0' && c <= '9' && ((v = v * 10 + static_cast<unsigned>(c - '0')), true);
      if (!ok || v == 0 || v > 0xffffffffULL) {
        return key_error("a master key version in " + source + " is not a number from 1 to 4294967295");
      }
      version = static_cast<std::uint32_t>(v);
      e = e.substr(colon + 1);
    }
    bool twice = n > 0 && out.version == version;
    for (const auto& other : out.others) twice = twice || other.first == version;
    if (twice) return key_error("the master keys in " + source + " name version " + std::to_string(version) + " twice");
    auto key = decode_key(e, source);
    if (!key) return key.error();
    if (n == 0) {
      out.bytes = std::move(*key);
      out.version = version;
    } else {
      out.others.emplace_back(version, std::move(*key));
    }
  }
  return out;
}

}  // namespace

Result<SecretBytes> SecretBytes::copy_of(std::string_view bytes) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  // Whole pages, at least one.
  const std::size_t mapped = std::max<std::size_t>(1, (bytes.size() + page - 1) / page) * page;
  void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return make_error(ErrorCode::internal, std::string("could not map memory for the master key: ") + std::strerror(errno));
  }
  SecretBytes s;
  s.data_ = static_cast<char*>(p);
  s.mapped_ = mapped;
  // Not in a core dump whatever the dump settings; a fork's child does not get the pages either.
  if (::madvise(p, s.mapped_, MADV_DONTDUMP) != 0 || ::madvise(p, s.mapped_, MADV_DONTFORK) != 0) {
    return make_error(ErrorCode::internal,
                      std::string("could not keep the master key out of core dumps (madvise): ") + std::strerror(errno));
  }
  // Best effort: an unprivileged process may have no RLIMIT_MEMLOCK to spend.
  (void)::mlock(p, s.mapped_);
  std::memcpy(s.data_, bytes.data(), bytes.size());
  s.size_ = bytes.size();
  return s;
}

SecretBytes::~SecretBytes() { release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(other.data_), size_(other.size_), mapped_(other.mapped_) {
  other.data_ = nullptr;
  other.size_ = other.mapped_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    release();
    data_ = other.data_;
    size_ = other.size_;
    mapped_ = other.mapped_;
    other.data_ = nullptr;
    other.size_ = other.mapped_ = 0;
  }
  return *this;
}

void SecretBytes::release() {
  if (!data_) return;
  explicit_bzero(data_, mapped_);
  ::munlock(data_, mapped_);
  ::munmap(data_, mapped_);
  data_ = nullptr;
  size_ = mapped_ = 0;
}

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

Result<MasterKey> load_master_key(const std::string& store_location, bool store_has_data,
                                  const std::string& key_file) {
  if (const char* env = std::getenv("LATCHKEY_MASTER_KEY"); env && *env) {
    return decode_keys(env, "LATCHKEY_MASTER_KEY");
  }
  if (key_file.empty() && is_postgres_location(store_location)) {
    return key_error("the PostgreSQL store " + store_location +
                     " has no file beside it to keep the master key in; set LATCHKEY_MASTER_KEY (base64 of 32 "
                     "bytes) or pass --master-key-file FILE (or LATCHKEY_MASTER_KEY_FILE) — the same key on every "
                     "gateway that shares the database (make one with `head -c 32 /dev/urandom | base64`)");
  }
  const std::string path = key_file.empty() ? store_location + ".key" : key_file;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
      ::close(fd);
      return key_error("the key file " + path + " is readable by other users; run `chmod 600 " + path + "`");
    }
    char buf[4096];  // room for a rotation's several keys
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n <= 0) return key_error("could not read the key file " + path);
    auto keys = decode_keys(std::string_view(buf, static_cast<std::size_t>(n)), path);
    explicit_bzero(buf, sizeof buf);
    return keys;
  }
  if (errno != ENOENT) return key_error("could not open the key file " + path + ": " + std::strerror(errno));
  if (store_has_data) {
    return key_error("the store " + store_location + " has data but its key file " + path +
                     " is missing; restore the key file or set LATCHKEY_MASTER_KEY (a new key could not open it)");
  }
  auto bytes = os_random(32);
  if (!bytes) return bytes.error();
  fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return key_error("could not create the key file " + path + ": " + std::strerror(errno));
  std::string text = base64_encode(*bytes);
  text.push_back('\n');
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  wipe(text);
  auto key = SecretBytes::copy_of(*bytes);
  wipe(*bytes);
  if (!ok) {
    ::unlink(path.c_str());
    return key_error("could not write the key file " + path);
  }
  if (!key) return key.error();
  MasterKey made;
  made.bytes = std::move(*key);
  made.source = path;
  return made;
}

}  // namespace latchkey::native
