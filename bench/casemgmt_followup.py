"""Follow-up lists: the three lists of a caseworker with 60 clients as deliveries pile up.

For each size (full run: 100,000 and 1,000,000 deliveries for 10,000 and
100,000 clients; ``--quick``: 20,000 and 200,000 for 2,000 and 20,000) the
bench loads an org directly with SQL (not timed): clients with one Active
engagement each, owned by 20 caseworkers except 60 that belong to the measured
caseworker, and deliveries spread over every client (present or absent),
then PMM's rollup recalculation fills consecutive absences and last service
dates (not timed). Timed: ``all_follow_ups`` (the three lists, as the
caseworker, through the RecordService), the median of 15 runs after a warm-up.

    .venv/bin/python bench/casemgmt_followup.py [--quick]

Ends with ``figure: followup_growth_1m_over_100k = <large / small> (target <= 2)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from fixtures import insert_rows

from missionbase.core.app import App, init_org
from missionbase.core.config import settings_from_dict
from missionbase.core.security.sharing import assign_permission_set

TARGET = 2.0
MY_CLIENTS = 60
WORKERS = 20
RUNS = 15
STATUSES = ["Present", "Present", "Present", "Unexcused Absence", "Excused Absence"]
TODAY = dt.date(2025, 6, 30)


def build(workdir: Path, clients: int, deliveries: int) -> App:
    app = App(
        settings_from_dict(
            {
                "database_url": f"sqlite:///{workdir / f'followup_{deliveries}.db'}",
                "plugins": ["pmm", "casemgmt"],
                "files_dir": str(workdir / "files"),
            }
        )
    )
    init_org(app)
    rng = random.Random(deliveries)
    with app.system_session() as s:
        workers = []
        for n in range(WORKERS + 1):
            user = s.create("User", {"username": f"cw{n}", "name": f"Caseworker {n}"})
            for permset in ("Standard User", "PMM: Deliver", "Case Management: Caseworker"):
                assign_permission_set(s, user["id"], permset)
            workers.append(user["id"])
        program = s.create("Program", {"name": "Bench", "status": "Active"})["id"]
        service = s.create("Service", {"name": "Sessions", "program": program})["id"]
    me, others = workers[0], workers[1:]
    mine = set(rng.sample(range(clients), MY_CLIENTS))

    def owner(i: int) -> str:
        return me if i in mine else others[i % len(others)]

    with app.connect() as conn, conn.begin():
        contact_ids = insert_rows(
            conn,
            app.schema,
            "Contact",
            [
                {
                    "first_name": f"F{i}",
                    "last_name": f"L{i}",
                    "name": f"F{i} L{i}",
                    "is_client": True,
                    "client_id": f"C{i:07d}",
                    "owner_id": owner(i),
                }
                for i in range(clients)
            ],
            "con",
        )
        engagement_ids = insert_rows(
            conn,
            app.schema,
            "ProgramEngagement",
            [
                {
                    "name": f"E{i}",
                    "program": program,
                    "contact": c,
                    "stage": "Active",
                    "start_date": TODAY - dt.timedelta(days=rng.randint(20, 400)),
                    "owner_id": owner(i),
                }
                for i, c in enumerate(contact_ids)
            ],
            "pen",
        )
        for offset in range(0, deliveries, 100_000):
            rows = []
            for _ in range(min(100_000, deliveries - offset)):
                who = rng.randrange(clients)
                status = rng.choice(STATUSES)
                rows.append(
                    {
                        "name": "D",
                        "service": service,
                        "contact": contact_ids[who],
                        "program_engagement": engagement_ids[who],
                        "attendance_status": status,
                        "quantity": 1 if status == "Present" else 0,
                        "owner_id": owner(who),
                        "delivery_date": TODAY - dt.timedelta(days=rng.randrange(120)),
                    }
                )
            insert_rows(conn, app.schema, "ServiceDelivery", rows, "sdv")
    from missionbase.plugins.pmm.rollups import recalculate

    with app.system_session() as s:
        recalculate(s)
    return app


def measure(workdir: Path, clients: int, deliveries: int) -> dict:
    from missionbase.plugins.casemgmt.followup import all_follow_ups

    app = build(workdir, clients, deliveries)
    timings, sizes = [], {}
    for run in range(RUNS + 1):
        started = time.perf_counter()
        with app.session("cw0") as s:
            lists = all_follow_ups(s, TODAY)
        if run:  # the first run warms caches at both sizes alike
            timings.append(time.perf_counter() - started)
        sizes = {name: len({r["contact"] for r in rows}) for name, rows in lists.items()}
    app.dispose()
    return {
        "clients": clients,
        "deliveries": deliveries,
        "median": statistics.median(timings),
        "sizes": sizes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k and 200k deliveries (under a minute)")
    args = parser.parse_args(argv)
    sizes = [(2_000, 20_000), (20_000, 200_000)] if args.quick else [(10_000, 100_000), (100_000, 1_000_000)]
    results = []
    with tempfile.TemporaryDirectory(prefix="mb-bench-") as tmp:
        for clients, deliveries in sizes:
            result = measure(Path(tmp), clients, deliveries)
            results.append(result)
            print(
                f"{deliveries:>9,} deliveries, {clients:>7,} clients: three lists in "
                f"{result['median'] * 1000:7.1f} ms (median of {RUNS}); clients listed {result['sizes']}",
                flush=True,
            )
    small, large = results
    growth = large["median"] / small["median"]
    print(f"follow-up lists at {large['deliveries']:,} vs {small['deliveries']:,} deliveries: {growth:.2f}x")
    print(f"figure: followup_growth_1m_over_100k = {growth:.2f} (target <= {TARGET:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
