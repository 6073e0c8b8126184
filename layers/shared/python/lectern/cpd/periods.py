"""Pure period arithmetic: which yearly period a date falls in, given the month it starts."""

from __future__ import annotations

from datetime import date, timedelta


def period_for(day: date, start_month: int) -> tuple[date, date]:
    """The yearly period containing `day`: [start, end] inclusive."""
    if not 1 <= start_month <= 12:
        raise ValueError("start_month must be 1..12")
    year = day.year if day.month >= start_month else day.year - 1
    start = date(year, start_month, 1)
    end = date(year + 1, start_month, 1) - timedelta(days=1)
    return start, end


def category_key(category: str) -> str:
    """Categories match case- and space-insensitively ("Ethics " == "ethics")."""
    return " ".join(category.split()).casefold()
