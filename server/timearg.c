/*
 * timearg.c: times given as request parameters (see timearg.h).
 */
#include "timearg.h"

#include <stdbool.h>
#include <stdio.h>

#define NS_PER_S 1000000000LL
#define FORMS "RFC 3339 (2024-05-01T12:00:00Z), Unix seconds or Unix nanoseconds"

/* n decimal digits at s into *v; false unless all are digits. */
static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; negative before). */
static int64_t days_since_epoch(int y, int m, int d)
{
	static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	int64_t days = 0;
	for (int k = 1970; k < y; k++)
		days += leap(k) ? 366 : 365;
	for (int k = y; k < 1970; k++)
		days -= leap(k) ? 366 : 365;
	return days + before[m - 1] + (m > 2 && leap(y)) + d - 1;
}

/* a * NS_PER_S + b into *out, false on overflow (a, b >= 0). */
static bool to_ns(int64_t a, int64_t b, int64_t *out)
{
	if (a > (INT64_MAX - b) / NS_PER_S)
		return false;
	*out = a * NS_PER_S + b;
	return true;
}

/* ".123" at *s: up to 9 digits as nanoseconds; *s moves past it. */
static bool fraction(const char **s, int64_t *ns)
{
	*ns = 0;
	if (**s != '.')
		return true;
	(*s)++;
	int n = 0;
	int64_t scale = NS_PER_S;
	for (; **s >= '0' && **s <= '9'; (*s)++, n++) {
		if (n == 9)
			return false;
		scale /= 10;
		*ns += (**s - '0') * scale;
	}
	return n > 0;
}

static int rfc3339(const char *s, int64_t *ns, char *err, size_t cap)
{
	int y, mo, d, h, mi, sec;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') || !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		goto bad;
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap(y)) || h > 23 || mi > 59 ||
	    sec > 60)
		goto bad;
	const char *p = s + 19;
	int64_t frac;
	if (!fraction(&p, &frac))
		goto bad;
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			goto bad;
		off = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
		p += 6;
	} else {
		goto bad;
	}
	if (*p)
		goto bad;
	if (y < 1969 || y > 2262) /* 1969-12-31 with an offset can be after the epoch */
		goto range;
	int64_t secs = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	if (secs < 0 || (secs == 0 && frac == 0) || !to_ns(secs, frac, ns))
		goto range;
	return 0;
bad:
	snprintf(err, cap, "time %.40s is not a time: give " FORMS, s);
	return -1;
range:
	snprintf(err, cap, "time %.40s is out of range: it must be after 1970-01-01T00:00:00Z and before 2262", s);
	return -1;
}

int timearg_parse(const char *s, int64_t *ns, char *err, size_t cap)
{
	if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
	    s[3] >= '0' && s[3] <= '9' && s[4] == '-')
		return rfc3339(s, ns, err, cap);
	const char *p = s;
	int64_t whole = 0;
	int n = 0;
	for (; *p >= '0' && *p <= '9'; p++, n++) {
		if (whole > (INT64_MAX - (*p - '0')) / 10) {
			snprintf(err, cap, "time %.40s is out of range: it must be before 2262", s);
			return -1;
		}
		whole = whole * 10 + (*p - '0');
	}
	bool has_frac = *p == '.';
	int64_t frac;
	if (n == 0 || !fraction(&p, &frac) || *p) {
		snprintf(err, cap, "time %.40s is not a time: give " FORMS, s);
		return -1;
	}
	if (whole < 100000000000LL) {
		if (!to_ns(whole, frac, ns) || *ns <= 0) {
			snprintf(err, cap, "time %.40s is out of range: it must be after 1970-01-01T00:00:00Z and before 2262", s);
			return -1;
		}
		return 0;
	}
	if (has_frac || whole < 100000000000000000LL) {
		snprintf(err, cap, "time %.40s is ambiguous: give Unix seconds (below 10^11), Unix nanoseconds "
		         "(10^17 and above) or RFC 3339", s);
		return -1;
	}
	*ns = whole;
	return 0;
}
