"""Date parsing for the formats surveys and exports actually use."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timezone

MONTHS = [m.lower() for m in calendar.month_name[1:]]  # "january" ... "december"

_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y",
    "%b %d, %Y",
    "%d %b %Y",
    "%Y-%m",
)


def parse_date(value: object) -> datetime | None:
    """Return a datetime (keeping the source's own offset) or None when it is not a date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    s = str(value).strip()
    if not s:
        return None
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    return None


def to_epoch(dt: datetime) -> float:
    """Seconds since 1970; a naive datetime is taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
