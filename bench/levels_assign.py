"""Level assignment across a whole table vs the same work record by record.

Builds an org (SQLite) with the npsp_engagement plugin, a four-level
Contact ladder on ``total_gifts`` and N Contacts (default 1,000,000;
``--quick`` 50,000) whose gift totals are spread over the ladder; 95% already
hold the right level, 5% must move (up, down, or off a level). The rows are
written straight into the table (setup is not what is measured).

- Set-based: ``levels.assign_levels(session)`` in one system session
  (``missionbase jobs run npsp.levels``), commit included.
- Per record: on a fresh copy of a SAMPLE of the same data (10,000;
  ``--quick`` 2,000), each record is read with ``session.get`` and, when
  its level changes, written with ``session.update``, all in one session;
  the time is scaled to N.

    .venv/bin/python bench/levels_assign.py [--quick] [--contacts N] [--sample N]

Ends with ``figure: levels_speedup_vs_per_record = <scaled per-record time / set-based time> (target >= 20)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import random
import sys
import tempfile
import time
from pathlib import Path

from missionbase.core.app import App, init_org
from missionbase.core.config import settings_from_dict
from missionbase.core.ids import SYSTEM_USER_ID, new_ids

TARGET = 20.0
LADDER = [
    ("Friend", None, "100"),
    ("Supporter", "100", "1000"),
    ("Major", "1000", "10000"),
    ("Patron", "10000", None),
]
MOVING = 0.05


def build(path: Path, contacts: int, seed: int) -> tuple[App, int]:
    """An org with the ladder and ``contacts`` Contacts; returns it and how many should move."""
    app = App(settings_from_dict({"database_url": f"sqlite:///{path}", "plugins": ["npsp_engagement"]}))
    init_org(app)
    with app.system_session() as s:
        levels = s.create_many(
            "Level",
            [
                {
                    "name": name,
                    "target": "Contact",
                    "source_field": "total_gifts",
                    "level_field": "level",
                    "previous_level_field": "previous_level",
                    "minimum": low,
                    "maximum": high,
                }
                for name, low, high in LADDER
            ],
        )
    bounds = [
        (lv["id"], decimal.Decimal(low or "0"), decimal.Decimal(high) if high else None)
        for lv, (_, low, high) in zip(levels, LADDER, strict=True)
    ]
    rng = random.Random(seed)
    table = app.schema.table("Contact")
    blank = dict.fromkeys(table.c.keys())
    now = dt.datetime.now(dt.UTC)
    moving = 0
    with app.engine.begin() as conn:
        for start in range(0, contacts, 20000):
            count = min(20000, contacts - start)
            rows = []
            for record_id in new_ids("con", count):
                index = rng.randrange(len(bounds))
                level_id, low, high = bounds[index]
                amount = low + rng.randrange(0, int((high or low + 50000) - low))
                current = level_id
                if rng.random() < MOVING:
                    moving += 1
                    current = bounds[(index + rng.randrange(1, len(bounds))) % len(bounds)][0]
                rows.append(
                    {
                        **blank,
                        "id": record_id,
                        "owner_id": SYSTEM_USER_ID,
                        "created_at": now,
                        "created_by": SYSTEM_USER_ID,
                        "modified_at": now,
                        "modified_by": SYSTEM_USER_ID,
                        "version": 1,
                        "is_deleted": False,
                        "last_name": f"Donor {record_id[-6:]}",
                        "name": f"Donor {record_id[-6:]}",
                        "total_gifts": amount,
                        "level": current,
                    }
                )
            conn.execute(table.insert(), rows)
    return app, moving


def per_record(app: App) -> tuple[float, int]:
    """The same rule, one record at a time through RecordService."""
    from missionbase.plugins.npsp_engagement.levels import match_level, sort_key

    with app.system_session() as s:
        ladder = sorted(s.query("Level").records, key=sort_key)
        ids = [r["id"] for r in s.query("Contact", fields=["id"]).records]
    started = time.perf_counter()
    changed = 0
    with app.system_session() as s:
        for record_id in ids:
            record = s.get(record_id)
            amount = decimal.Decimal(record["total_gifts"] or 0)
            new = match_level(ladder, {"total_gifts": amount})
            new_id = new["id"] if new else None
            if new_id != record["level"]:
                s.update(record_id, {"level": new_id, "previous_level": record["level"]})
                changed += 1
    return time.perf_counter() - started, changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 contacts, a 2,000 sample")
    parser.add_argument("--contacts", type=int)
    parser.add_argument("--sample", type=int)
    args = parser.parse_args(argv)
    contacts = args.contacts or (50_000 if args.quick else 1_000_000)
    sample = args.sample or (2_000 if args.quick else 10_000)

    from missionbase.plugins.npsp_engagement.levels import assign_levels

    with tempfile.TemporaryDirectory(prefix="mb_bench_levels_") as tmp:
        app, moving = build(Path(tmp) / "full.db", contacts, seed=1)
        started = time.perf_counter()
        with app.system_session() as s:
            moves = assign_levels(s)
        set_seconds = time.perf_counter() - started
        assert len(moves) == moving, (len(moves), moving)
        with app.system_session() as s:
            assert assign_levels(s, dry_run=True) == []  # idempotent
        app.dispose()

        sample_app, sample_moving = build(Path(tmp) / "sample.db", sample, seed=2)
        sample_seconds, sample_changed = per_record(sample_app)
        assert sample_changed == sample_moving
        sample_app.dispose()

    scaled = sample_seconds * contacts / sample
    speedup = scaled / set_seconds
    print(f"contacts: {contacts:,}; moving level: {moving:,} ({MOVING:.0%}); ladder of {len(LADDER)} levels")
    print(f"set-based assign_levels:            {set_seconds:9.2f} s")
    print(
        f"per record, {sample:,} sample:        {sample_seconds:9.2f} s "
        f"({sample_seconds / sample * 1000:.2f} ms/record) -> scaled to {contacts:,}: {scaled:,.0f} s"
    )
    print(f"figure: levels_speedup_vs_per_record = {speedup:.1f} (target >= {TARGET:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
