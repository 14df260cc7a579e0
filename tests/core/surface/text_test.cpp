// latchkey/text.hpp's UTC time as text: the calendar, for people and for APIs (RFC 3339).
#include <gtest/gtest.h>

#include "latchkey/text.hpp"

namespace latchkey {
namespace {

TEST(UtcText, MatchesTheCalendar) {
  EXPECT_EQ(utc_text(0), "1970-01-01 00:00:00Z");
  EXPECT_EQ(utc_text(1700003600000), "2023-11-14 23:13:20Z");
  EXPECT_EQ(utc_text(951782400000), "2000-02-29 00:00:00Z");   // a leap day of a century year
  EXPECT_EQ(utc_text(4107542399999), "2100-02-28 23:59:59Z");  // 2100 is no leap year
  EXPECT_EQ(utc_text(4107542400000), "2100-03-01 00:00:00Z");
  EXPECT_EQ(utc_text(253402300799000), "9999-12-31 23:59:59Z");  // the largest expiry accepted
  EXPECT_EQ(utc_text(-1), "1969-12-31 23:59:59Z");
}

TEST(UtcText, Iso8601HasTheMilliseconds) {
  EXPECT_EQ(utc_text(1717243200000, true), "2024-06-01T12:00:00.000Z");  // the /oauth-providers example
  EXPECT_EQ(utc_text(1717243200123, true), "2024-06-01T12:00:00.123Z");
  EXPECT_EQ(utc_text(0, true), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(utc_text(-1, true), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace latchkey
