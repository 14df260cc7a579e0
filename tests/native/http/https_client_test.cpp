// The HTTPS client against real servers on loopback: a Node server (fixtures/tls_server.mjs)
// with certificates made at test time by the openssl CLI — a test CA and a leaf for localhost /
// 127.0.0.1 / ::1, a leaf for another name, a self-signed leaf and an expired one. No mocks.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/https_client.hpp"
#include "latchkey/json.hpp"

extern char** environ;

namespace latchkey::native {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

#ifndef LATCHKEY_SOURCE_DIR
#error "LATCHKEY_SOURCE_DIR must name the source tree (tests/CMakeLists.txt defines it)"
#endif

// ---- fixtures: certificates and servers ------------------------------------------------------

bool run(const std::string& command) {
  std::string quiet = command + " >/dev/null 2>&1";
  return std::system(quiet.c_str()) == 0;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// Makes DIR/NAME.{key,pem}: an EC P-256 leaf for `san`, signed by DIR/ca.{key,pem}.
bool make_leaf(const fs::path& dir, const std::string& name, const std::string& cn, const std::string& san,
               const std::string& days, int serial) {
  write_file(dir / (name + ".ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                                    "extendedKeyUsage=serverAuth\nsubjectAltName=" + san + "\n");
  std::string d = "'" + dir.string() + "/";
  return run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + d + name + ".key' -out " +
             d + name + ".csr' -subj '/CN=" + cn + "'") &&
         run("openssl x509 -req -in " + d + name + ".csr' -CA " + d + "ca.pem' -CAkey " + d + "ca.key' -set_serial " +
             std::to_string(serial) + " -days " + days + " -extfile " + d + name + ".ext' -out " + d + name + ".pem'");
}

/// A tls_server.mjs process. Its stdin is a pipe we hold: closing it (or our exit) ends it.
struct Server {
  pid_t pid = -1;
  int stdin_fd = -1;
  int port = 0;

  bool start(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"node", std::string(LATCHKEY_SOURCE_DIR) + "/tests/native/http/fixtures/tls_server.mjs"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    int rc = posix_spawnp(&pid, "node", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    stdin_fd = in[1];
    if (rc != 0) {
      pid = -1;
      close(out[0]);
      return false;
    }
    // The first line is {"port": N}.
    std::string line;
    auto until = Clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && Clock::now() < until) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[256];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    auto colon = line.find(':');
    if (colon == std::string::npos) return false;
    port = std::atoi(line.c_str() + colon + 1);
    return port > 0;
  }

  void stop() {
    if (stdin_fd >= 0) close(stdin_fd);
    stdin_fd = -1;
    if (pid > 0) {
      kill(pid, SIGTERM);
      int status = 0;
      waitpid(pid, &status, 0);
    }
    pid = -1;
  }
};

struct Fixture {
  fs::path dir;
  std::string ca_file;
  Server good;       // test-CA leaf for localhost, 127.0.0.1, ::1
  Server wrong;      // test-CA leaf for wrong.example only
  Server untrusted;  // self-signed leaf for localhost
  Server expired;    // test-CA leaf for localhost that expired
  Server plain;      // http on 127.0.0.1
  Server plain6;     // http on ::1 (not started when the machine has no IPv6 loopback)
  std::string setup_error;
};

Fixture* fx = nullptr;

// ---- helpers -------------------------------------------------------------------------------

std::unique_ptr<HttpsClient> make_client(const std::string& ca_file, std::int64_t connect_timeout_ms = 5000) {
  HttpsClientOptions options;
  options.ca_file = ca_file;
  options.connect_timeout_ms = connect_timeout_ms;
  auto client = HttpsClient::create(options);
  if (!client) {
    ADD_FAILURE() << client.error().message;
    return nullptr;
  }
  return std::move(client.value());
}

std::string https(const Server& s, const std::string& path, const std::string& host = "localhost") {
  return "https://" + host + ":" + std::to_string(s.port) + path;
}

HttpRequest get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.timeout_ms = 5000;
  return r;
}

const std::string* header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return &v;
  }
  return nullptr;
}

std::int64_t connections_so_far(HttpsClient& client, const Server& s) {
  EffectResult r = client.perform(get(https(s, "/count")));
  EXPECT_EQ(r.transport_error, "");
  auto v = latchkey::parse_json(r.response.body, "count");
  if (!v || !v->is<latchkey::JsonObject>()) return -1;
  return v->get<latchkey::JsonObject>().at("connections").get<std::int64_t>();
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
int dead_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

/// Sets or clears LATCHKEY_CA_FILE for one scope.
class ScopedCaEnv {
 public:
  explicit ScopedCaEnv(const char* value) {
    if (const char* old = std::getenv("LATCHKEY_CA_FILE")) old_ = old;
    if (value) {
      setenv("LATCHKEY_CA_FILE", value, 1);
    } else {
      unsetenv("LATCHKEY_CA_FILE");
    }
  }
  ~ScopedCaEnv() {
    if (old_) {
      setenv("LATCHKEY_CA_FILE", old_->c_str(), 1);
    } else {
      unsetenv("LATCHKEY_CA_FILE");
    }
  }

 private:
  std::optional<std::string> old_;
};

class HttpsClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fx = new Fixture();
    char tmpl[] = "/tmp/latchkey-https-XXXXXX";
    if (!mkdtemp(tmpl)) {
      fx->setup_error = "mkdtemp failed";
      return;
    }
    fx->dir = tmpl;
    const fs::path& dir = fx->dir;
    std::string d = "'" + dir.string() + "/";
    fx->ca_file = (dir / "ca.pem").string();
    bool ok = run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + d + "ca.key' -out " +
                  d + "ca.pem' -days 30 -subj '/CN=latchkey test CA'") &&
              make_leaf(dir, "server", "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1", "30", 2) &&
              make_leaf(dir, "wrong", "wrong.example", "DNS:wrong.example", "30", 3) &&
              // -days -1: valid from now until yesterday, i.e. already expired.
              make_leaf(dir, "expired", "localhost", "DNS:localhost,IP:127.0.0.1", "-1", 4) &&
              run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + d +
                  "untrusted.key' -out " + d + "untrusted.pem' -days 30 -subj '/CN=localhost' "
                  "-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1'");
    if (!ok) {
      fx->setup_error = "openssl could not make the test certificates";
      return;
    }
    auto tls = [&](Server& s, const std::string& name) {
      return s.start({"--cert", (dir / (name + ".pem")).string(), "--key", (dir / (name + ".key")).string()});
    };
    if (!tls(fx->good, "server") || !tls(fx->wrong, "wrong") || !tls(fx->untrusted, "untrusted") ||
        !tls(fx->expired, "expired") || !fx->plain.start({"--plain"})) {
      fx->setup_error = "could not start the node test servers";
      return;
    }
    fx->plain6.start({"--plain", "--host", "::1"});  // optional
  }

  static void TearDownTestSuite() {
    for (Server* s : {&fx->good, &fx->wrong, &fx->untrusted, &fx->expired, &fx->plain, &fx->plain6}) s->stop();
    if (!fx->dir.empty()) {
      std::error_code ec;
      fs::remove_all(fx->dir, ec);
    }
    delete fx;
    fx = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(fx->setup_error, "");
    client_ = make_client(fx->ca_file);
    ASSERT_TRUE(client_);
  }

  std::unique_ptr<HttpsClient> client_;
};

// ---- requests that work ----------------------------------------------------------------------

TEST_F(HttpsClientTest, GetOverTlsWithTheTestCa) {
  EffectResult r = client_->perform(get(https(fx->good, "/json")));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, R"({"ok":true,"name":"latchkey"})");
  ASSERT_NE(header(r.response, "content-type"), nullptr);
  EXPECT_EQ(*header(r.response, "content-type"), "application/json");
  // Names as the server sent them, not normalised.
  EXPECT_EQ(r.response.headers.front().first, "Content-Type");
}

TEST_F(HttpsClientTest, PostSendsMethodHeadersAndBody) {
  HttpRequest req = get(https(fx->good, "/echo?x=1&y=two"));
  req.method = "POST";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Authorization", "Basic c2VjcmV0"},
                 {"Host", "evil.example"},          // replaced: framing and Host are the client's
                 {"Content-Length", "999"}};
  req.body = "grant_type=client_credentials&scope=a+b";
  EffectResult r = client_->perform(req);
  ASSERT_EQ(r.transport_error, "");
  ASSERT_EQ(r.response.status, 200);
  auto v = latchkey::parse_json(r.response.body, "echo");
  ASSERT_TRUE(v);
  const auto& o = v->get<latchkey::JsonObject>();
  EXPECT_EQ(o.at("method").to_str(), "POST");
  EXPECT_EQ(o.at("url").to_str(), "/echo?x=1&y=two");
  EXPECT_EQ(o.at("body").to_str(), req.body);
  std::vector<std::pair<std::string, std::string>> seen;
  for (const auto& h : o.at("headers").get<latchkey::JsonArray>()) {
    seen.emplace_back(h.get<latchkey::JsonArray>()[0].to_str(), h.get<latchkey::JsonArray>()[1].to_str());
  }
  auto find = [&](const std::string& name) -> std::string {
    for (const auto& [k, v] : seen) {
      if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    }
    return "<absent>";
  };
  EXPECT_EQ(find("Host"), "localhost:" + std::to_string(fx->good.port));
  EXPECT_EQ(find("Content-Length"), std::to_string(req.body.size()));
  EXPECT_EQ(find("Authorization"), "Basic c2VjcmV0");
  EXPECT_EQ(find("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(find("User-Agent").rfind("latchkey/", 0), 0u);
  int hosts = 0;
  for (const auto& [k, v] : seen) hosts += strcasecmp(k.c_str(), "host") == 0;
  EXPECT_EQ(hosts, 1);
}

TEST_F(HttpsClientTest, ResponseHeadersKeepTheirOrder) {
  EffectResult r = client_->perform(get(https(fx->good, "/many-headers?n=40")));
  ASSERT_EQ(r.transport_error, "");
  std::vector<std::string> names;
  for (const auto& [k, v] : r.response.headers) {
    if (k.rfind("X-H-", 0) == 0) {
      EXPECT_EQ(k, "X-H-" + v);
      names.push_back(v);
    }
  }
  ASSERT_EQ(names.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(names[static_cast<std::size_t>(i)], std::to_string(i));
}

TEST_F(HttpsClientTest, FiftySequentialRequestsReuseOneConnection) {
  std::int64_t first = connections_so_far(*client_, fx->good);
  ASSERT_GT(first, 0);
  for (int i = 0; i < 49; ++i) {
    ASSERT_EQ(connections_so_far(*client_, fx->good), first) << "request " << i + 2 << " opened a new connection";
  }
}

TEST_F(HttpsClientTest, ChunkedBody) {
  EffectResult r = client_->perform(get(https(fx->good, "/chunked")));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.response.body, "alpha,beta,gamma,delta");
  ASSERT_NE(header(r.response, "transfer-encoding"), nullptr);
  // The chunked connection is still good for the next request.
  std::int64_t before = connections_so_far(*client_, fx->good);
  EXPECT_EQ(client_->perform(get(https(fx->good, "/chunked"))).response.body, "alpha,beta,gamma,delta");
  EXPECT_EQ(connections_so_far(*client_, fx->good), before);
}

// ---- streamed bodies (the gateway's proxy) ----------------------------------------------------

/// Hands out `parts` one read at a time; `length` is announced or not.
class Parts : public BodySource {
 public:
  Parts(std::vector<std::string> parts, bool announce) : parts_(std::move(parts)), announce_(announce) {}
  long read(char* out, std::size_t cap) override {
    if (next_ == parts_.size()) return 0;
    const std::string& p = parts_[next_];
    std::size_t n = std::min(cap, p.size() - at_);
    std::memcpy(out, p.data() + at_, n);
    at_ += n;
    if (at_ == p.size()) {
      ++next_;
      at_ = 0;
    }
    return static_cast<long>(n);
  }
  std::optional<std::uint64_t> length() const override {
    if (!announce_) return std::nullopt;
    std::uint64_t n = 0;
    for (const auto& p : parts_) n += p.size();
    return n;
  }

 private:
  std::vector<std::string> parts_;
  bool announce_;
  std::size_t next_ = 0, at_ = 0;
};

/// Records what arrives; can stop after `stop_after` bytes or discard everything.
class Collect : public ResponseSink {
 public:
  Take head(const HttpResponse& h) override {
    ++heads;
    status = h.status;
    headers = h.headers;
    return take;
  }
  bool data(const char* bytes, std::size_t n) override {
    ++pieces;
    body.append(bytes, n);
    return body.size() < stop_after;
  }
  Take take = Take::stream;
  std::size_t stop_after = SIZE_MAX;
  int heads = 0, status = 0, pieces = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

std::string echoed(const std::string& body, const std::string& field) {
  auto v = latchkey::parse_json(body, "echo");
  if (!v) return "<not json>";
  const auto& o = v->get<latchkey::JsonObject>();
  if (field == "body") return o.at("body").to_str();
  for (const auto& h : o.at("headers").get<latchkey::JsonArray>()) {
    if (strcasecmp(h.get<latchkey::JsonArray>()[0].to_str().c_str(), field.c_str()) == 0) return h.get<latchkey::JsonArray>()[1].to_str();
  }
  return "<absent>";
}

TEST_F(HttpsClientTest, StreamedBodyOfUnknownLengthGoesChunked) {
  HttpRequest req = get(https(fx->good, "/echo"));
  req.method = "POST";
  Parts body({"first part,", "second,", std::string(40000, 'z')}, false);
  Collect sink;
  EffectResult r = client_->stream(req, &body, sink);
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "");  // it went to the sink
  EXPECT_EQ(sink.heads, 1);
  std::string got = echoed(sink.body, "body");
  EXPECT_TRUE(got == "first part,second," + std::string(40000, 'z')) << got.size() << " bytes echoed";
  EXPECT_EQ(echoed(sink.body, "Transfer-Encoding"), "chunked");
  EXPECT_EQ(echoed(sink.body, "Content-Length"), "<absent>");
}

TEST_F(HttpsClientTest, StreamedBodyOfKnownLengthKeepsContentLength) {
  HttpRequest req = get(https(fx->good, "/echo"));
  req.method = "PUT";
  Parts body({"abc", "defgh"}, true);
  Collect sink;
  EffectResult r = client_->stream(req, &body, sink);
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(echoed(sink.body, "body"), "abcdefgh");
  EXPECT_EQ(echoed(sink.body, "Content-Length"), "8");
  EXPECT_EQ(echoed(sink.body, "Transfer-Encoding"), "<absent>");
}

TEST_F(HttpsClientTest, StreamedResponseHasNoSizeCapAndArrivesInPieces) {
  HttpRequest req = get(https(fx->good, "/big?n=3000000&chunked=1"));
  req.max_response_bytes = 1024;  // perform()'s cap; a stream has none
  Collect sink;
  EffectResult r = client_->stream(req, nullptr, sink);
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(sink.status, 200);
  EXPECT_TRUE(sink.body == std::string(3000000, 'x')) << sink.body.size() << " bytes";
  EXPECT_GT(sink.pieces, 10);
}

TEST_F(HttpsClientTest, StreamSkipsInterimResponses) {
  Collect sink;
  EffectResult r = client_->stream(get(https(fx->good, "/early-hints")), nullptr, sink);
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(sink.heads, 1);
  EXPECT_EQ(sink.status, 200);
  EXPECT_EQ(sink.body, R"({"hinted":true})");
}

TEST_F(HttpsClientTest, DiscardedBodyIsReadAndTheConnectionKept) {
  std::int64_t before = connections_so_far(*client_, fx->good);
  Collect sink;
  sink.take = ResponseSink::Take::discard;
  EffectResult r = client_->stream(get(https(fx->good, "/big?n=200000")), nullptr, sink);
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(sink.pieces, 0);
  EXPECT_EQ(connections_so_far(*client_, fx->good), before);
}

TEST_F(HttpsClientTest, SinkThatStopsEndsTheTransfer) {
  Collect sink;
  sink.stop_after = 100000;
  EffectResult r = client_->stream(get(https(fx->good, "/big?n=5000000")), nullptr, sink);
  EXPECT_NE(r.transport_error.find("went away"), std::string::npos) << r.transport_error;
  EXPECT_LT(sink.body.size(), 5000000u);
  // The half-read connection is dropped, not reused.
  EXPECT_EQ(client_->perform(get(https(fx->good, "/json"))).response.status, 200);
}

TEST_F(HttpsClientTest, BodyDelimitedByConnectionClose) {
  EffectResult r = client_->perform(get(https(fx->good, "/no-length")));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.response.body, "until the end");
}

TEST_F(HttpsClientTest, InterimResponsesAreSkipped) {
  EffectResult r = client_->perform(get(https(fx->good, "/early-hints")));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, R"({"hinted":true})");
  EXPECT_EQ(header(r.response, "link"), nullptr);  // the 103's headers are not the response's
}

TEST_F(HttpsClientTest, EightInterimResponsesAreSkippedANinthIsAnError) {
  EffectResult eight = client_->perform(get(https(fx->good, "/early-hints?n=8")));
  ASSERT_EQ(eight.transport_error, "");
  EXPECT_EQ(eight.response.status, 200);
  EXPECT_EQ(eight.response.body, R"({"hinted":true})");
  Collect sink;
  EffectResult nine = client_->stream(get(https(fx->good, "/early-hints?n=9")), nullptr, sink);
  EXPECT_EQ(nine.transport_error,
            "localhost sent more than 8 interim (1xx) answers; check that the URL names the right endpoint");
  EXPECT_EQ(sink.heads, 0);  // no 1xx was taken for the answer
  EXPECT_EQ(client_->perform(get(https(fx->good, "/early-hints?n=9"))).transport_error, nine.transport_error);
}

TEST_F(HttpsClientTest, HeadHasNoBody) {
  HttpRequest req = get(https(fx->good, "/big?n=5000"));
  req.method = "HEAD";
  EffectResult r = client_->perform(req);
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "");
  EXPECT_EQ(client_->perform(get(https(fx->good, "/json"))).response.status, 200);
}

// ---- size cap --------------------------------------------------------------------------------

TEST_F(HttpsClientTest, BodyAtTheCapIsAccepted) {
  for (const char* chunked : {"0", "1"}) {
    HttpRequest req = get(https(fx->good, std::string("/big?n=1048576&chunked=") + chunked));
    req.max_response_bytes = 1048576;
    EffectResult r = client_->perform(req);
    ASSERT_EQ(r.transport_error, "") << "chunked=" << chunked;
    EXPECT_EQ(r.response.body.size(), 1048576u);
    EXPECT_EQ(r.response.body.find_first_not_of('x'), std::string::npos);
  }
}

TEST_F(HttpsClientTest, BodyOverTheCapIsATransportError) {
  for (const char* chunked : {"0", "1"}) {
    HttpRequest req = get(https(fx->good, std::string("/big?n=1048577&chunked=") + chunked));
    req.max_response_bytes = 1048576;
    EffectResult r = client_->perform(req);
    EXPECT_EQ(r.transport_error,
              "the response from localhost is larger than 1048576 bytes, the limit for this request; check that the "
              "URL names the right endpoint")
        << "chunked=" << chunked;
    EXPECT_EQ(r.response.status, 0);
  }
}

TEST_F(HttpsClientTest, TenMegabytesWithAOneMebibyteCapFailsCleanly) {
  for (const char* chunked : {"0", "1"}) {
    HttpRequest req = get(https(fx->good, std::string("/big?n=10485760&chunked=") + chunked));
    auto start = Clock::now();
    EffectResult r = client_->perform(req);  // default cap: 1 MiB
    EXPECT_NE(r.transport_error.find("larger than 1048576 bytes"), std::string::npos) << r.transport_error;
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
    // The half-read connection was dropped, not reused: the next request works.
    EffectResult next = client_->perform(get(https(fx->good, "/json")));
    EXPECT_EQ(next.transport_error, "");
    EXPECT_EQ(next.response.status, 200);
  }
}

TEST_F(HttpsClientTest, LargeHeadersSpanningSeveralReadsAreAccepted) {
  // About 24 KiB of header: more than one TLS record (16 KiB), less than the 32 KiB limit.
  EffectResult r = client_->perform(get(https(fx->good, "/many-headers?n=1600")));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.response.headers.size(), 1600u + 4u);  // + Content-Length, Date, Connection, Keep-Alive
  EXPECT_EQ(r.response.body, "ok");
}

TEST_F(HttpsClientTest, OversizedHeadersAreATransportError) {
  EffectResult r = client_->perform(get(https(fx->good, "/many-headers?n=3000")));
  EXPECT_NE(r.transport_error.find("response headers from localhost are larger than"), std::string::npos)
      << r.transport_error;
}

// ---- certificate verification ------------------------------------------------------------------

TEST_F(HttpsClientTest, UntrustedCertificateIsRefused) {
  HttpRequest req = get(https(fx->untrusted, "/json"));
  req.headers = {{"Authorization", "Bearer tok-SECRET-1"}};
  req.body = "body-SECRET-2";
  EffectResult r = client_->perform(req);
  EXPECT_EQ(r.transport_error,
            "the TLS certificate of localhost is not trusted (unknown CA); pass --ca-file or set LATCHKEY_CA_FILE to "
            "the issuing CA's PEM");
  EXPECT_EQ(r.transport_error.find("SECRET"), std::string::npos);
}

TEST_F(HttpsClientTest, CertificateForAnotherNameIsRefused) {
  EffectResult r = client_->perform(get(https(fx->wrong, "/json")));
  EXPECT_EQ(r.transport_error,
            "the TLS certificate is for wrong.example, not localhost; check the host name in the URL (the server may be "
            "misconfigured)");
}

TEST_F(HttpsClientTest, IpAddressesAreMatchedAgainstIpSans) {
  EffectResult ok = client_->perform(get(https(fx->good, "/json", "127.0.0.1")));
  EXPECT_EQ(ok.transport_error, "");
  EXPECT_EQ(ok.response.status, 200);
  EffectResult bad = client_->perform(get(https(fx->wrong, "/json", "127.0.0.1")));
  EXPECT_NE(bad.transport_error.find("is for wrong.example, not 127.0.0.1"), std::string::npos) << bad.transport_error;
}

TEST_F(HttpsClientTest, ExpiredCertificateIsRefused) {
  EffectResult r = client_->perform(get(https(fx->expired, "/json")));
  EXPECT_NE(r.transport_error.find("the TLS certificate of localhost has expired"), std::string::npos)
      << r.transport_error;
}

TEST_F(HttpsClientTest, SystemBundleIsTheDefaultAndDoesNotTrustTheTestCa) {
  if (!fs::exists("/etc/ssl/certs/ca-certificates.crt")) GTEST_SKIP() << "no system CA bundle";
  ScopedCaEnv env(nullptr);
  auto client = make_client("");
  ASSERT_TRUE(client);
  EffectResult r = client->perform(get(https(fx->good, "/json")));
  EXPECT_NE(r.transport_error.find("is not trusted (unknown CA)"), std::string::npos) << r.transport_error;
}

TEST_F(HttpsClientTest, CaFileFromTheEnvironment) {
  ScopedCaEnv env(fx->ca_file.c_str());
  auto client = make_client("");
  ASSERT_TRUE(client);
  EXPECT_EQ(client->perform(get(https(fx->good, "/json"))).response.status, 200);
}

TEST_F(HttpsClientTest, UnreadableCaFilesFailCreate) {
  HttpsClientOptions options;
  options.ca_file = (fx->dir / "missing.pem").string();
  auto missing = HttpsClient::create(options);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::invalid_request);
  EXPECT_NE(missing.error().message.find(options.ca_file), std::string::npos) << missing.error().message;

  write_file(fx->dir / "garbage.pem", "this is not a certificate\n");
  ScopedCaEnv env((fx->dir / "garbage.pem").c_str());
  auto garbage = HttpsClient::create(HttpsClientOptions{});
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, ErrorCode::invalid_request);
  EXPECT_NE(garbage.error().message.find("LATCHKEY_CA_FILE names"), std::string::npos) << garbage.error().message;
}

// ---- connecting and timeouts -------------------------------------------------------------------

TEST_F(HttpsClientTest, DeadPortIsRefused) {
  int port = dead_port();
  EffectResult r = client_->perform(get("https://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(r.transport_error, "could not connect to 127.0.0.1:" + std::to_string(port) +
                                   " (connection refused); check that the server is running and that the host and "
                                   "port are right");
}

TEST_F(HttpsClientTest, SlowServerTimesOut) {
  HttpRequest req = get(https(fx->good, "/slow"));
  req.timeout_ms = 300;
  auto start = Clock::now();
  EffectResult r = client_->perform(req);
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(r.transport_error,
            "localhost did not answer within 300 ms; try again later, or raise the timeout if the server is slow");
  EXPECT_GE(elapsed, std::chrono::milliseconds(290));
  EXPECT_LT(elapsed, std::chrono::seconds(1));
}

TEST_F(HttpsClientTest, SilentTlsHandshakeTimesOut) {
  // A listening socket nobody accepts on: the kernel completes the TCP handshake, then nothing
  // ever answers the ClientHello.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  std::string where = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  auto client = make_client(fx->ca_file, 300);
  auto start = Clock::now();
  EffectResult r = client->perform(get("https://" + where + "/"));
  auto elapsed = Clock::now() - start;
  close(fd);
  EXPECT_EQ(r.transport_error, where + " did not complete the TLS handshake within 300 ms; check that it serves "
                                       "https on this port, or raise the timeout");
  EXPECT_LT(elapsed, std::chrono::seconds(1));
}

TEST_F(HttpsClientTest, HttpsToAPlainHttpServerFails) {
  EffectResult r = client_->perform(get("https://127.0.0.1:" + std::to_string(fx->plain.port) + "/json"));
  EXPECT_NE(r.transport_error.find("127.0.0.1:" + std::to_string(fx->plain.port) + " did not answer with TLS 1.2"),
            std::string::npos)
      << r.transport_error;
  EXPECT_EQ(r.response.status, 0);
}

// ---- keep-alive ------------------------------------------------------------------------------

TEST_F(HttpsClientTest, ReusedConnectionClosedByTheServerIsRetriedOnce) {
  std::int64_t before = connections_so_far(*client_, fx->good);
  // The server answers, then drops the connection when the next request arrives on it.
  ASSERT_EQ(client_->perform(get(https(fx->good, "/kill-on-next"))).response.status, 200);
  HttpRequest post = get(https(fx->good, "/echo"));
  post.method = "POST";
  post.body = "once";
  EffectResult r = client_->perform(post);
  ASSERT_EQ(r.transport_error, "");
  EXPECT_NE(r.response.body.find(R"("body":"once")"), std::string::npos);
  EXPECT_EQ(connections_so_far(*client_, fx->good), before + 1);
}

TEST_F(HttpsClientTest, IdleConnectionTheServerClosedIsNotUsed) {
  std::int64_t before = connections_so_far(*client_, fx->good);
  ASSERT_EQ(client_->perform(get(https(fx->good, "/drop-soon"))).response.status, 200);
  usleep(100 * 1000);
  EXPECT_EQ(connections_so_far(*client_, fx->good), before + 1);
}

TEST_F(HttpsClientTest, FreshConnectionClosedWithoutAnswerIsNotRetried) {
  std::int64_t before = connections_so_far(*client_, fx->good);
  auto client = make_client(fx->ca_file);
  EffectResult r = client->perform(get(https(fx->good, "/hangup")));
  EXPECT_EQ(r.transport_error, "localhost closed the connection without answering; try again later");
  EXPECT_EQ(connections_so_far(*client_, fx->good), before + 1);
}

TEST_F(HttpsClientTest, ConnectionCloseIsHonoured) {
  std::int64_t before = connections_so_far(*client_, fx->good);
  EXPECT_EQ(client_->perform(get(https(fx->good, "/close"))).response.status, 200);
  EXPECT_EQ(connections_so_far(*client_, fx->good), before + 1);
}

// ---- redirects -------------------------------------------------------------------------------

TEST_F(HttpsClientTest, RedirectsAreNotFollowedByDefault) {
  EffectResult r = client_->perform(get(https(fx->good, "/redirect-same")));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.response.status, 302);
  ASSERT_NE(header(r.response, "location"), nullptr);
  EXPECT_EQ(*header(r.response, "location"), "/json");
}

TEST_F(HttpsClientTest, SameOriginRedirectsAreFollowedWhenAsked) {
  for (const char* path : {"/redirect-same", "/redirect-same-abs"}) {
    HttpRequest req = get(https(fx->good, path));
    req.follow_redirects = true;
    EffectResult r = client_->perform(req);
    ASSERT_EQ(r.transport_error, "") << path;
    EXPECT_EQ(r.response.status, 200) << path;
    EXPECT_EQ(r.response.body, R"({"ok":true,"name":"latchkey"})") << path;
  }
}

TEST_F(HttpsClientTest, RedirectsToAnotherHostAreNeverFollowed) {
  HttpRequest req = get(https(fx->good, "/redirect-other"));
  req.follow_redirects = true;
  req.headers = {{"Authorization", "Bearer must-not-travel"}};
  EffectResult r = client_->perform(req);
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.response.status, 302);
  EXPECT_EQ(*header(r.response, "location"), "https://127.0.0.1:" + std::to_string(fx->good.port) + "/json");
}

TEST_F(HttpsClientTest, RedirectLoopsStopAfterFive) {
  HttpRequest req = get(https(fx->good, "/redirect-loop"));
  req.follow_redirects = true;
  EffectResult r = client_->perform(req);
  EXPECT_EQ(r.transport_error, "localhost redirected more than 5 times (a redirect loop?); check the URL");
}

TEST_F(HttpsClientTest, RedirectMethodRules) {
  HttpRequest post = get(https(fx->good, "/redirect-303"));
  post.method = "POST";
  post.body = "payload";
  post.headers = {{"Content-Type", "text/plain"}};
  post.follow_redirects = true;
  EffectResult r = client_->perform(post);
  ASSERT_EQ(r.transport_error, "");
  EXPECT_NE(r.response.body.find(R"("method":"GET")"), std::string::npos) << r.response.body;
  EXPECT_NE(r.response.body.find(R"("body":"")"), std::string::npos) << r.response.body;
  EXPECT_EQ(r.response.body.find("text/plain"), std::string::npos) << r.response.body;

  post.url = https(fx->good, "/redirect-307");
  r = client_->perform(post);
  ASSERT_EQ(r.transport_error, "");
  EXPECT_NE(r.response.body.find(R"("method":"POST")"), std::string::npos) << r.response.body;
  EXPECT_NE(r.response.body.find(R"("body":"payload")"), std::string::npos) << r.response.body;
}

// ---- plain http and bad requests ---------------------------------------------------------------

TEST_F(HttpsClientTest, PlainHttpToLoopbackIsAllowed) {
  for (const char* host : {"127.0.0.1", "localhost"}) {
    EffectResult r = client_->perform(get("http://" + std::string(host) + ":" + std::to_string(fx->plain.port) + "/json"));
    ASSERT_EQ(r.transport_error, "") << host;
    EXPECT_EQ(r.response.body, R"({"ok":true,"name":"latchkey"})");
  }
}

TEST_F(HttpsClientTest, PlainHttpToIpv6Loopback) {
  if (fx->plain6.port == 0) GTEST_SKIP() << "no IPv6 loopback here";
  EffectResult r = client_->perform(get("http://[::1]:" + std::to_string(fx->plain6.port) + "/echo"));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_NE(r.response.body.find(R"(["Host","[::1]:)" + std::to_string(fx->plain6.port)), std::string::npos)
      << r.response.body;
}

TEST_F(HttpsClientTest, PlainHttpElsewhereIsRefusedWithoutConnecting) {
  for (const char* url : {"http://example.com/token", "http://127.0.0.1.example.com/", "http://127.0.0.256/",
                          "http://10.0.0.1:8080/"}) {
    auto start = Clock::now();
    EffectResult r = client_->perform(get(url));
    EXPECT_NE(r.transport_error.find("plain http:// is allowed only to localhost"), std::string::npos) << url;
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(50)) << url;
  }
}

TEST_F(HttpsClientTest, MalformedRequestsFailBeforeConnecting) {
  HttpRequest req = get(https(fx->good, "/echo"));
  req.headers = {{"Authorization", "Bearer SECRET\r\nX-Injected: 1"}};
  EffectResult r = client_->perform(req);
  EXPECT_EQ(r.transport_error,
            "the value of the request header Authorization contains a line break or control character; remove it");
  req.headers = {{"Bad Name", "v"}};
  EXPECT_NE(client_->perform(req).transport_error, "");
  req.headers.clear();
  req.method = "GET /x";
  EXPECT_NE(client_->perform(req).transport_error, "");
  for (const char* url : {"ftp://localhost/", "https://user:pw@localhost/", "https://local host/", "localhost/json",
                          "https://localhost:99999/", "https:///path"}) {
    EXPECT_NE(client_->perform(get(url)).transport_error, "") << url;
  }
}

// ---- the helpers for hosts that send requests themselves --------------------------------------

TEST_F(HttpsClientTest, WireRequestIsExactlyWhatPerformSends) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);

  HttpRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/v2/items?x=1&y=%2F";
  req.headers = {{"Content-Type", "application/json"}, {"X-Trace", "abc"}, {"Host", "ignored.example"},
                 {"Connection", "close"}};
  req.body = R"({"name":"wire"})";
  req.timeout_ms = 5000;
  auto wire = wire_request(req);
  ASSERT_TRUE(wire) << wire.error().message;
  EXPECT_FALSE(wire->tls);
  EXPECT_EQ(wire->host, "127.0.0.1");
  EXPECT_EQ(wire->port, ntohs(a.sin_port));
  EXPECT_TRUE(wire->close_requested);
  EXPECT_EQ(wire->bytes.find("ignored.example"), std::string::npos);

  // perform() on a thread of its own; this one records every byte that arrives, then answers.
  EffectResult result;
  std::thread sender([&] { result = client_->perform(req); });
  std::string received;
  const auto until = Clock::now() + std::chrono::seconds(5);
  pollfd p{fd, POLLIN, 0};
  int conn = poll(&p, 1, 5000) == 1 ? accept(fd, nullptr, nullptr) : -1;
  if (conn >= 0) {
    while (received.size() < wire->bytes.size() && Clock::now() < until) {
      pollfd c{conn, POLLIN, 0};
      if (poll(&c, 1, 200) <= 0) continue;
      char buf[4096];
      ssize_t n = read(conn, buf, sizeof buf);
      if (n <= 0) break;
      received.append(buf, static_cast<std::size_t>(n));
    }
    const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    (void)!write(conn, answer, sizeof answer - 1);
  }
  sender.join();
  if (conn >= 0) close(conn);
  close(fd);
  ASSERT_GE(conn, 0) << "perform() never connected";
  EXPECT_EQ(received, wire->bytes);
  EXPECT_EQ(result.transport_error, "");
  EXPECT_EQ(result.response.body, "ok");
}

TEST(WireRequest, HostIsLowerCasedAndUnbracketed) {
  HttpRequest req;
  req.url = "http://[::1]:8080/x";
  auto v6 = wire_request(req);
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
  EXPECT_NE(v6->bytes.find("\r\nHost: [::1]:8080\r\n"), std::string::npos) << v6->bytes;
  req.url = "https://API.Example.COM/x";
  auto named = wire_request(req);
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_TRUE(named->tls);
  EXPECT_EQ(named->host, "api.example.com");
  EXPECT_EQ(named->port, 443);
  req.url = "https://example.com/x";
  req.headers = {{"X-Bad", "a\r\nInjected: 1"}};
  auto bad = wire_request(req);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_request);
}

TEST(TlsPeer, Ipv6LiteralsWithOrWithoutBrackets) {
  const unsigned char loopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  for (const char* host : {"[::1]", "::1"}) {
    TlsPeer peer = tls_peer(host);
    EXPECT_TRUE(peer.host_is_ip) << host;
    ASSERT_EQ(peer.ip_len, 16u) << host;
    EXPECT_EQ(std::memcmp(peer.ip, loopback6, 16), 0) << host;
  }
  TlsPeer upper = tls_peer("[2001:DB8::A]");
  EXPECT_TRUE(upper.host_is_ip);
  EXPECT_EQ(upper.ip_len, 16u);
  EXPECT_EQ(upper.host, "[2001:db8::a]");
}

TEST(TlsPeer, NamesAreLowerCasedAndIpv4IsAnAddress) {
  TlsPeer name = tls_peer("LocalHost.Example");
  EXPECT_EQ(name.host, "localhost.example");
  EXPECT_FALSE(name.host_is_ip);
  EXPECT_EQ(name.ip_len, 0u);
  TlsPeer v4 = tls_peer("127.0.0.1");
  EXPECT_TRUE(v4.host_is_ip);
  ASSERT_EQ(v4.ip_len, 4u);
  const unsigned char loopback4[4] = {127, 0, 0, 1};
  EXPECT_EQ(std::memcmp(v4.ip, loopback4, 4), 0);
  // Not an address, whatever inet_pton would make of the digits alone.
  EXPECT_FALSE(tls_peer("127.0.0.1.example").host_is_ip);
}

}  // namespace
}  // namespace latchkey::native
