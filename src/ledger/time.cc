#include "ledger/time.h"

#include <algorithm>
#include <cstdio>

#include "ledger/check.h"

namespace tally {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days (public domain), proleptic Gregorian.
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int64_t y, int m) {
  static constexpr int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : k_days[m - 1];
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

}  // namespace

CivilTime to_civil(TimeUs t) {
  int64_t days = floor_div(t.us, k_us_per_day);
  int64_t rest = t.us - days * k_us_per_day;
  CivilTime c{};
  civil_from_days(days, &c.year, &c.month, &c.day);
  c.hour = static_cast<int>(rest / k_us_per_hour);
  rest %= k_us_per_hour;
  c.minute = static_cast<int>(rest / k_us_per_minute);
  rest %= k_us_per_minute;
  c.second = static_cast<int>(rest / k_us_per_second);
  c.micro = rest % k_us_per_second;
  return c;
}

TimeUs from_civil(const CivilTime& c) {
  int64_t days = days_from_civil(c.year, c.month, c.day);
  return TimeUs{days * k_us_per_day + c.hour * k_us_per_hour + c.minute * k_us_per_minute +
                c.second * k_us_per_second + c.micro};
}

TimeUs add_months(TimeUs t, int n) {
  if (t.is_never()) return t;
  TALLY_CHECK(t <= k_time_max);
  CivilTime c = to_civil(t);
  int64_t index = c.year * 12 + (c.month - 1) + n;
  c.year = floor_div(index, 12);
  c.month = static_cast<int>(index - c.year * 12) + 1;
  int last = days_in_month(c.year, c.month);
  if (c.day > last) c.day = last;
  return std::min(from_civil(c), k_time_max);
}

TimeUs day_start(TimeUs t) {
  return TimeUs{floor_div(t.us, k_us_per_day) * k_us_per_day};
}

std::string format_time(TimeUs t) {
  if (t.is_never()) return "never";
  CivilTime c = to_civil(t);
  char buf[64];
  if (c.micro == 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
                  static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second);
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                  static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second,
                  static_cast<long long>(c.micro));
  }
  return buf;
}

std::optional<TimeUs> parse_time(std::string_view s) {
  auto digits = [&](size_t pos, size_t n, int64_t* out) {
    if (pos + n > s.size()) return false;
    int64_t v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int64_t y, mo, d, h, mi, se;
  if (!digits(0, 4, &y) || s.size() < 20 || s[4] != '-' || !digits(5, 2, &mo) || s[7] != '-' ||
      !digits(8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(11, 2, &h) || s[13] != ':' ||
      !digits(14, 2, &mi) || s[16] != ':' || !digits(17, 2, &se)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, static_cast<int>(mo)) || h > 23 ||
      mi > 59 || se > 59) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t micro = 0;
  if (s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    size_t n = pos - start;
    if (n == 0 || n > 6) return std::nullopt;
    digits(start, n, &micro);
    for (size_t i = n; i < 6; ++i) micro *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_us = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int64_t oh, om;
    if (!digits(pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(pos + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_us = (oh * 60 + om) * k_us_per_minute * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  CivilTime c{y,
              static_cast<int>(mo),
              static_cast<int>(d),
              static_cast<int>(h),
              static_cast<int>(mi),
              static_cast<int>(se),
              micro};
  const TimeUs t{from_civil(c).us - offset_us};
  if (t < k_time_min || t > k_time_max) return std::nullopt;  // an offset past either end
  return t;
}

}  // namespace tally
