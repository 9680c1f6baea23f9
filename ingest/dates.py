"""Date parsing for the formats surveys and exports actually use."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Literal

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


# A numeric date with the year last: 27-04-2023, 4/27/2023 10:15, 27.04.23. Which of the first
# two numbers is the day cannot be told from one value; it is decided once per column.
_NUMERIC = re.compile(
    r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?)?\s*$"
)
Order = Literal["dmy", "mdy"]
ORDER_NAMES = {"dmy": "day first (27/04/2023)", "mdy": "month first (04/27/2023)"}
_ORDER_ALIASES = {
    "dmy": "dmy", "day-first": "dmy", "dayfirst": "dmy", "dd/mm/yyyy": "dmy",
    "mdy": "mdy", "month-first": "mdy", "monthfirst": "mdy", "mm/dd/yyyy": "mdy",
}  # fmt: skip


def parse_order(value: str) -> Order | str:
    """A `--date-format` value: dmy / mdy (or day-first / month-first), or a strptime format."""
    v = value.strip()
    alias = _ORDER_ALIASES.get(v.lower())
    if alias:
        return alias  # type: ignore[return-value]
    if "%" in v:
        return v
    raise ValueError(
        f"'{value}' is not a date format: use dmy (day first), mdy (month first) "
        "or a strptime format such as %d-%m-%Y."
    )


@dataclass
class ColumnDates:
    """How one column's numeric dates are read. ``order`` is None when no value needed it."""

    order: Order | None
    ambiguous: bool = False  # every value fits both orders: the default was taken, with a warning
    conflicting: bool = False  # some values only fit day-first, others only month-first
    fmt: str | None = None  # an explicit strptime format from the source's configuration


def detect_order(values: list[str], default: Order = "dmy") -> ColumnDates:
    """Day-first or month-first from the values themselves: a first number above 12 can only be a
    day, a second number above 12 only a day. Dots are day-first by convention (27.04.2023)."""
    day_first = month_first = numeric = 0
    dots = True
    for v in values:
        m = _NUMERIC.match(v)
        if not m:
            continue
        numeric += 1
        dots &= m.group(2) == "."
        a, b = int(m.group(1)), int(m.group(3))
        if a > 12 >= b:
            day_first += 1
        elif b > 12 >= a:
            month_first += 1
    if not numeric:
        return ColumnDates(order=None)
    if day_first and month_first:
        major: Order = "dmy" if day_first >= month_first else "mdy"
        return ColumnDates(order=major, conflicting=True)
    if day_first:
        return ColumnDates(order="dmy")
    if month_first:
        return ColumnDates(order="mdy")
    if dots:
        return ColumnDates(order="dmy")
    return ColumnDates(order=default, ambiguous=True)


def parse_column_date(value: object, how: ColumnDates) -> datetime | None:
    """`parse_date`, with numeric day/month dates read in the column's own order."""
    if how.fmt and not isinstance(value, (date, datetime)):
        try:
            return datetime.strptime(str(value).strip(), how.fmt)
        except ValueError:
            return None
    if isinstance(value, str):
        m = _NUMERIC.match(value)
        if m:
            a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
            day, month = (a, b) if how.order != "mdy" else (b, a)
            if y < 100:
                y += 2000 if y < 70 else 1900
            hh, mm, ss = (int(m.group(i) or 0) for i in (5, 6, 7))
            ampm = (m.group(8) or "").lower()
            if ampm == "p" and hh < 12:
                hh += 12
            elif ampm == "a" and hh == 12:
                hh = 0
            try:
                return datetime(y, month, day, hh, mm, ss)
            except ValueError:
                return None
    return parse_date(value)


def looks_like_date(value: str) -> bool:
    """A date in any supported format, whichever order its day and month come in."""
    return parse_date(value) is not None or bool(_NUMERIC.match(value))


def column_dates(column: str, values: list[str], configured: str | None) -> tuple[ColumnDates, str]:
    """How to read one date column, and the warning to give once for it ('' when none)."""
    if configured:
        order = parse_order(configured)
        if order in ORDER_NAMES:
            return ColumnDates(order=order), ""  # type: ignore[arg-type]
        return ColumnDates(order=None, fmt=order), ""
    how = detect_order(values)
    fix = "set date_format (dmy or mdy) for this source in sources.yaml or pass --date-format"
    if how.ambiguous:
        return how, (
            f"every date in '{column}' fits both day-first and month-first; read as "
            f"{ORDER_NAMES[how.order or 'dmy']}. If that is wrong, {fix}."
        )
    if how.conflicting:
        return how, (
            f"'{column}' mixes day-first and month-first dates; read as "
            f"{ORDER_NAMES[how.order or 'dmy']} (most values), others are kept without a date. "
            f"If that is wrong, {fix}."
        )
    return how, ""
