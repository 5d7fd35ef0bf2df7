"""Timestamps without `datetime`: ISO-8601 to epoch milliseconds, local-day bounds."""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

QUARTER_HOUR_MS = 900_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z: int) -> tuple[int, int, int]:
    """Inverse of `days_from_civil`: (year, month, day) of a day number."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def _zone_minutes(zone: str) -> int | None:
    """Minutes east of UTC for `Z`, `±HH:MM`, `±HHMM` or `±HH`; None for anything else."""
    if zone in ("Z", "z"):
        return 0
    if len(zone) not in (3, 5, 6) or zone[0] not in "+-":
        return None
    digits = zone[1:3] + (zone[4:6] if len(zone) == 6 and zone[3] == ":" else zone[3:5])
    if len(digits) != len(zone) - 1 - (len(zone) == 6) or not digits.isdigit() or not digits.isascii():
        return None
    hours, minutes = int(digits[:2]), int(digits[2:] or "0")
    if hours > 23 or minutes > 59:
        return None
    return -(hours * 60 + minutes) if zone[0] == "-" else hours * 60 + minutes


# Claude Code writes `2026-11-25T01:36:48.119Z`: the start of each hour seen in that form is
# remembered, so the usual timestamp costs a dict lookup and a small int (a cold build reads
# hundreds of thousands; remembering minutes left one in five to the full parse).
_HOURS: dict[str, int] = {}
_HOURS_MAX = 65_536


def week_start_day(y: int, m: int, d: int, first_weekday: int) -> int:
    """Day number (days since 1970-01-01) of the first day of the week holding y-m-d, for weeks
    starting on `first_weekday` (0 = Monday … 6 = Sunday)."""
    day = days_from_civil(y, m, d)
    return day - (day + 3 - first_weekday) % 7  # 1970-01-01 was a Thursday (weekday 3)


def parse_iso_ms(text: object) -> int | None:
    """Epoch milliseconds of an ISO-8601 date-time with a zone, else None (see `_parse_iso_ms`)."""
    if type(text) is str and len(text) == 24 and text[23] == "Z" and text[19] == ".":
        hour = _HOURS.get(text[:14])  # `2026-11-25T01:`, checked when it was remembered
        if hour is not None and text[16] == ":":
            rest = text[14:16] + text[17:19] + text[20:23]  # "MMSSmmm"
            if rest.isdigit() and rest.isascii() and rest[:2] < "60" and rest[2:4] < "61":
                n = int(rest)  # MM * 100_000 + SS * 1000 + mmm
                return hour + n - n // 100_000 * 40_000
        ms = _parse_iso_ms(text)
        if ms is not None:
            if len(_HOURS) >= _HOURS_MAX:
                _HOURS.clear()
            _HOURS[text[:14]] = ms - int(text[14:16]) * 60_000 - int(text[17:19]) * 1000 - int(text[20:23])
        return ms
    return _parse_iso_ms(text)


def _parse_iso_ms(text: object) -> int | None:
    """Epoch milliseconds of an ISO-8601 date-time with a zone, else None.

    Accepts what an ISO 8601 reader would: `T`, `t` or a space between date and time, seconds
    optional, any number of fraction digits (cut to milliseconds), and a zone written `Z`,
    `±HH:MM`, `±HHMM` or `±HH`. A time without a zone is refused: its instant is unknown.
    """
    if not isinstance(text, str) or len(text) < 17 or text[4] != "-" or text[7] != "-":
        return None
    if text[10] not in "Tt " or text[13] != ":":
        return None
    head = text[:10] + text[11:16]
    if not head.replace("-", "").replace(":", "").isdigit() or not head.isascii():
        return None
    y, mo, d = int(text[0:4]), int(text[5:7]), int(text[8:10])
    hh, mi = int(text[11:13]), int(text[14:16])
    pos = 16
    ss = ms = 0
    if text[pos : pos + 1] == ":":
        sec = text[pos + 1 : pos + 3]
        if len(sec) != 2 or not sec.isdigit() or not sec.isascii():
            return None
        ss = int(sec)
        pos += 3
        if text[pos : pos + 1] in (".", ","):
            stop = pos + 1
            while stop < len(text) and "0" <= text[stop] <= "9":
                stop += 1
            if stop == pos + 1:
                return None
            ms = int((text[pos + 1 : stop] + "00")[:3])
            pos = stop
    if not (1 <= mo <= 12 and 1 <= d <= _month_days(y, mo) and hh <= 23 and mi <= 59 and ss <= 60):
        return None
    offset_min = _zone_minutes(text[pos:])
    if offset_min is None:
        return None
    days = days_from_civil(y, mo, d)
    seconds = days * 86400 + hh * 3600 + mi * 60 + ss - offset_min * 60
    return seconds * 1000 + ms


def _month_days(y: int, m: int) -> int:
    if m == 2:
        return 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def utc_day_name(ms: int) -> str:
    """`YYYY-MM-DD` of the UTC day containing `ms`."""
    y, m, d = civil_from_days(ms // DAY_MS)
    return f"{y:04d}-{m:02d}-{d:02d}"


def utc_days_in(start_ms: int, end_ms: int, stored: Callable[[], list[str]]) -> list[str]:
    """`YYYY-MM-DD` names of the UTC days overlapping [start_ms, end_ms).

    A short range (a render's today) names its one to three days directly; a long one (a report)
    keeps only the days `stored()` lists, rather than walking every day since 1970.
    """
    if end_ms - start_ms <= 3 * DAY_MS:
        names = []
        day = start_ms - start_ms % DAY_MS
        while day < end_ms:
            names.append(utc_day_name(day))
            day += DAY_MS
        return names
    lo, hi = utc_day_name(max(start_ms, 0)), utc_day_name(min(end_ms - 1, 253402300799000))
    return [d for d in stored() if lo <= d <= hi]


def _local_day(t: int) -> int:
    """Day number (days since 1970-01-01) of the local calendar date at epoch second `t`."""
    lt = time.localtime(t)
    return days_from_civil(lt.tm_year, lt.tm_mon, lt.tm_mday)


def _first_second_of(day: int, guess: int, near: int) -> int:
    """The first epoch second whose local date is `day` or later.

    `guess` (midnight by the current offset) is checked and usually right; otherwise (a clock
    change that day, midnight skipped or repeated) bisect over the two days around `near`.
    """
    if _local_day(guess) >= day > _local_day(guess - 1):
        return guess
    lo, hi = near - 2 * 86400, near + 2 * 86400
    while _local_day(lo) >= day:  # offsets beyond a day: look further
        lo -= 86400
    while _local_day(hi) < day:
        hi += 86400
    while hi - lo > 1:  # _local_day(lo) < day <= _local_day(hi)
        mid = (lo + hi) // 2
        if _local_day(mid) >= day:
            hi = mid
        else:
            lo = mid
    return hi


def local_day_bounds_ms(now_s: float) -> tuple[int, int, str]:
    """[start, end) of the local calendar day containing `now_s`, in epoch ms, and its name.

    Uses the C library's local time, so `TZ` (IANA names or POSIX strings) is honoured. A day
    starts at the first instant with its date: at the first of two midnights when the clock goes
    back at 01:00, at 01:00 when midnight is skipped; DST days are 23 or 25 hours long.
    """
    now = int(now_s // 1)
    lt = time.localtime(now)
    today = days_from_civil(lt.tm_year, lt.tm_mon, lt.tm_mday)
    midnight = now - (lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec)
    start = _first_second_of(today, midnight, now)
    end = _first_second_of(today + 1, midnight + 86400, now + 86400)
    name = f"{lt.tm_year:04d}-{lt.tm_mon:02d}-{lt.tm_mday:02d}"
    return start * 1000, end * 1000, name


def local_day_start_s(year: int, month: int, day: int) -> int:
    """Epoch second at which a local calendar date begins (month may be 13: January next year)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    guess = int(time.mktime((year, month, day, 0, 0, 0, 0, 0, -1)))
    return _first_second_of(days_from_civil(year, month, day), guess, guess)


def projected(usd: float, start_s: float, end_s: float, now_s: float) -> float:
    """Spend since `start_s` carried on in a straight line to `end_s`: `usd` over the elapsed
    fraction of [start, end), in seconds (whole days would over-weight the start of today). The
    line and the page's month and week projections both use it. The first hour counts as a
    full hour, so a cent at 00:06 is not a fortune; a period already over is its spend."""
    elapsed = min(max(now_s - start_s, 3600.0), end_s - start_s)
    return usd / elapsed * (end_s - start_s) if elapsed > 0 else usd
