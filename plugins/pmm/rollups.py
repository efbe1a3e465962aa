"""Attendance rollups and the participants-enrolled count.

Definitions, over all of a parent's deliveries:

- *present* / *absent*: the attendance status is in the Present / Absent
  bucket (org settings); *delivered*: quantity > 0 and a delivery date.
- ``num_present_deliveries`` / ``num_absent_deliveries``: plain counts, both
  blank (not 0) while the parent has no present or absent delivery.
- ``consecutive_absences`` (Contact, Program Engagement): absences dated after
  the latest present date, or every absence when nothing is present; blank
  with the counts.
- ``last_service_date`` (Contact, Program Engagement): latest delivered date.
- ``attendance_rate`` = present / (present + absent) as a percentage and
  ``attendance_summary`` such as "67% (2/3)"; blank when both counts are 0.

Two paths keep them, and must agree (a property test checks it):

- ``apply_delivery_changes`` runs after every insert, update, delete and
  undelete of deliveries: counts move by the batch's increments (the cost
  follows the batch, not the table); consecutive absences and last service
  date are recomputed from the affected parents' deliveries.
- ``recalculate`` recomputes everything from scratch with grouped SQL and
  writes only the records whose values differ.

Both write as the system (``as_system`` + ``computed=``): rollups are read-only.

Not copied from upstream: a change of the delivery date alone is *not*
skipped (upstream leaves LastServiceDate stale until the batch job runs), and
consecutive absences look at every delivery of the parent, not only its 100
most recent.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from missionbase.core import chunks

from . import settings as cfg

COUNT_FIELDS = ("num_present_deliveries", "num_absent_deliveries")
RATE_FIELDS = ("attendance_rate", "attendance_summary")
HISTORY_FIELDS = ("consecutive_absences", "last_service_date")
# Targets whose rollups include consecutive absences and the last service date.
CLIENT_TARGETS = ("Contact", "ProgramEngagement")
# The delivery lookup naming each target (the schedule is reached through the session).
DELIVERY_LOOKUP = {
    "Contact": "contact",
    "ProgramEngagement": "program_engagement",
    "Service": "service",
    "ServiceSession": "service_session",
}
# Delivery fields whose change can change a rollup.
ROLLUP_INPUTS = ("attendance_status", "quantity", "delivery_date", *DELIVERY_LOOKUP.values())
HUNDRED = decimal.Decimal(100)
CENT = decimal.Decimal("0.01")


def rate_and_summary(present: int | None, absent: int | None) -> dict:
    """``attendance_rate`` (percent, 2 decimals) and ``attendance_summary`` ("67% (2/3)")."""
    total = (present or 0) + (absent or 0)
    if total == 0:
        return {"attendance_rate": None, "attendance_summary": None}
    fraction = decimal.Decimal(present or 0) / decimal.Decimal(total)
    rate = (fraction * HUNDRED).quantize(CENT, rounding=decimal.ROUND_HALF_UP)
    whole = int(fraction.quantize(CENT, rounding=decimal.ROUND_HALF_UP) * HUNDRED)
    return {"attendance_rate": rate, "attendance_summary": f"{whole}% ({present or 0}/{total})"}


def count_values(present: int, absent: int) -> dict:
    """Counts with their rate and summary; blank (None) when nothing was counted."""
    if present + absent == 0:
        return {"num_present_deliveries": None, "num_absent_deliveries": None, **rate_and_summary(0, 0)}
    return {
        "num_present_deliveries": present,
        "num_absent_deliveries": absent,
        **rate_and_summary(present, absent),
    }


# -- shared SQL -------------------------------------------------------------------------


def _deliveries(session) -> sa.Table:
    return session.schema.table("ServiceDelivery")


def _parent_column(session, target: str, deliveries: sa.Table):
    """(FROM clause, column naming the target parent) for deliveries."""
    if target == "ServiceSchedule":
        sessions = session.schema.table("ServiceSession")
        source = deliveries.join(
            sessions,
            sa.and_(sessions.c.id == deliveries.c.service_session, sessions.c.is_deleted == sa.false()),
        )
        return source, sessions.c.service_schedule
    return deliveries, deliveries.c[DELIVERY_LOOKUP[target]]


def _in_bucket(column, values: frozenset[str]):
    return column.in_(sorted(values)) if values else sa.false()


def aggregate(session, target: str, buckets: cfg.Buckets, parent_ids: Iterable[str] | None = None) -> dict:
    """Rollup values from scratch: {parent id: {field: value}} for parents with deliveries.

    ``parent_ids`` limits the work to those parents (the incremental path);
    None covers the whole table (recalc). Parents without deliveries are absent.
    """
    d = _deliveries(session)
    source, parent = _parent_column(session, target, d)
    present = _in_bucket(d.c.attendance_status, buckets.present)
    absent = _in_bucket(d.c.attendance_status, buckets.absent)
    one = sa.literal(1)
    zero = sa.literal(0)
    columns = [
        parent.label("parent"),
        sa.func.sum(sa.case((present, one), else_=zero)).label("n_present"),
        sa.func.sum(sa.case((absent, one), else_=zero)).label("n_absent"),
    ]
    client = target in CLIENT_TARGETS
    if client:
        delivered = sa.and_(d.c.quantity > 0, d.c.delivery_date.is_not(None))
        columns += [
            sa.func.max(sa.case((present, d.c.delivery_date))).label("last_present"),
            sa.func.max(sa.case((delivered, d.c.delivery_date))).label("last_service"),
        ]
    condition = sa.and_(d.c.is_deleted == sa.false(), parent.is_not(None))
    ids = None if parent_ids is None else sorted(set(parent_ids))
    out: dict[str, dict] = {}
    for chunk in [None] if ids is None else chunks(ids):
        where = condition if chunk is None else sa.and_(condition, parent.in_(chunk))
        summary = sa.select(*columns).select_from(source).where(where).group_by(parent)
        rows = session.conn.execute(summary).all()
        for row in rows:
            values = count_values(int(row.n_present or 0), int(row.n_absent or 0))
            if client:
                values["last_service_date"] = row.last_service
                values["consecutive_absences"] = None  # filled below when counted
            out[row.parent] = values
        if client and rows:
            # Absences after the latest present date (all of them when none is present).
            s = summary.subquery("s")
            after = sa.or_(s.c.n_present == 0, d.c.delivery_date > s.c.last_present)
            streak = (
                sa.select(parent.label("parent"), sa.func.count().label("n"))
                .select_from(source.join(s, s.c.parent == parent))
                .where(where, absent, after)
                .group_by(parent)
            )
            streaks = dict(session.conn.execute(streak).all())
            for parent_id, values in out.items():
                if chunk is not None and parent_id not in chunk:
                    continue
                if values["num_present_deliveries"] is not None:
                    values["consecutive_absences"] = int(streaks.get(parent_id, 0))
    return out


def _rollup_fields(target: str) -> tuple[str, ...]:
    return COUNT_FIELDS + RATE_FIELDS + (HISTORY_FIELDS if target in CLIENT_TARGETS else ())


def _blank(target: str) -> dict:
    return dict.fromkeys(_rollup_fields(target))


def _stored(session, target: str, ids: list[str], *, lock: bool) -> dict[str, dict]:
    table = session.schema.table(target)
    columns = [table.c.id, *(table.c[name] for name in _rollup_fields(target))]
    out = {}
    for chunk in chunks(sorted(ids)):
        stmt = sa.select(*columns).where(table.c.id.in_(chunk), table.c.is_deleted == sa.false())
        if lock and session.is_postgres:
            stmt = stmt.with_for_update()
        for row in session.conn.execute(stmt).mappings():
            out[row["id"]] = dict(row)
    return out


def _write(session, target: str, changes: dict[str, dict]) -> int:
    """Write changed rollup values as the system; returns how many records changed."""
    if not changes:
        return 0
    system = session.as_system()
    ids = sorted(changes)
    for chunk in chunks(ids, 2000):
        system.update_many([{"id": i} for i in chunk], computed={i: changes[i] for i in chunk})
    return len(ids)


def _normalise(value):
    if isinstance(value, decimal.Decimal):
        return value.quantize(CENT)
    return value


def _differs(stored: dict, wanted: dict) -> dict:
    return {k: v for k, v in wanted.items() if _normalise(stored.get(k)) != _normalise(v)}


# -- the incremental path ----------------------------------------------------------------


def apply_delivery_changes(session, rows) -> None:
    """After-trigger body: move rollups by a batch of delivery changes (TriggerRow list)."""
    targets = cfg.rollup_targets_enabled(session)
    if not targets:
        return
    relevant = [r for r in rows if r.old is None or r.new is None or any(r.changed(k) for k in ROLLUP_INPUTS)]
    if not relevant:
        return
    buckets = cfg.buckets(session)
    schedule_of = _schedules_of_sessions(session, relevant) if "ServiceSchedule" in targets else {}
    for target in targets:
        deltas: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        touched: set[str] = set()
        for row in relevant:
            for record, sign in ((row.old, -1), (row.new, 1)):
                if record is None:
                    continue
                parent = _parent_of(target, record, schedule_of)
                if parent is None:
                    continue
                touched.add(parent)
                status = record.get("attendance_status")
                if status in buckets.present:
                    deltas[parent][0] += sign
                elif status in buckets.absent:
                    deltas[parent][1] += sign
        if not touched:
            continue
        stored = _stored(session, target, list(touched), lock=True)
        history = aggregate(session, target, buckets, touched) if target in CLIENT_TARGETS else {}
        changes = {}
        for parent, current in stored.items():
            dp, da = deltas.get(parent, (0, 0))
            present = max(0, (current["num_present_deliveries"] or 0) + dp)
            absent = max(0, (current["num_absent_deliveries"] or 0) + da)
            wanted = count_values(present, absent)
            if target in CLIENT_TARGETS:
                fresh = history.get(parent, {})
                wanted["last_service_date"] = fresh.get("last_service_date")
                wanted["consecutive_absences"] = (
                    None
                    if wanted["num_present_deliveries"] is None
                    else fresh.get("consecutive_absences") or 0
                )
            diff = _differs(current, wanted)
            if diff:
                changes[parent] = diff
        _write(session, target, changes)


def _parent_of(target: str, record: dict, schedule_of: dict[str, str | None]) -> str | None:
    if target == "ServiceSchedule":
        return schedule_of.get(record.get("service_session") or "")
    return record.get(DELIVERY_LOOKUP[target])


def _schedules_of_sessions(session, rows) -> dict[str, str | None]:
    ids = {
        rec.get("service_session")
        for r in rows
        for rec in (r.old, r.new)
        if rec and rec.get("service_session")
    }
    sessions = session.schema.table("ServiceSession")
    out: dict[str, str | None] = {}
    for chunk in chunks(sorted(ids)):
        out.update(
            session.conn.execute(
                sa.select(sessions.c.id, sessions.c.service_schedule).where(sessions.c.id.in_(chunk))
            ).all()
        )
    return out


def refresh_schedules_of_sessions(session, rows) -> None:
    """After-trigger body for sessions: a deleted, restored or moved session takes its
    deliveries with it, so the schedules involved are recomputed from their deliveries
    (a schedule's deliveries are few; the session delete clears their lookup without
    a delivery trigger)."""
    touched = {
        rec.get("service_schedule")
        for r in rows
        for rec in (r.old, r.new)
        if rec
        and rec.get("service_schedule")
        and (r.old is None or r.new is None or r.changed("service_schedule"))
    }
    if not touched or not session.get_setting(cfg.ROLLUP_GATE + "ServiceSchedule"):
        return
    fresh = aggregate(session, "ServiceSchedule", cfg.buckets(session), touched)
    stored = _stored(session, "ServiceSchedule", list(touched), lock=True)
    blank = {k: None for k in COUNT_FIELDS + RATE_FIELDS}
    changes = {}
    for schedule_id, current in stored.items():
        diff = _differs(current, fresh.get(schedule_id, blank))
        if diff:
            changes[schedule_id] = diff
    _write(session, "ServiceSchedule", changes)


# -- participants enrolled -----------------------------------------------------------------


def enrolled_counts(session, schedule_ids: Iterable[str] | None = None) -> dict[str, int]:
    participants = session.schema.table("ServiceParticipant")
    condition = sa.and_(
        participants.c.is_deleted == sa.false(),
        participants.c.status == "Enrolled",
        participants.c.service_schedule.is_not(None),
    )
    stmt = sa.select(participants.c.service_schedule, sa.func.count()).group_by(
        participants.c.service_schedule
    )
    if schedule_ids is None:
        return dict(session.conn.execute(stmt.where(condition)).all())
    out: dict[str, int] = {}
    for chunk in chunks(sorted(set(schedule_ids))):
        out.update(
            session.conn.execute(stmt.where(condition, participants.c.service_schedule.in_(chunk))).all()
        )
    return out


def apply_participant_changes(session, rows) -> None:
    """After-trigger body: refresh participants_enrolled on the schedules a batch touched."""
    if not session.get_setting(cfg.PARTICIPANT_ROLLUP):
        return
    touched = {
        rec.get("service_schedule")
        for r in rows
        for rec in (r.old, r.new)
        if rec and rec.get("service_schedule")
    }
    if not touched:
        return
    _write_enrolled(session, enrolled_counts(session, touched), touched)


def _write_enrolled(session, counts: dict[str, int], schedule_ids: Iterable[str] | None) -> int:
    schedules = session.schema.table("ServiceSchedule")
    stmt = sa.select(schedules.c.id, schedules.c.participants_enrolled).where(
        schedules.c.is_deleted == sa.false()
    )
    stored: dict[str, int | None] = {}
    if schedule_ids is None:
        stored = dict(session.conn.execute(stmt).all())
    else:
        for chunk in chunks(sorted(set(schedule_ids))):
            stored.update(session.conn.execute(stmt.where(schedules.c.id.in_(chunk))).all())
    changes = {}
    for schedule_id, current in stored.items():
        wanted = counts.get(schedule_id, 0)
        if (current or 0) != wanted:  # a schedule that never had participants stays blank
            changes[schedule_id] = {"participants_enrolled": wanted}
    return _write(session, "ServiceSchedule", changes)


# -- recalculation -------------------------------------------------------------------------


def recalculate(session, targets: Iterable[str] | None = None) -> dict[str, int]:
    """Recompute rollups of ``targets`` (default: all five) from scratch, ignoring the gates.

    Blanks records that hold values but have no deliveries, recomputes the
    rest with grouped SQL, and writes only what changed. Returns the number
    of records changed per target. The schedule's participants_enrolled is
    recomputed with the ServiceSchedule target.
    """
    wanted_targets = list(targets or cfg.ROLLUP_TARGETS)
    for name in wanted_targets:
        if name not in cfg.ROLLUP_TARGETS:
            from missionbase.core import UnknownName

            raise UnknownName("rollup object", name, cfg.ROLLUP_TARGETS)
    buckets = cfg.buckets(session)
    changed: dict[str, int] = {}
    for target in wanted_targets:
        fresh = aggregate(session, target, buckets)
        table = session.schema.table(target)
        fields = _rollup_fields(target)
        holding = sa.or_(*(table.c[name].is_not(None) for name in fields))
        stmt = sa.select(table.c.id, *(table.c[name] for name in fields)).where(
            table.c.is_deleted == sa.false(), holding
        )
        stored = {row["id"]: dict(row) for row in session.conn.execute(stmt).mappings()}
        missing = [parent for parent in fresh if parent not in stored]
        stored.update(_stored(session, target, missing, lock=False))
        changes = {}
        blank = _blank(target)
        for record_id, current in stored.items():
            diff = _differs(current, fresh.get(record_id, blank))
            if diff:
                changes[record_id] = diff
        changed[target] = _write(session, target, changes)
        if target == "ServiceSchedule":
            changed[target] += _write_enrolled(session, enrolled_counts(session), None)
    return changed
