"""PMM rollups: full recalculation, and the cost of saving a roster as the table grows.

For each size (full run: 100,000 and 1,000,000 deliveries for 10,000 and
100,000 contacts; ``--quick``: 20,000 and 200,000 for 2,000 and 20,000)
the bench loads an org directly with SQL (not timed): contacts with one
engagement each, 10 services, the deliveries, and a weekly schedule with 30
participants. Then, timed:

1. ``pmm rollups recalc`` over everything (rollups start blank, so every
   contact, engagement, service and session is written);
2. saving a 30-row attendance roster (30 new deliveries, the incremental
   rollups on 30 contacts, 30 engagements, the service, session and
   schedule, the session marked Complete), the median of 8 sessions after
   one warm-up save.

The growth figure is the roster save time at the large size over the small
one: the incremental path must cost what the batch costs, not grow with the table.

    .venv/bin/python bench/pmm_rollups.py [--quick]

Ends with ``figure: roster_save_growth_1m_over_100k = <large / small> (target <= 1.5)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from fixtures import insert_rows

from missionbase.core.app import App, init_org
from missionbase.core.config import settings_from_dict

TARGET = 1.5
SERVICES = 10
ROSTER = 30
SAVES = 9
STATUSES = ["Present", "Present", "Present", "Unexcused Absence", "Excused Absence"]


def build(workdir: Path, contacts: int, deliveries: int) -> tuple[App, dict]:
    path = workdir / f"pmm_{deliveries}.db"
    app = App(settings_from_dict({"database_url": f"sqlite:///{path}", "plugins": ["pmm"]}))
    init_org(app)
    rng = random.Random(deliveries)
    schema = app.schema
    with app.connect() as conn, conn.begin():
        program = insert_rows(conn, schema, "Program", [{"name": "Bench", "status": "Active"}], "prg")[0]
        services = insert_rows(
            conn,
            schema,
            "Service",
            [{"name": f"Service {i}", "program": program, "status": "Active"} for i in range(SERVICES)],
            "svc",
        )
        contact_ids = insert_rows(
            conn,
            schema,
            "Contact",
            [
                {"first_name": f"F{i}", "last_name": f"L{i}", "name": f"F{i} L{i}", "is_client": True}
                for i in range(contacts)
            ],
            "con",
        )
        engagement_ids = insert_rows(
            conn,
            schema,
            "ProgramEngagement",
            [
                {"name": f"E{i}", "program": program, "contact": c, "stage": "Active"}
                for i, c in enumerate(contact_ids)
            ],
            "pen",
        )
        start = dt.date(2024, 1, 1)
        for offset in range(0, deliveries, 100_000):
            rows = []
            for _ in range(min(100_000, deliveries - offset)):
                who = rng.randrange(contacts)
                status = rng.choice(STATUSES)
                rows.append(
                    {
                        "name": "D",
                        "service": services[who % SERVICES],
                        "contact": contact_ids[who],
                        "program_engagement": engagement_ids[who],
                        "attendance_status": status,
                        "quantity": 1 if status == "Present" else 0,
                        "delivery_date": start + dt.timedelta(days=rng.randrange(500)),
                    }
                )
            insert_rows(conn, schema, "ServiceDelivery", rows, "sdv")
    from missionbase.plugins.pmm.participants import add_participants
    from missionbase.plugins.pmm.schedules import create_schedule

    with app.system_session() as s:
        first = dt.datetime(2025, 9, 2, 16, 0, tzinfo=dt.UTC)
        schedule, sessions = create_schedule(
            s,
            {
                "name": "Roster",
                "service": services[0],
                "frequency": "Weekly",
                "service_schedule_ends": "After",
                "number_of_service_sessions": SAVES,
                "first_session_start": first,
                "first_session_end": first + dt.timedelta(hours=1),
                "default_service_quantity": "1",
            },
        )
        picked = [engagement_ids[i] for i in range(0, contacts, contacts // ROSTER)][:ROSTER]
        add_participants(s, schedule["id"], picked)
    return app, {"sessions": [x["id"] for x in sessions], "path": path}


def measure(workdir: Path, contacts: int, deliveries: int) -> dict:
    from missionbase.plugins.pmm.attendance import build_roster, save_roster
    from missionbase.plugins.pmm.rollups import recalculate

    app, made = build(workdir, contacts, deliveries)
    started = time.perf_counter()
    with app.system_session() as s:
        changed = recalculate(s)
    app.engine.dispose()
    with sqlite3.connect(made["path"]) as conn:
        # The recalc's writes sit in the WAL; folding them into the database is part of its cost,
        # not of the first roster save that happens to trigger the checkpoint.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    recalc = time.perf_counter() - started
    saves = []
    rng = random.Random(7)
    for number, session_id in enumerate(made["sessions"]):
        with app.system_session() as s:
            roster = [row.contact for row in build_roster(s, session_id).rows]
        marks = {c: rng.choice(STATUSES) for c in roster}
        started = time.perf_counter()
        with app.system_session() as s:
            saved = save_roster(s, session_id, marks)
        if number:  # the first save warms caches at both sizes alike
            saves.append(time.perf_counter() - started)
        assert saved.created == ROSTER, saved
    app.dispose()
    return {
        "contacts": contacts,
        "deliveries": deliveries,
        "recalc": recalc,
        "changed": changed,
        "save": statistics.median(saves),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k and 200k deliveries (under a minute)")
    args = parser.parse_args(argv)
    sizes = [(2_000, 20_000), (20_000, 200_000)] if args.quick else [(10_000, 100_000), (100_000, 1_000_000)]
    results = []
    with tempfile.TemporaryDirectory(prefix="mb-bench-") as tmp:
        for contacts, deliveries in sizes:
            result = measure(Path(tmp), contacts, deliveries)
            results.append(result)
            print(
                f"{deliveries:>9,} deliveries, {contacts:>7,} contacts: recalc {result['recalc']:7.2f} s "
                f"({sum(result['changed'].values()):,} records written), "
                f"30-row roster save {result['save'] * 1000:7.1f} ms (median of {SAVES - 1})",
                flush=True,
            )
    small, large = results
    growth = large["save"] / small["save"]
    print(f"roster save at {large['deliveries']:,} vs {small['deliveries']:,} deliveries: {growth:.2f}x")
    print(f"figure: roster_save_growth_1m_over_100k = {growth:.2f} (target <= {TARGET:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
