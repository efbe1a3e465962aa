"""Levels: ladders of amount ranges, their validation, and the assignment job.

A ladder is the set of active levels sharing (target, level_field). The
assignment selects, in SQL, only the records whose level may change (a
filter built from the ladder), pages through them, computes each record's
level in memory and writes only the records whose level changes, in a few
bulk updates, then creates the new levels' engagement plans in one bulk
insert: set-based, never a round-trip per record.
"""

from __future__ import annotations

import decimal
import itertools
from collections import defaultdict
from dataclasses import dataclass

from missionbase.core import Job, ValidationError, query_pages
from missionbase.core import fields as f

PAGE_SIZE = 20000
WRITE_BATCH = 5000
ZERO = decimal.Decimal("0")


@dataclass
class Move:
    """One record changing level on one ladder."""

    record_id: str
    ladder: str  # "Contact.level"
    old_level: str | None
    new_level: str | None
    plan_template: str | None = None


def _number(value) -> decimal.Decimal:
    """A source amount; blank counts as 0."""
    if value is None or value == "":
        return ZERO
    return value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))


def _bound(value) -> decimal.Decimal | None:
    return None if value is None else _number(value)


def sort_key(level: dict):
    """Ascending minimum, blank minimums first."""
    minimum = _bound(level.get("minimum"))
    return (minimum is not None, minimum if minimum is not None else ZERO, level.get("name") or "")


def match_level(levels: list[dict], amounts: dict[str, decimal.Decimal]) -> dict | None:
    """The first level (ascending minimum) whose [minimum, maximum) holds its source amount."""
    for level in levels:
        amount = amounts[level["source_field"]]
        low, high = _bound(level.get("minimum")), _bound(level.get("maximum"))
        if (low is None or low <= amount) and (high is None or amount < high):
            return level
    return None


def _plain(value) -> str:
    if value is None:
        return ""
    number = _number(value)
    return str(number.quantize(1)) if number == number.to_integral_value() else str(number.normalize())


def _fmt(level: dict) -> str:
    return f"{level.get('name')!r} [{_plain(level.get('minimum'))}, {_plain(level.get('maximum'))})"


# -- validation --------------------------------------------------------------------------
def _check_fields(registry, level: dict, index: int) -> None:
    def fail(field: str, message: str):
        raise ValidationError(message, object_name="Level", row=index, field=field)

    targets = registry.target_types
    target = level.get("target")
    if target not in targets:
        fail("target", f"{target!r} is not a plan target type; valid: {', '.join(sorted(targets))}")
    obj = registry.object(target)
    source = obj.field(level.get("source_field") or "")
    if not isinstance(source, f.Integer | f.Decimal):
        numbers = [x.name for x in obj.fields if isinstance(x, f.Integer | f.Decimal)]
        fail(
            "source_field",
            f"{level.get('source_field')!r} is not a number field of {target}; "
            f"valid: {', '.join(numbers) or 'none'}",
        )
    level_lookups = [x.name for x in obj.lookups() if "Level" in x.targets]
    for name in ("level_field", "previous_level_field"):
        value = level.get(name)
        if value and value not in level_lookups:
            fail(
                name,
                f"{value!r} is not a lookup from {target} to Level; valid: {', '.join(level_lookups) or 'none'}",
            )
    if level.get("previous_level_field") and level["previous_level_field"] == level.get("level_field"):
        fail("previous_level_field", "must differ from level_field")
    low, high = _bound(level.get("minimum")), _bound(level.get("maximum"))
    if low is None and high is None:
        fail("minimum", "a level needs a minimum, a maximum or both")
    if low is not None and high is not None and not low < high:
        fail("maximum", f"must be above the minimum ({high} is not above {low})")


def check_levels(ctx, rows) -> None:
    """Before insert/update: fields, then names and overlaps within each touched ladder."""
    session = ctx.session
    batch_index = {row.new["id"]: i for i, row in enumerate(rows)}
    ladders: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        _check_fields(session.registry, row.new, index)
        if row.new.get("active"):
            ladders.add((row.new["target"], row.new["level_field"]))
    for target, level_field in sorted(ladders):
        stored = session.query(
            "Level", where={"target": target, "level_field": level_field, "active": True}
        ).records
        members = {lvl["id"]: lvl for lvl in stored if lvl["id"] not in batch_index}
        for row in rows:
            new = row.new
            if new.get("active") and (new["target"], new["level_field"]) == (target, level_field):
                members[new["id"]] = new
        ladder = f"{target}.{level_field}"

        def blame(*levels: dict) -> int | None:
            positions = [batch_index[lv["id"]] for lv in levels if lv["id"] in batch_index]
            return max(positions) if positions else None

        seen: dict[str, dict] = {}
        for level in sorted(members.values(), key=lambda lv: batch_index.get(lv["id"], -1)):
            key = (level.get("name") or "").strip().lower()
            if key in seen:
                raise ValidationError(
                    f"{level['name']!r} is already a level of the {ladder} ladder",
                    object_name="Level",
                    row=blame(level),
                    field="name",
                )
            seen[key] = level
        ordered = sorted(members.values(), key=sort_key)
        for prev, nxt in itertools.pairwise(ordered):
            p_min, p_max = _bound(prev.get("minimum")), _bound(prev.get("maximum"))
            n_min = _bound(nxt.get("minimum"))
            if n_min is None or (p_min is not None and p_min >= n_min) or p_max is None or p_max > n_min:
                row = blame(prev, nxt)
                culprit, other = (
                    (prev, nxt) if row is not None and batch_index.get(prev["id"]) == row else (nxt, prev)
                )
                why = (
                    " (an open-ended level blocks every higher one)" if p_max is None or n_min is None else ""
                )
                raise ValidationError(
                    f"{_fmt(culprit)} overlaps {_fmt(other)} in the {ladder} ladder{why}",
                    object_name="Level",
                    row=row,
                    field="minimum",
                )


# -- assignment ------------------------------------------------------------------------------
def plan_moves(records: list[dict], ladders: dict[tuple[str, str], list[dict]], all_levels: dict[str, dict]):
    """(changes by record id, moves) for one page of one target's records (pure).

    Upgrades and downgrades alike set the level and the previous level; a
    record with no matching level loses its level (kept as previous).
    """
    changes: dict[str, dict] = {}
    moves: list[Move] = []
    for record in records:
        for (target, level_field), levels in ladders.items():
            current = record.get(level_field)
            amounts = {lv["source_field"]: _number(record.get(lv["source_field"])) for lv in levels}
            new = match_level(levels, amounts)
            new_id = new["id"] if new else None
            if new_id == current or (new is None and current is None):
                continue
            change = changes.setdefault(record["id"], {})
            if new is not None:
                if new.get("previous_level_field"):
                    change[new["previous_level_field"]] = current
                change[level_field] = new_id
            else:
                old = all_levels.get(current)
                if (
                    old
                    and old.get("active")
                    and old.get("previous_level_field")
                    and (old["target"], old["level_field"]) == (target, level_field)
                ):
                    change[old["previous_level_field"]] = current
                change[level_field] = None
            moves.append(
                Move(
                    record["id"],
                    f"{target}.{level_field}",
                    current,
                    new_id,
                    new.get("engagement_plan_template") if new else None,
                )
            )
    return changes, moves


def _contains_zero(level: dict) -> bool:
    low, high = _bound(level.get("minimum")), _bound(level.get("maximum"))
    return (low is None or low <= ZERO) and (high is None or high > ZERO)


def _in_range(level: dict) -> dict:
    """Filter: the record's source amount is in this level's range (blank counts as 0)."""
    field = level["source_field"]
    bounds = {}
    if level.get("minimum") is not None:
        bounds["ge"] = _number(level["minimum"])
    if level.get("maximum") is not None:
        bounds["lt"] = _number(level["maximum"])
    in_range = {field: bounds}
    return {"or": [in_range, {field: {"is_null": True}}]} if _contains_zero(level) else in_range


def _outside_range(level: dict) -> dict:
    field = level["source_field"]
    outside = []
    if level.get("minimum") is not None:
        outside.append({field: {"lt": _number(level["minimum"])}})
    if level.get("maximum") is not None:
        outside.append({field: {"ge": _number(level["maximum"])}})
    condition = {"or": outside} if len(outside) > 1 else outside[0]
    if _contains_zero(level):
        return {"and": [{field: {"is_null": False}}, condition]}
    return {"or": [{field: {"is_null": True}}, condition]}


def candidates_filter(ladders: dict[tuple[str, str], list[dict]]) -> dict:
    """Filter selecting every record whose level may change: in a level's range without holding it
    (and in no earlier level's range), or holding a level while in no range at all.

    Narrows what is read in SQL; ``plan_moves`` still decides each move, so
    the filter can only make the job faster, never different.
    """
    options = []
    for (_, level_field), levels in ladders.items():
        for index, level in enumerate(levels):
            options.append(
                {
                    "and": [
                        _in_range(level),
                        *[_outside_range(earlier) for earlier in levels[:index]],
                        {"or": [{level_field: {"ne": level["id"]}}, {level_field: {"is_null": True}}]},
                    ]
                }
            )
        options.append(
            {"and": [*[_outside_range(level) for level in levels], {level_field: {"is_null": False}}]}
        )
    return {"or": options}


def assign_levels(session, *, dry_run: bool = False) -> list[Move]:
    """Assign every active ladder's levels across its target object; returns the moves.

    Runs as the given session's user, in its transaction. With ``dry_run``
    nothing is written.
    """
    all_levels = {lv["id"]: lv for lv in session.query("Level").records}
    ladders_by_target: dict[str, dict[tuple[str, str], list[dict]]] = defaultdict(lambda: defaultdict(list))
    for level in all_levels.values():
        if level.get("active"):
            ladders_by_target[level["target"]][(level["target"], level["level_field"])].append(level)
    moves: list[Move] = []
    for target, ladders in sorted(ladders_by_target.items()):
        for levels in ladders.values():
            levels.sort(key=sort_key)
            for level in levels:
                _check_fields(session.registry, level, 0)
        fields = sorted(
            {
                name
                for levels in ladders.values()
                for lv in levels
                for name in (lv["source_field"], lv["level_field"], lv.get("previous_level_field"))
                if name
            }
        )
        candidates = candidates_filter(ladders)
        changes: dict[str, dict] = {}
        for page in query_pages(
            session, target, candidates, fields=fields, order_by="id", page_size=PAGE_SIZE
        ):
            page_changes, page_moves = plan_moves(page, ladders, all_levels)
            changes.update(page_changes)
            moves += page_moves
        if dry_run or not changes:
            continue
        rows = [{"id": record_id, **values} for record_id, values in changes.items()]
        for start in range(0, len(rows), WRITE_BATCH):
            session.update_many(rows[start : start + WRITE_BATCH])
    plans = [{"template": m.plan_template, "target": m.record_id} for m in moves if m.plan_template]
    if plans and not dry_run:
        for start in range(0, len(plans), WRITE_BATCH):
            session.create_many("EngagementPlan", plans[start : start + WRITE_BATCH])
    return moves


def run_levels_job(app) -> str:
    with app.system_session() as session:
        moves = assign_levels(session)
    plans = sum(1 for m in moves if m.plan_template)
    return f"{len(moves)} level change(s), {plans} engagement plan(s) created"


ASSIGN_JOB = Job(
    "npsp.levels",
    run=run_levels_job,
    schedule="daily",
    description="Give each record the level its amount falls in; apply the level's engagement plan on a change.",
)
