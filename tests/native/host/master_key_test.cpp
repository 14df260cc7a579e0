// Where the master key lives: pages of its own that a core dump leaves out (MADV_DONTDUMP shows
// as "dd" in the mapping's VmFlags, proc(5)).
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "host/master_key.hpp"

namespace latchkey::native {
namespace {

/// The VmFlags line of the mapping in /proc/self/smaps that holds `p`, or "" if none does.
std::string vm_flags_of(const void* p) {
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(' ') != std::string::npos &&
        line.find(':') > line.find(' ')) {
      inside = at >= lo && at < hi;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

TEST(MasterKey, LivesInPagesACoreDumpLeavesOut) {
  // base64 of the 32 bytes 0x00..0x1f, computed apart (python3 base64.b64encode(bytes(range(32)))).
  ::setenv("LATCHKEY_MASTER_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 1);
  auto key = load_master_key("/nonexistent/store.db", true);
  ::unsetenv("LATCHKEY_MASTER_KEY");
  ASSERT_TRUE(key) << key.error().message;
  ASSERT_EQ(key->bytes.size(), 32u);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(static_cast<unsigned char>(key->bytes.data()[i]), i);
  const std::string flags = vm_flags_of(key->bytes.data());
  ASSERT_FALSE(flags.empty()) << "no mapping holds the key";
  EXPECT_NE((flags + " ").find(" dd "), std::string::npos) << flags;
}

// A rotation's keys: "VERSION:BASE64" entries, the current one first (python3: base64 of
// bytes(range(32)) and of bytes([7]*32), computed apart).
TEST(MasterKey, SeveralVersionsTheFirstCurrent) {
  const std::string k0 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", k7 = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
  ::setenv("LATCHKEY_MASTER_KEY", ("2:" + k7 + ", 1:" + k0).c_str(), 1);
  auto key = load_master_key("/nonexistent/store.db", true);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->version, 2u);
  EXPECT_EQ(key->bytes.view(), std::string(32, '\x07'));
  ASSERT_EQ(key->others.size(), 1u);
  EXPECT_EQ(key->others[0].first, 1u);
  EXPECT_EQ(static_cast<unsigned char>(key->others[0].second.data()[31]), 31);
  for (const std::string& bad : {"1:" + k0 + ",1:" + k7, k0 + "," + k7, "0:" + k0, "x:" + k0, "2:" + k0 + ",1:short"}) {
    ::setenv("LATCHKEY_MASTER_KEY", bad.c_str(), 1);
    auto refused = load_master_key("/nonexistent/store.db", true);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::crypto);
    EXPECT_EQ(refused.error().message.find(k0), std::string::npos) << "a key never appears in a message";
  }
  ::unsetenv("LATCHKEY_MASTER_KEY");
  auto one = [&] {
    ::setenv("LATCHKEY_MASTER_KEY", k0.c_str(), 1);
    auto k = load_master_key("/nonexistent/store.db", true);
    ::unsetenv("LATCHKEY_MASTER_KEY");
    return k;
  }();
  ASSERT_TRUE(one);
  EXPECT_EQ(one->version, 1u) << "a bare key is version 1";
  EXPECT_TRUE(one->others.empty());
}

TEST(MasterKey, SecretBytesOwnTheirPagesUntilDestroyed) {
  auto a = SecretBytes::copy_of("secret");
  ASSERT_TRUE(a);
  const void* where = a->data();
  EXPECT_NE(vm_flags_of(where).find(" dd"), std::string::npos);
  SecretBytes moved = std::move(*a);
  EXPECT_EQ(moved.view(), "secret");
  EXPECT_EQ(a->size(), 0u);
  { SecretBytes gone = std::move(moved); }
  EXPECT_EQ(vm_flags_of(where), "") << "the pages were unmapped";
}

// A PostgreSQL store has no "beside": the key comes from the environment or a named file, and the
// message without either says what to pass.
TEST(MasterKey, APostgresStoreNeedsTheEnvironmentOrANamedFile) {
  ::unsetenv("LATCHKEY_MASTER_KEY");
  auto none = load_master_key("postgresql://lk@db.example/latchkey", false);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::crypto);
  EXPECT_NE(none.error().message.find("LATCHKEY_MASTER_KEY"), std::string::npos) << none.error().message;
  EXPECT_NE(none.error().message.find("--master-key-file"), std::string::npos) << none.error().message;

  char dir[] = "/tmp/latchkey-key-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string file = std::string(dir) + "/master.key";
  // A new store: the named file is created 0600, and read back the same next time.
  auto made = load_master_key("postgresql://lk@db.example/latchkey", false, file);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->source, file);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto read = load_master_key("postgresql://lk@db.example/latchkey", true, file);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->bytes.view(), made->bytes.view());
  // A store with data never gets a fresh key, whatever file is named.
  auto missing = load_master_key("postgresql://lk@db.example/latchkey", true, std::string(dir) + "/other.key");
  EXPECT_FALSE(missing);
  ::unlink(file.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace latchkey::native
