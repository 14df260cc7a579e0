// client_auth.hpp's pure helpers: the UTC text an expiry message shows.
#include <gtest/gtest.h>

#include "client_auth.hpp"

namespace latchkey {
namespace {

TEST(UtcText, MatchesTheCalendar) {
  EXPECT_EQ(detail::utc_text(0), "1970-01-01 00:00:00Z");
  EXPECT_EQ(detail::utc_text(1700003600000), "2023-11-14 23:13:20Z");
  EXPECT_EQ(detail::utc_text(951782400000), "2000-02-29 00:00:00Z");   // a leap day of a century year
  EXPECT_EQ(detail::utc_text(4107542399999), "2100-02-28 23:59:59Z");  // 2100 is no leap year
  EXPECT_EQ(detail::utc_text(4107542400000), "2100-03-01 00:00:00Z");
  EXPECT_EQ(detail::utc_text(253402300799000), "9999-12-31 23:59:59Z");  // the largest expiry accepted
  EXPECT_EQ(detail::utc_text(-1), "1969-12-31 23:59:59Z");
}

}  // namespace
}  // namespace latchkey
