#include "http/response_reader.hpp"

#include <iterator>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

namespace latchkey::native {
namespace {

namespace http = boost::beast::http;
using boost::beast::error_code;

}  // namespace

struct ResponseReader::Parser {
  // buffer_body: the parser hands body bytes over through `chunk`, kResponseBodyChunk at a time.
  std::optional<http::response_parser<http::buffer_body>> p;
  char chunk[kResponseBodyChunk];
};

ResponseReader::ResponseReader() : parser_(std::make_unique<Parser>()) {}
ResponseReader::~ResponseReader() = default;
ResponseReader::ResponseReader(ResponseReader&&) noexcept = default;
ResponseReader& ResponseReader::operator=(ResponseReader&&) noexcept = default;

void ResponseReader::start(Options options) {
  if (!parser_) parser_ = std::make_unique<Parser>();
  options_ = std::move(options);
  phase_ = Phase::head;
  started_ = false;
  ended_by_eof_ = false;
  interim_ = 0;
  body_ = {};
  error_.clear();
  new_parser();
}

void ResponseReader::new_parser() {
  auto& p = parser_->p.emplace();
  header_bytes_ = 0;
  // Beast's default body limit (8 MB) is not ours: none, or the caller's.
  if (options_.body_limit) {
    p.body_limit(*options_.body_limit);
  } else {
    p.body_limit(boost::none);
  }
  if (options_.head_request) p.skip(true);
  // Not eager while reading the head: put() stops once it is complete, so that `head` is
  // reported before any body byte.
  p.eager(false);
}

ResponseReader::Event ResponseReader::fail(std::string message) {
  phase_ = Phase::failed;
  body_ = {};
  error_ = std::move(message);
  return Event::error;
}

ResponseReader::Event ResponseReader::feed(const char* data, std::size_t size, std::size_t* used) {
  *used = 0;
  body_ = {};
  if (phase_ == Phase::failed) return Event::error;
  if (phase_ == Phase::done) return Event::done;
  if (size > 0) started_ = true;
  if (phase_ == Phase::head) return feed_head(data, size, used);
  return feed_body(data, size, used);
}

ResponseReader::Event ResponseReader::feed_head(const char* data, std::size_t size, std::size_t* used) {
  for (;;) {
    auto& p = *parser_->p;
    if (*used == size) return Event::need_more;
    error_code ec;
    // Beast 1.81 checks header_limit against each put()'s window only, and parse_fields()
    // takes whole fields as they arrive: a head trickling in over many reads would never reach
    // it. So Beast gets what is left of the whole head's budget.
    p.header_limit(static_cast<std::uint32_t>(kResponseHeaderLimit - header_bytes_));
    const std::size_t n = p.put(boost::asio::const_buffer(data + *used, size - *used), ec);
    *used += n;
    if (!p.is_header_done()) {
      header_bytes_ += n;
      if (header_bytes_ >= kResponseHeaderLimit) ec = http::error::header_limit;
    }
    if (ec == http::error::header_limit) {
      return fail("the response headers from " + options_.host + " are larger than " +
                  std::to_string(kResponseHeaderLimit) + " bytes; check that the URL names the right endpoint");
    }
    if (ec == http::error::body_limit) {
      return fail("the response from " + options_.host + " is larger than " + std::to_string(*options_.body_limit) +
                  " bytes, the limit for this request; check that the URL names the right endpoint");
    }
    if (ec && ec != http::error::need_more) {
      return fail(options_.host + " sent a response that is not valid HTTP/1.1 (" + ec.message() +
                  "); check that the URL's scheme and port are right");
    }
    if (!p.is_header_done()) {
      if (ec == http::error::need_more || n == 0) return Event::need_more;
      continue;
    }
    const int status = p.get().result_int();
    if (status == 101) {
      return fail(options_.host + " switched protocols (101), which a token or API request never asks for");
    }
    if (status >= 100 && status < 200) {  // 103 Early Hints and the like precede the answer
      if (++interim_ > kMaxInterimResponses) {
        return fail(options_.host + " sent more than " + std::to_string(kMaxInterimResponses) +
                    " interim (1xx) answers; check that the URL names the right endpoint");
      }
      new_parser();
      continue;
    }
    phase_ = Phase::body;
    p.eager(true);  // from here on, as much body as the chunk holds in one put()
    return Event::head;
  }
}

ResponseReader::Event ResponseReader::feed_body(const char* data, std::size_t size, std::size_t* used) {
  auto& p = *parser_->p;
  if (p.is_done()) {
    phase_ = Phase::done;
    return Event::done;
  }
  if (size == 0) return Event::need_more;
  p.get().body().data = parser_->chunk;
  p.get().body().size = sizeof parser_->chunk;
  error_code ec;
  *used = p.put(boost::asio::const_buffer(data, size), ec);
  const std::size_t produced = sizeof parser_->chunk - p.get().body().size;
  if (ec == http::error::need_buffer || ec == http::error::need_more) ec = {};
  if (ec == http::error::body_limit) {
    return fail("the response from " + options_.host + " is larger than " + std::to_string(*options_.body_limit) +
                " bytes, the limit for this request; check that the URL names the right endpoint");
  }
  if (ec) {
    return fail(options_.host + " sent a response that is not valid HTTP/1.1 (" + ec.message() +
                "); check that the URL's scheme and port are right");
  }
  if (produced > 0) {
    body_ = std::string_view(parser_->chunk, produced);
    return Event::body;
  }
  if (p.is_done()) {
    phase_ = Phase::done;
    return Event::done;
  }
  if (size - *used >= kResponsePendingLimit) {
    // The head cannot get here (its limit is lower): a chunk-size line (with extensions) or a
    // trailer longer than any read buffer of this size could hold.
    return fail(options_.host + " sent a chunk header longer than " + std::to_string(kResponsePendingLimit) +
                " bytes; check that the URL names the right endpoint");
  }
  return Event::need_more;
}

ResponseReader::Event ResponseReader::feed_eof() {
  body_ = {};
  if (phase_ == Phase::failed) return Event::error;
  if (phase_ == Phase::done) return Event::done;
  if (!started_) return fail(options_.host + " closed the connection without answering; try again later");
  auto& p = *parser_->p;
  if (phase_ == Phase::body) {
    // A body that no length or chunking delimits ends with the connection.
    error_code ec;
    if (!p.is_done()) p.put_eof(ec);
    if (!ec && p.is_done()) {
      ended_by_eof_ = true;
      phase_ = Phase::done;
      return Event::done;
    }
  }
  return fail(options_.host + " closed the connection in the middle of its answer; try again");
}

int ResponseReader::status() const { return parser_->p->get().result_int(); }

void ResponseReader::copy_head(HttpResponse& out) const {
  const auto& msg = parser_->p->get();
  out.status = msg.result_int();
  out.headers.clear();
  out.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
  for (const auto& field : msg) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
}

bool ResponseReader::keep_alive() const {
  if (phase_ != Phase::done || ended_by_eof_) return false;
  const auto& p = *parser_->p;
  return p.get().keep_alive() && !p.need_eof();
}

}  // namespace latchkey::native
