// An HTTP/1.1 response read from bytes as they arrive, with no I/O of its own (sans-IO): the
// HTTPS client's blocking loop and latchkeyd's event loops both feed it, so the limits, the 1xx
// handling and every message about a bad answer are written once. Boost.Beast's parser reads
// the wire format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "latchkey/effects.hpp"

namespace latchkey::native {

/// Response heads larger than this are refused. Node's default limit is 16 KiB and nginx's
/// 32 KiB; large Set-Cookie headers from SSO providers fit. (Many small fields reach it too:
/// there is no separate cap on their number.)
inline constexpr std::size_t kResponseHeaderLimit = 32 * 1024;
/// 1xx answers (103 Early Hints, an unasked 100 Continue) skipped before the real one; a server
/// that sends more is not answering.
inline constexpr int kMaxInterimResponses = 8;
/// Body bytes are handed over at most this many at a time.
inline constexpr std::size_t kResponseBodyChunk = 16 * 1024;
/// Once the head is read, bytes offered and not taken (a chunk-size line with its extensions, a
/// trailer) may reach this many; more is refused. It is above kResponseHeaderLimit, so a read
/// buffer of this size always has room for a whole head.
inline constexpr std::size_t kResponsePendingLimit = kResponseHeaderLimit + 16 * 1024;

/// Reads one response (after any interim 1xx answers) from the bytes a connection delivers.
/// Movable, not copyable; start() makes it ready for the next response, reusing its buffers.
///
/// The caller owns the bytes: it offers everything received and not yet taken, drops the
/// `used` bytes feed() reports, and offers the rest again followed by what arrives next (the
/// parser takes whole header fields and chunk-size lines only).
class ResponseReader {
 public:
  enum class Event {
    need_more,  ///< Every byte that could be taken was: offer more (or feed_eof() at the end).
    head,       ///< The final answer's status and headers are in: status(), copy_head().
    body,       ///< body() holds the next de-chunked body bytes (valid until the next call).
    done,       ///< The answer is complete; keep_alive() says if the connection may be reused.
    error,      ///< error() says what is wrong, naming the host; the connection is unusable.
  };

  struct Options {
    std::string host;           ///< The server as messages name it ("api.example.com", "[::1]").
    bool head_request = false;  ///< The answer to a HEAD has no body, whatever it says.
    /// The body's size cap after de-chunking; none: any size (the caller streams it).
    std::optional<std::uint64_t> body_limit;
  };

  ResponseReader();
  ~ResponseReader();
  ResponseReader(ResponseReader&&) noexcept;
  ResponseReader& operator=(ResponseReader&&) noexcept;

  /// Forgets any earlier response and expects a new one.
  void start(Options options);

  /// Offers `data[0, size)`; *used is set to how many bytes were taken. One event a call: after
  /// `head` or `body`, call again with what is left. After `done` or `error` it answers the same
  /// again and takes nothing. Errors (their messages, with H the host):
  /// - "the response headers from H are larger than 32768 bytes; …" (kResponseHeaderLimit,
  ///   counted over the whole head however it is split, for each 1xx answer and the final one)
  /// - "the response from H is larger than N bytes, the limit for this request; …" (body_limit;
  ///   before `head` when the Content-Length announces it)
  /// - "H sent a response that is not valid HTTP/1.1 (<parser's reason>); …"
  /// - "H switched protocols (101), which a token or API request never asks for"
  /// - "H sent more than 8 interim (1xx) answers; …" (kMaxInterimResponses)
  /// - "H sent a chunk header longer than 49152 bytes; …" (kResponsePendingLimit)
  Event feed(const char* data, std::size_t size, std::size_t* used);

  /// The connection ended (a clean close: not a reset). Answers `done` for a body the end of the
  /// connection delimits (or an answer already complete), else `error`:
  /// "H closed the connection without answering; try again later" if no byte was ever offered,
  /// "H closed the connection in the middle of its answer; try again" otherwise.
  Event feed_eof();

  /// Any byte offered since start(): a connection closed before that never answered.
  bool started() const { return started_; }
  /// The final status, once `head` has been reported.
  int status() const;
  /// The final status and headers (in the order and spelling received, a repeated field right
  /// after the earlier ones of its name; body left as it is), once `head` has been reported.
  void copy_head(HttpResponse& out) const;
  std::string_view body() const { return body_; }
  const std::string& error() const { return error_; }
  /// After `done`: the answer lets the connection carry another request (HTTP/1.1 keep-alive, no
  /// Connection: close, not ended by the connection's end). The caller adds its own conditions
  /// (no bytes left over, its request did not ask to close).
  bool keep_alive() const;

 private:
  enum class Phase { head, body, done, failed };
  struct Parser;  // Beast's, behind a pointer so that users need not include Beast

  Event fail(std::string message);
  Event feed_head(const char* data, std::size_t size, std::size_t* used);
  Event feed_body(const char* data, std::size_t size, std::size_t* used);
  void new_parser();

  std::unique_ptr<Parser> parser_;
  Options options_;
  Phase phase_ = Phase::head;
  bool started_ = false;
  bool ended_by_eof_ = false;
  int interim_ = 0;                ///< 1xx answers skipped so far.
  std::size_t header_bytes_ = 0;   ///< Of the current head, taken so far (for its limit).
  std::string_view body_;
  std::string error_;
};

}  // namespace latchkey::native
