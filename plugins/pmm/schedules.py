"""Service schedules and their sessions.

``create_schedule`` validates like the upstream wizard and generates the
sessions; ``extend_schedule`` adds sessions after the last one. Generation is
``session_times``: python-dateutil's rrule over *local dates* in the user's
time zone. Every session starts at the first session's local clock time and
lasts the first session's elapsed duration, so across a DST change the local
end time moves when the session spans the change (as upstream does).

Not copied from upstream:
- the 500-session cap that silently drops the rest: there is a configurable
  safety limit (``pmm.max_sessions_per_schedule``, default 5,000) and going
  over it is an error naming the limit, with nothing created;
- a monthly n-th weekday schedule never gets a session before its first
  session start (upstream can put the first one earlier in the start's month).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil import rrule

from missionbase.core import ValidationError, parse_user_datetime

from . import settings as cfg
from .localtime import zone_of
from .objects import FREQUENCIES, WEEKDAY_CODES

OBJECT = "ServiceSchedule"
RRULE_DAYS = {code: getattr(rrule, code) for code in WEEKDAY_CODES}
SCHEDULE_FIELDS = (
    "name",
    "service",
    "frequency",
    "interval",
    "days_of_week",
    "monthly_recurrence_option",
    "service_schedule_ends",
    "service_schedule_end_date",
    "number_of_service_sessions",
    "first_session_start",
    "first_session_end",
    "all_day",
    "create_service_session_records",
    "primary_service_provider",
    "other_service_provider",
    "participant_capacity",
    "default_service_quantity",
)


def default_first_start(now: dt.datetime) -> dt.datetime:
    """Now rounded up to the next :00 or :30; exactly :00/:30 still moves on; seconds kept."""
    return now + dt.timedelta(minutes=30 - now.minute % 30)


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(message, object_name=OBJECT, field=field)


def spec_weekday(day: dt.date) -> str:
    """Upstream's day number (1 = Sunday ... 7 = Saturday) of a date."""
    return str((day.weekday() + 1) % 7 + 1)


def _rrule_weekday(spec_day: str):
    return RRULE_DAYS[WEEKDAY_CODES[(int(spec_day) + 5) % 7]]


def _as_datetime(value, field: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _fail(field, f"needs a date-time like 2025-01-31T09:00 (got {value!r})") from None
    if not isinstance(value, dt.datetime):
        raise _fail(field, f"needs a date-time (got {value!r})")
    return value


def _as_date(value, field: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(field, f"needs a date like 2025-01-31 (got {value!r})") from None


def normalise(values: dict, zone: ZoneInfo) -> dict:
    """Validate a schedule as the wizard does; returns the values to store.

    Naive date-times are local times of ``zone``. Raises one ValidationError
    naming the field.
    """
    out = dict(values)
    for name in ("name", "service", "first_session_start", "first_session_end"):
        if out.get(name) in (None, ""):
            raise _fail(name, "is required")
    start = _as_datetime(out["first_session_start"], "first_session_start")
    end = _as_datetime(out["first_session_end"], "first_session_end")
    start = start if start.tzinfo else start.replace(tzinfo=zone)
    end = end if end.tzinfo else end.replace(tzinfo=zone)
    if end <= start:
        raise _fail(
            "first_session_end",
            f"must be after the first session start ({start.astimezone(zone).isoformat()})",
        )
    out["first_session_start"], out["first_session_end"] = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    frequency = out.get("frequency") or "One Time"
    if frequency not in FREQUENCIES:
        raise _fail("frequency", f"{frequency!r} is not one of {', '.join(FREQUENCIES)}")
    out["frequency"] = frequency
    if frequency != "One Time":
        ends = out.get("service_schedule_ends")
        if ends == "On":
            out["number_of_service_sessions"] = None
            end_date = _as_date(out.get("service_schedule_end_date"), "service_schedule_end_date")
            if end_date is None:
                raise _fail("service_schedule_end_date", "is required when the schedule ends On a date")
            if end_date < start.astimezone(zone).date():
                raise _fail(
                    "service_schedule_end_date",
                    f"{end_date} is before the first session ({start.astimezone(zone).date()})",
                )
            out["service_schedule_end_date"] = end_date
        elif ends == "After":
            out["service_schedule_end_date"] = None
            if not out.get("number_of_service_sessions"):
                raise _fail(
                    "number_of_service_sessions",
                    "is required when the schedule ends After a number of sessions",
                )
        else:
            raise _fail(
                "service_schedule_ends",
                f"a {frequency} schedule must end On a date or After a number of sessions (got {ends!r})",
            )
    if frequency == "Weekly":
        days = out.get("days_of_week")
        if isinstance(days, str):
            days = [d.strip() for d in days.split(";") if d.strip()]
        out["days_of_week"] = list(days) if days else [spec_weekday(start.astimezone(zone).date())]
    return out


@dataclass(frozen=True)
class SessionTime:
    start: dt.datetime  # UTC
    end: dt.datetime | None  # UTC


def _local_dates(schedule: dict, first: dt.datetime) -> rrule.rrule | list[dt.datetime]:
    """The rule's occurrences as naive local datetimes (date part is what counts)."""
    frequency = schedule.get("frequency") or "One Time"
    interval = int(schedule.get("interval") or 1)
    until = schedule.get("service_schedule_end_date")
    until_dt = dt.datetime.combine(until, dt.time.max) if until else None
    if frequency == "One Time":
        return [first]
    if frequency == "Daily":
        return rrule.rrule(rrule.DAILY, interval=interval, dtstart=first, until=until_dt)
    if frequency == "Weekly":
        days = [_rrule_weekday(d) for d in schedule.get("days_of_week") or [spec_weekday(first.date())]]
        # Weeks run Monday to Sunday; a start after the week's last selected day
        # moves to the week `interval` weeks on (upstream's first-week rule).
        return rrule.rrule(
            rrule.WEEKLY, interval=interval, byweekday=days, wkst=rrule.MO, dtstart=first, until=until_dt
        )
    if frequency == "Monthly":
        option = schedule.get("monthly_recurrence_option") or ""
        if option == "LastDayOfMonth":
            return rrule.rrule(rrule.MONTHLY, interval=interval, bymonthday=-1, dtstart=first, until=until_dt)
        if option:
            nth, code = int(option[0]), option[1:]
            # Months without an n-th such weekday are skipped by the rule itself.
            return rrule.rrule(
                rrule.MONTHLY,
                interval=interval,
                byweekday=RRULE_DAYS[code](nth),
                dtstart=first,
                until=until_dt,
            )
        day = first.day
        # Day d, or the month's last day when it has no day d (Jan 30 -> Feb 29 -> Mar 30).
        return rrule.rrule(
            rrule.MONTHLY,
            interval=interval,
            bymonthday=list(range(min(day, 28), day + 1)),
            bysetpos=-1,
            dtstart=first,
            until=until_dt,
        )
    raise _fail("frequency", f"{frequency!r} is not one of One Time, Daily, Weekly, Monthly")


def session_times(schedule: dict, zone: ZoneInfo, limit: int) -> list[SessionTime]:
    """Every session of a (normalised) schedule, at most ``limit`` (more is an error)."""
    first_start = schedule["first_session_start"].astimezone(zone)
    first_end = schedule.get("first_session_end")
    duration = first_end - schedule["first_session_start"] if first_end else None
    if (schedule.get("frequency") or "One Time") == "One Time":
        return [SessionTime(schedule["first_session_start"], first_end)]
    local_first = first_start.replace(tzinfo=None)
    occurrences = _local_dates(schedule, local_first)
    count = schedule.get("number_of_service_sessions")
    stop = min(int(count), limit + 1) if count else limit + 1
    dates = [o.date() for o in itertools.islice(occurrences, stop)]
    if len(dates) > limit:
        raise _fail(
            "service_schedule_end_date"
            if schedule.get("service_schedule_ends") == "On"
            else "number_of_service_sessions",
            f"the schedule would create more than {limit:,} sessions, the limit per schedule "
            f"(setting {cfg.SESSION_LIMIT}); choose an earlier end or fewer sessions",
        )
    clock = first_start.timetz().replace(tzinfo=None)
    out = []
    for day in dates:
        start = dt.datetime.combine(day, clock, tzinfo=zone).astimezone(dt.UTC)
        out.append(SessionTime(start, start + duration if duration is not None else None))
    return out


def session_rows(schedule: dict, times: list[SessionTime]) -> list[dict]:
    """Session records for the times: providers copied from the schedule."""
    base = {
        "service_schedule": schedule["id"],
        "primary_service_provider": schedule.get("primary_service_provider"),
        "other_service_provider": schedule.get("other_service_provider"),
    }
    return [{**base, "session_start": t.start, "session_end": t.end} for t in times]


def create_schedule(session, values: dict) -> tuple[dict, list[dict]]:
    """Validate, create the schedule and (when asked) its sessions, all or nothing.

    Returns the schedule and the sessions created.
    """
    schedules, sessions = create_schedules(session, [values])
    return schedules[0], sessions


def create_schedules(session, many: list[dict]) -> tuple[list[dict], list[dict]]:
    """``create_schedule`` for a batch (imports, set-up scripts): one insert of the
    schedules and one of all their sessions; a bad schedule fails the batch,
    and the error names its row."""
    zone = zone_of(session)
    checked = []
    for index, values in enumerate(many):
        try:
            unknown = sorted(set(values) - set(SCHEDULE_FIELDS))
            if unknown:
                raise _fail(unknown[0], f"is not a schedule field; use {', '.join(SCHEDULE_FIELDS)}")
            values = {
                **values,
                **{
                    name: parse_user_datetime(session, values[name], object_name=OBJECT, field=name)
                    for name in ("first_session_start", "first_session_end")
                    if values.get(name) not in (None, "")
                },
            }
            checked.append(normalise(values, zone))
        except ValidationError as exc:
            raise ValidationError(
                exc.reason, object_name=OBJECT, row=index if len(many) > 1 else None, field=exc.field
            ) from None
    limit = int(session.get_setting(cfg.SESSION_LIMIT))
    with session.conn.begin_nested():
        schedules = session.create_many(OBJECT, checked)
        rows: list[dict] = []
        for index, schedule in enumerate(schedules):
            if schedule.get("create_service_session_records", True):
                try:
                    rows += session_rows(schedule, session_times(schedule, zone, limit))
                except ValidationError as exc:
                    raise ValidationError(
                        exc.reason, object_name=OBJECT, row=index if len(many) > 1 else None, field=exc.field
                    ) from None
        sessions = session.create_many("ServiceSession", rows) if rows else []
    return schedules, sessions


def extend_schedule(
    session, schedule_id: str, *, end_date: dt.date | None = None, count: int | None = None
) -> list[dict]:
    """Move a recurring schedule's end (a later date, or a larger session count) and
    create only the sessions after its last existing one; never duplicates."""
    schedule = session.get(schedule_id)
    if schedule.get("frequency") in (None, "One Time"):
        raise _fail(
            "frequency", f"schedule {schedule_id} is One Time; only recurring schedules can be extended"
        )
    if (end_date is None) == (count is None):
        raise _fail("service_schedule_end_date", "give either a new end date or a new number of sessions")
    change = (
        {
            "service_schedule_ends": "On",
            "service_schedule_end_date": end_date,
            "number_of_service_sessions": None,
        }
        if end_date is not None
        else {
            "service_schedule_ends": "After",
            "number_of_service_sessions": count,
            "service_schedule_end_date": None,
        }
    )
    zone = zone_of(session)
    existing = session.query(
        "ServiceSession",
        where={"service_schedule": schedule_id},
        fields=["session_start"],
        order_by="-session_start",
        limit=1,
    ).records
    last = existing[0]["session_start"] if existing else None
    with session.conn.begin_nested():
        schedule = session.update(schedule_id, change)
        limit = int(session.get_setting(cfg.SESSION_LIMIT))
        times = [t for t in session_times(schedule, zone, limit) if last is None or t.start > last]
        return session.create_many("ServiceSession", session_rows(schedule, times)) if times else []
