// N sequential HTTPS GETs over one kept-alive connection with latchkey's mbedTLS client.
//   latchkey_https_bench URL COUNT CA_FILE   → prints "N requests in T ms (R req/s)"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "http/https_client.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s URL COUNT CA_FILE\n", argv[0]);
    return 2;
  }
  latchkey::native::HttpsClientOptions options;
  options.ca_file = argv[3];
  auto client = latchkey::native::HttpsClient::create(options);
  if (!client) {
    std::fprintf(stderr, "%s\n", client.error().message.c_str());
    return 1;
  }
  latchkey::HttpRequest req;
  req.url = argv[1];
  const int n = std::atoi(argv[2]);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    auto r = (*client)->perform(req);
    if (!r.transport_error.empty() || r.response.status != 200) {
      std::fprintf(stderr, "request %d failed: %s (HTTP %d)\n", i, r.transport_error.c_str(), r.response.status);
      return 1;
    }
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d requests in %.1f ms (%.0f req/s)\n", n, ms, n / (ms / 1000));
  return 0;
}
