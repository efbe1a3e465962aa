"""Local time: the one rule for what a typed date-time means, and real time zone names.

A date-time typed without an offset (``2026-12-03T09:15``) is a wall-clock
time in the acting user's time zone, or the org's when the user has none;
one with an offset (``+01:00``, ``Z``) means exactly that instant. Values are
stored in UTC and shown back in the reader's zone.

Clocks that change make two kinds of wall-clock times special; the rule for
each follows iCalendar (RFC 5545) for the first and refuses the second:

- an *ambiguous* time, which happens twice when the clocks go back (02:30 on
  the last Sunday of October in Europe/Paris), is its first occurrence, still
  on summer time (``+02:00``); type the offset (``02:30+01:00``) for the second;
- a *nonexistent* time, skipped when the clocks go forward (02:30 on the last
  Sunday of March in Europe/Paris), is refused with an error naming the gap,
  rather than silently moved.

Time zone names are IANA names (``Europe/Paris``); anything else is refused
with the closest real names, never stored and silently read as UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC_NAME = "UTC"


class NonexistentTime(ValueError):
    """A wall-clock time the clocks skip; its message already shows the time typed."""


@functools.cache
def zone_names() -> frozenset[str]:
    """Every IANA time zone name this machine knows (the system's tzdata or the tzdata package)."""
    return frozenset(available_timezones())


def closest_zones(name: str, limit: int = 3) -> list[str]:
    """Real zone names close to ``name``: same city first (``Paris`` -> ``Europe/Paris``), then spelling."""
    import difflib

    wanted = name.strip().replace(" ", "_").lower()
    names = sorted(zone_names())
    exact = [z for z in names if z.lower() == wanted]
    if exact:
        return exact
    by_city = [z for z in names if z.rsplit("/", 1)[-1].lower() == wanted]
    cities = {z.rsplit("/", 1)[-1].lower(): z for z in names}
    close_cities = [cities[c] for c in difflib.get_close_matches(wanted, list(cities), n=limit, cutoff=0.75)]
    lowered = {z.lower(): z for z in names}
    close_names = [lowered[z] for z in difflib.get_close_matches(wanted, list(lowered), n=limit, cutoff=0.6)]
    return list(dict.fromkeys([*by_city, *close_cities, *close_names]))[:limit]


def check_zone_name(name: str) -> str:
    """``name`` if it is an IANA time zone name; else ValueError naming the closest ones."""
    if _loads(name):
        return name
    close = closest_zones(name)
    hint = f"did you mean {' or '.join(repr(z) for z in close)}?" if close else "e.g. 'Europe/Paris' or 'UTC'"
    raise ValueError(f"{name!r} is not a time zone name; {hint}")


@functools.lru_cache(maxsize=64)
def _loads(name: str) -> bool:
    """Whether the tz database has ``name`` (reading one file, not listing every zone)."""
    if not name or name.startswith(("/", ".")) or ".." in name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name``; UTC when it is empty or unknown (a stored value from before names
    were checked must not stop anything from working)."""
    try:
        return ZoneInfo(name or UTC_NAME)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(UTC_NAME)


def _wall(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def localize(naive: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A wall-clock time of ``tz`` as an aware date-time, by the rule above (ValueError if it never happens)."""
    aware = naive.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(dt.UTC).astimezone(tz)
    if back.replace(tzinfo=None) != naive.replace(fold=0):
        before = naive.replace(tzinfo=tz, fold=0).utcoffset() or dt.timedelta()
        after = naive.replace(tzinfo=tz, fold=1).utcoffset() or dt.timedelta()
        gap = abs(after - before) or dt.timedelta(hours=1)
        raise NonexistentTime(
            f"{_wall(naive)} does not exist in {tz}: the clocks go forward {gap_text(gap)} that night; "
            f"did you mean {_wall(naive + gap)}?"
        )
    return aware


def gap_text(gap: dt.timedelta) -> str:
    minutes = int(gap.total_seconds() // 60)
    return (
        f"{minutes // 60} hour{'s' if minutes != 60 else ''}" if minutes % 60 == 0 else f"{minutes} minutes"
    )


def parse_datetime_text(text: str) -> dt.datetime:
    """ISO 8601 text as a date-time: ``2026-12-03T09:15``, a space for the ``T``, seconds,
    ``Z`` or an offset, or a date alone (midnight). Naive when no offset is given."""
    value = text.strip()
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date-time (expected e.g. 2026-12-03T09:15, or 2026-12-03T09:15+01:00)"
        ) from None


def to_utc(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """An aware date-time in UTC: a naive one is a wall-clock time of ``tz``."""
    if value.tzinfo is None:
        value = localize(value, tz)
    return value.astimezone(dt.UTC)


def coerce_datetime(value: Any, tz: dt.tzinfo) -> dt.datetime:
    """Text or a date-time (or a date: its midnight) as an aware UTC date-time, typed in ``tz``."""
    if isinstance(value, str):
        value = parse_datetime_text(value)
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{value!r} is not a date-time (expected e.g. 2026-12-03T09:15)")
    return to_utc(value, tz)


# -- the session's user -------------------------------------------------------------------


def user_zone(session) -> ZoneInfo:
    """The acting user's zone: their own, else the org's (the system context uses the org's)."""
    return zone(getattr(session.user, "time_zone", None) or session.app.settings.time_zone)


def local_now(session) -> dt.datetime:
    from .clock import utcnow

    return utcnow().astimezone(user_zone(session))


def local_today(session) -> dt.date:
    """Today where the user is."""
    return local_now(session).date()


def local_date(session, moment: dt.datetime | None) -> dt.date | None:
    """The user's local date of a stored moment (naive values are UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(user_zone(session)).date()


def parse_user_datetime(
    session, value: Any, *, what: str = "date-time", object_name: str = "", field: str | None = None
) -> dt.datetime | None:
    """What the user typed (``2026-12-03T09:15``) as an aware UTC date-time, by the rule above.

    For plugin options and values that take a date-time (``--when``, a schedule's
    first session start); None and "" give None. A bad value is one ValidationError
    naming ``field`` (of ``object_name``) or else ``what``, and the expected form.
    """
    from .errors import ValidationError

    if value is None or value == "":
        return None
    try:
        return coerce_datetime(value, user_zone(session))
    except ValueError as exc:
        if field:
            raise ValidationError(str(exc), object_name=object_name, field=field) from None
        raise ValidationError(f"{what}: {exc}") from None
