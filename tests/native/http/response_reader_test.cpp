// The HTTP/1.1 response reader shared by HttpsClient and latchkeyd's loop, fed bytes by hand:
// heads split anywhere, chunked bodies, every limit and every way an answer can go wrong.
#include "http/response_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace latchkey::native {
namespace {

using Event = ResponseReader::Event;

/// What a connection would see: the events in order, and what they carried.
struct Read {
  std::vector<Event> events;
  int status = 0;
  Params headers;
  std::string body;
  std::size_t largest_body_event = 0;
  std::string error;
  bool keep_alive = false;
  bool started = false;
  std::size_t left_over = 0;  ///< Bytes offered and never taken.
};

/// Offers `wire` `step` bytes at a time, as a connection delivers them, keeping what the reader
/// does not take in front of what comes next (as the hosts' read buffers do); then, if `eof`,
/// the end of the connection.
Read read_all(std::string_view wire, std::size_t step, bool eof = false, ResponseReader::Options options = {}) {
  if (options.host.empty()) options.host = "api.example.com";
  ResponseReader reader;
  reader.start(std::move(options));
  Read r;
  std::string pending;
  std::size_t at = 0;
  for (;;) {
    std::size_t used = 0;
    const Event e = reader.feed(pending.data(), pending.size(), &used);
    pending.erase(0, used);
    if (e == Event::head) {
      r.events.push_back(e);
      HttpResponse head;
      head.body = "untouched";
      reader.copy_head(head);
      EXPECT_EQ(head.body, "untouched");
      EXPECT_EQ(reader.status(), head.status);
      r.status = head.status;
      r.headers = head.headers;
      continue;
    }
    if (e == Event::body) {
      if (r.events.empty() || r.events.back() != Event::body) r.events.push_back(e);
      r.body += reader.body();
      r.largest_body_event = std::max(r.largest_body_event, reader.body().size());
      continue;
    }
    if (e == Event::need_more && at < wire.size()) {
      const std::size_t n = std::min(step, wire.size() - at);
      pending.append(wire.substr(at, n));
      at += n;
      continue;
    }
    Event last = e;
    if (e == Event::need_more && eof) last = reader.feed_eof();
    if (last != Event::need_more) r.events.push_back(last);
    if (last == Event::error) r.error = reader.error();
    r.keep_alive = reader.keep_alive();
    r.started = reader.started();
    r.left_over = pending.size() + (wire.size() - at);
    return r;
  }
}

const std::vector<Event> kHeadBodyDone = {Event::head, Event::body, Event::done};

TEST(ResponseReader, HeadSplitAtEveryByte) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Trace: a b\r\nContent-Length: 5\r\n\r\nhello";
  for (std::size_t step = 1; step <= wire.size(); ++step) {
    Read r = read_all(wire, step);
    ASSERT_EQ(r.events, kHeadBodyDone) << "step " << step;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers, (Params{{"Content-Type", "text/plain"}, {"X-Trace", "a b"}, {"Content-Length", "5"}}));
    EXPECT_EQ(r.body, "hello");
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(r.left_over, 0u);
  }
}

TEST(ResponseReader, HeadersKeepTheirSpellingAndRepeats) {
  Read r = read_all("HTTP/1.1 204 No Content\r\nset-cookie: a=1\r\nX-UPPER: v\r\nSet-Cookie: b=2\r\n\r\n", 7);
  ASSERT_EQ(r.events, (std::vector<Event>{Event::head, Event::done}));
  EXPECT_EQ(r.status, 204);
  // A repeated field comes right after the earlier ones of its name (Beast's order).
  EXPECT_EQ(r.headers, (Params{{"set-cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"X-UPPER", "v"}}));
  EXPECT_EQ(r.body, "");
}

TEST(ResponseReader, ChunkedBodyIsDechunkedWhateverTheSplit) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7;name=value\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{13}, wire.size()}) {
    Read r = read_all(wire, step);
    ASSERT_EQ(r.events, kHeadBodyDone) << "step " << step;
    EXPECT_EQ(r.body, "hello, world") << "step " << step;
    EXPECT_EQ(r.headers, (Params{{"Transfer-Encoding", "chunked"}}));
    EXPECT_TRUE(r.keep_alive);
  }
}

TEST(ResponseReader, LargeBodiesAreHandedOverSixteenKibibytesAtATime) {
  const std::string body(40000, 'x');
  Read plain = read_all("HTTP/1.1 200 OK\r\nContent-Length: 40000\r\n\r\n" + body, 65536);
  EXPECT_EQ(plain.body, body);
  EXPECT_EQ(plain.largest_body_event, 16384u);
  // 0x9c40 = 40000
  Read chunked = read_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9c40\r\n" + body + "\r\n0\r\n\r\n", 65536);
  EXPECT_EQ(chunked.body, body);
  EXPECT_EQ(chunked.largest_body_event, 16384u);
}

TEST(ResponseReader, BytesAfterTheAnswerAreNotTaken) {
  Read r = read_all("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 408", 100);
  ASSERT_EQ(r.events, kHeadBodyDone);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.left_over, 12u);  // "HTTP/1.1 408": the caller sees the connection is not clean
}

TEST(ResponseReader, HeadOverTheLimitIsRefusedHoweverItArrives) {
  const std::string wire = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(33000, 'b') + "\r\n\r\n";
  const char* expected =
      "the response headers from api.example.com are larger than 32768 bytes; check that the URL names the right "
      "endpoint";
  for (std::size_t step : {std::size_t{1000}, std::size_t{16384}, wire.size()}) {
    Read r = read_all(wire, step);
    ASSERT_EQ(r.events, (std::vector<Event>{Event::error})) << "step " << step;
    EXPECT_EQ(r.error, expected) << "step " << step;
  }
  // Under the limit, in pieces: accepted.
  Read fits = read_all("HTTP/1.1 200 OK\r\nX-Big: " + std::string(32000, 'b') + "\r\nContent-Length: 0\r\n\r\n", 1000);
  ASSERT_EQ(fits.events, (std::vector<Event>{Event::head, Event::done}));
  ASSERT_EQ(fits.headers.size(), 2u);
  EXPECT_EQ(fits.headers[0].second.size(), 32000u);
}

TEST(ResponseReader, ManySmallFieldsCountAgainstTheHeadLimit) {
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 4000; ++i) many += "A: b\r\n";  // 24,000 bytes of fields
  Read fits = read_all(many + "Content-Length: 0\r\n\r\n", 4096);
  ASSERT_EQ(fits.events, (std::vector<Event>{Event::head, Event::done}));
  EXPECT_EQ(fits.headers.size(), 4001u);
  std::string too_many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 6000; ++i) too_many += "A: b\r\n";  // 36,000 bytes of fields
  Read r = read_all(too_many + "\r\n", 4096);
  ASSERT_EQ(r.events, (std::vector<Event>{Event::error}));
  EXPECT_EQ(r.error,
            "the response headers from api.example.com are larger than 32768 bytes; check that the URL names the "
            "right endpoint");
}

TEST(ResponseReader, BodyOverTheLimitIsRefused) {
  ResponseReader::Options capped{"localhost", false, 10};
  const char* expected =
      "the response from localhost is larger than 10 bytes, the limit for this request; check that the URL names "
      "the right endpoint";
  Read announced = read_all("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", 1, false, capped);
  EXPECT_EQ(announced.events, (std::vector<Event>{Event::error}));  // refused on its Content-Length
  EXPECT_EQ(announced.error, expected);
  Read chunked =
      read_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n", 3, false,
               capped);
  EXPECT_EQ(chunked.events.back(), Event::error);
  EXPECT_EQ(chunked.error, expected);
  Read at_cap = read_all("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhelloworld", 4, false, capped);
  EXPECT_EQ(at_cap.events, kHeadBodyDone);
  EXPECT_EQ(at_cap.body, "helloworld");
}

TEST(ResponseReader, WhatIsNotHttpIsRefused) {
  const std::string prefix = "api.example.com sent a response that is not valid HTTP/1.1 (";
  const std::string suffix = "); check that the URL's scheme and port are right";
  Read status = read_all("HTTP/1.1 2x0 OK\r\n\r\n", 1);
  ASSERT_EQ(status.events, (std::vector<Event>{Event::error}));
  EXPECT_EQ(status.error, prefix + "bad status" + suffix);
  Read version = read_all("SSH-2.0-OpenSSH_9.2\r\n\r\n", 64);
  EXPECT_EQ(version.error, prefix + "bad version" + suffix);
  Read chunk = read_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 64);
  EXPECT_EQ(chunk.events, (std::vector<Event>{Event::head, Event::error}));
  EXPECT_EQ(chunk.error, prefix + "bad chunk" + suffix);
}

TEST(ResponseReader, InterimAnswersAreSkippedUpToEight) {
  const std::string hint = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
  const std::string final_answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::string eight;
  for (int i = 0; i < 8; ++i) eight += hint;
  Read skipped = read_all(eight + final_answer, 5);
  ASSERT_EQ(skipped.events, kHeadBodyDone);
  EXPECT_EQ(skipped.status, 200);
  EXPECT_EQ(skipped.headers, (Params{{"Content-Length", "2"}}));  // the hints' fields are not the answer's
  EXPECT_EQ(skipped.body, "ok");
  Read nine = read_all(eight + hint + final_answer, 5);
  ASSERT_EQ(nine.events, (std::vector<Event>{Event::error}));
  EXPECT_EQ(nine.error, "api.example.com sent more than 8 interim (1xx) answers; check that the URL names the right endpoint");
}

TEST(ResponseReader, SwitchingProtocolsIsRefused) {
  Read r = read_all("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 9);
  ASSERT_EQ(r.events, (std::vector<Event>{Event::error}));
  EXPECT_EQ(r.error, "api.example.com switched protocols (101), which a token or API request never asks for");
}

TEST(ResponseReader, TheEndOfTheConnection) {
  Read silent = read_all("", 1, true);
  ASSERT_EQ(silent.events, (std::vector<Event>{Event::error}));
  EXPECT_EQ(silent.error, "api.example.com closed the connection without answering; try again later");
  EXPECT_FALSE(silent.started);  // a host may send the request again on a new connection

  const char* middle = "api.example.com closed the connection in the middle of its answer; try again";
  Read part_head = read_all("HTTP/1.1 200 OK\r\nContent-", 4, true);
  EXPECT_EQ(part_head.events, (std::vector<Event>{Event::error}));
  EXPECT_EQ(part_head.error, middle);
  EXPECT_TRUE(part_head.started);
  Read part_line = read_all("HTT", 1, true);  // bytes that were never taken still count as an answer begun
  EXPECT_EQ(part_line.error, middle);
  EXPECT_TRUE(part_line.started);
  Read part_body = read_all("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhell", 4, true);
  EXPECT_EQ(part_body.events, (std::vector<Event>{Event::head, Event::body, Event::error}));
  EXPECT_EQ(part_body.body, "hell");
  EXPECT_EQ(part_body.error, middle);
  Read part_chunks = read_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 4, true);
  EXPECT_EQ(part_chunks.error, middle);
  Read after_hint = read_all("HTTP/1.1 103 Early Hints\r\n\r\n", 4, true);
  EXPECT_EQ(after_hint.error, middle);

  // No length and not chunked: the body is what comes before the end, and the connection is spent.
  Read delimited = read_all("HTTP/1.1 200 OK\r\n\r\nall of it", 3, true);
  ASSERT_EQ(delimited.events, kHeadBodyDone);
  EXPECT_EQ(delimited.body, "all of it");
  EXPECT_FALSE(delimited.keep_alive);
}

TEST(ResponseReader, KeepAliveFollowsTheAnswer) {
  EXPECT_TRUE(read_all("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 8).keep_alive);
  EXPECT_FALSE(read_all("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 8).keep_alive);
  EXPECT_FALSE(read_all("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 8).keep_alive);
  EXPECT_TRUE(read_all("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 8).keep_alive);
}

TEST(ResponseReader, TheAnswerToHeadHasNoBody) {
  Read r = read_all("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 6, false, {"localhost", true, std::nullopt});
  ASSERT_EQ(r.events, (std::vector<Event>{Event::head, Event::done}));
  EXPECT_EQ(r.headers, (Params{{"Content-Length", "100"}}));
  EXPECT_EQ(r.body, "");
  EXPECT_TRUE(r.keep_alive);
}

TEST(ResponseReader, AnEndlessChunkHeaderIsRefused) {
  const std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=" + std::string(60000, 'a');
  Read r = read_all(wire, 49152);
  ASSERT_EQ(r.events, (std::vector<Event>{Event::head, Event::error}));
  EXPECT_EQ(r.error, "api.example.com sent a chunk header longer than 49152 bytes; check that the URL names the right endpoint");
  // A long extension that fits is read.
  Read fits = read_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=" + std::string(40000, 'a') +
                           "\r\nok\r\n0\r\n\r\n",
                       4096);
  ASSERT_EQ(fits.events, kHeadBodyDone);
  EXPECT_EQ(fits.body, "ok");
}

TEST(ResponseReader, AfterDoneOrAnErrorItAnswersTheSameAndStartReadsAfresh) {
  ResponseReader reader;
  reader.start({"localhost", false, std::nullopt});
  std::size_t used = 0;
  const std::string bad = "HTTP/1.1 101 Switching Protocols\r\n\r\n";
  ASSERT_EQ(reader.feed(bad.data(), bad.size(), &used), Event::error);
  EXPECT_EQ(reader.feed(bad.data(), bad.size(), &used), Event::error);
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(reader.feed_eof(), Event::error);
  EXPECT_EQ(reader.error(), "localhost switched protocols (101), which a token or API request never asks for");

  reader.start({"localhost", false, std::nullopt});
  EXPECT_FALSE(reader.started());
  EXPECT_EQ(reader.error(), "");
  const std::string good = "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n";
  ASSERT_EQ(reader.feed(good.data(), good.size(), &used), Event::head);
  EXPECT_EQ(used, good.size());
  EXPECT_EQ(reader.status(), 304);
  EXPECT_EQ(reader.feed(nullptr, 0, &used), Event::done);
  EXPECT_EQ(reader.feed(good.data(), good.size(), &used), Event::done);
  EXPECT_EQ(used, 0u);
  EXPECT_TRUE(reader.keep_alive());
}

}  // namespace
}  // namespace latchkey::native
