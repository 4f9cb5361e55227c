"""Dates in the user's time zone, not the server's.

At 20:22 in Chicago the server (UTC) is already on tomorrow: the call log's default date, the
letter date and the board's "today" must be the navigator's day. The zone is, in this order, the
user's own setting, the browser's (Streamlit's `st.context.timezone`), the organisation's, and
UTC only when none is known.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_for(
    user_zone: str | None, browser_zone: str | None, organisation_zone: str | None
) -> dt.tzinfo:
    """The first valid zone of: the user's setting, the browser's, the organisation's; else UTC."""
    for name in (user_zone, browser_zone, organisation_zone):
        zone = _zone(name)
        if zone is not None:
            return zone
    return dt.UTC


def utc_now() -> dt.datetime:
    """The moment, in UTC (one place, so tests can move the clock)."""
    return dt.datetime.now(dt.UTC)


def now_in(zone: dt.tzinfo, now: dt.datetime | None = None) -> dt.datetime:
    return (now or utc_now()).astimezone(zone)


def today_in(zone: dt.tzinfo, now: dt.datetime | None = None) -> dt.date:
    """The calendar day it is in `zone` (the user's "today")."""
    return now_in(zone, now).date()
