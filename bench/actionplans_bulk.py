"""Action plans in bulk: one ``create_plans`` call vs raw ``sqlite3.executemany`` of the same rows.

Publishes a 50-item template (45 tasks, 5 documents, offsets up to 1,000
working days) and creates one plan per Account for N Accounts (default
10,000; ``--quick`` 1,000) in one call, as an administrator, skipping
non-working days (default business hours and holidays loaded). Then inserts
exactly the rows that call stored (plans, tasks, document checklist items,
plan items) into a second SQLite file with the same DDL and pragmas, with
plain ``executemany`` in one transaction. Only the insert calls and commits
are timed on the raw side; the missionbase side is the whole call. Both
sides write the same rows into the same tables and indexes, in one
transaction each, and start with no writes of the setup still pending (the
file system is synced before each timed part). Wall time is the figure; the
process CPU time of each side is printed too, as a check on a busy machine.

Also measures the working-day due-date cost per item: one precomputed walk
per batch (what ``create_plans`` does) against walking the calendar day by
day for every item, both in this run; the figure is their ratio.

    .venv/bin/python bench/actionplans_bulk.py [--quick] [--accounts N]

Ends with one line per figure:

    figure: actionplans_bulk_ratio = <missionbase time / raw time> (target <= 3)
    figure: actionplans_due_date_cost_ratio = <precomputed / day-by-day cost per item> (target <= 0.1)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from missionbase.core.app import App, init_org
from missionbase.core.calendar import load_working_calendar
from missionbase.core.config import settings_from_dict
from missionbase.plugins.fsc_actionplans import templates as tpl
from missionbase.plugins.fsc_actionplans.plans import create_plans

TARGET = 3.0
DUE_DATE_TARGET = 0.1  # the precomputed walk must cost at most a tenth of walking day by day per item
TABLES = ("action_plan", "task", "document_checklist_item", "action_plan_item")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def build_org(workdir: Path, accounts: int) -> tuple[App, list[str]]:
    app = App(
        settings_from_dict(
            {
                "database_url": f"sqlite:///{workdir / 'mb.db'}",
                "plugins": ["fsc_actionplans"],
                "files_dir": str(workdir / "files"),
            }
        )
    )
    init_org(app)
    with app.session("admin") as s:
        hours = s.create(
            "BusinessHours",
            {
                "name": "Office",
                "is_default": True,
                **{f"{d}_start": "09:00" for d in WEEKDAYS},
                **{f"{d}_end": "17:00" for d in WEEKDAYS},
            },
        )
        s.create_many(
            "Holiday",
            [
                {"name": f"Holiday {y}", "date": dt.date(y, 5, 1), "business_hours": hours["id"]}
                for y in range(2026, 2032)
            ]
            + [{"name": "Christmas", "date": dt.date(2000, 12, 25), "is_recurring": True}],
        )
        doc_type = s.create("DocumentType", {"name": "Identity document"})
        template = tpl.create_template(
            s, {"name": "Onboarding", "unique_name": "bench", "target_type": "Account"}
        )
        for n in range(50):
            kind = "document" if n % 10 == 9 else "task"
            values = (
                {"due_offset": n * 20, "priority": "High"}
                if kind == "task"
                else {"due_offset": n * 20, "document_type": doc_type["id"], "instructions": "Both sides"}
            )
            tpl.add_item(s, template, {"name": f"Step {n}", "kind": kind, "required": n % 3 == 0}, values)
        tpl.set_version_status(s, template, "Published")
        ids = [a["id"] for a in s.create_many("Account", [{"name": f"Client {i}"} for i in range(accounts)])]
    return app, ids


def settle() -> None:
    """Start a timed part with no earlier writes still being flushed (neither side pays for the other's)."""
    if hasattr(os, "sync"):
        os.sync()


def raw_copy(app: App, workdir: Path) -> tuple[float, float]:
    """Insert the rows missionbase stored into a fresh file with the same DDL; returns (wall, CPU) seconds."""
    src = sqlite3.connect(workdir / "mb.db")
    raw = sqlite3.connect(workdir / "raw.db", isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
        raw.execute(f"PRAGMA {pragma}")
    rows_by_table = {}
    for table in TABLES:
        for (sql,) in src.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type = 'index', name",
            (table,),
        ):
            raw.execute(sql)
        cursor = src.execute(f"SELECT * FROM {table}")
        columns = [c[0] for c in cursor.description]
        rows_by_table[table] = (columns, cursor.fetchall())
    src.close()
    settle()
    started, cpu = time.perf_counter(), time.process_time()
    raw.execute("BEGIN IMMEDIATE")
    for table, (columns, rows) in rows_by_table.items():
        raw.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
        )
    raw.execute("COMMIT")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    raw.close()
    return seconds, cpu


def due_date_costs(app: App) -> tuple[float, float]:
    """Microseconds per item: precomputed walk per batch vs a day-by-day walk per item."""
    offsets = [n * 20 for n in range(50)]
    start = dt.date(2027, 1, 4)
    with app.session("admin") as s:
        calendar = load_working_calendar(s)
    rounds = 20
    started = time.perf_counter()
    for r in range(rounds):
        calendar._cache.clear()
        table = calendar.working_days_from(start + dt.timedelta(days=r), max(offsets))
        [table[o] for o in offsets]
    precomputed = (time.perf_counter() - started) / (rounds * len(offsets)) * 1e6
    started = time.perf_counter()
    for r in range(rounds):
        for offset in offsets:
            day, counted = start + dt.timedelta(days=r), 0
            while counted < offset:
                day += dt.timedelta(days=1)
                counted += calendar.is_working_day(day)
    naive = (time.perf_counter() - started) / (rounds * len(offsets)) * 1e6
    return precomputed, naive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 accounts (under a minute)")
    parser.add_argument("--accounts", type=int, help="accounts (default 10,000; 1,000 with --quick)")
    args = parser.parse_args(argv)
    accounts = args.accounts or (1_000 if args.quick else 10_000)
    with tempfile.TemporaryDirectory(prefix="mb-bench-ap-") as tmp:
        workdir = Path(tmp)
        app, ids = build_org(workdir, accounts)
        settle()
        started, cpu = time.perf_counter(), time.process_time()
        with app.session("admin") as s:
            plans = create_plans(s, "bench", ids, start_date=dt.date(2027, 1, 4), skip_nonworking=True)
        mb_seconds, mb_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert len(plans) == accounts
        with app.engine.connect() as conn:
            counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in TABLES}
        rows = sum(counts.values())
        raw_seconds, raw_cpu = raw_copy(app, workdir)
        precomputed, naive = due_date_costs(app)
        app.dispose()
    ratio = mb_seconds / raw_seconds
    due_ratio = precomputed / naive
    print(
        f"{accounts:,} plans from a 50-item template: {rows:,} rows "
        f"({', '.join(f'{t} {n:,}' for t, n in counts.items())})"
    )
    print(
        f"create_plans {mb_seconds:.2f} s ({mb_seconds / rows * 1e6:.1f} us/row)  "
        f"raw executemany {raw_seconds:.2f} s ({raw_seconds / rows * 1e6:.1f} us/row)  ratio {ratio:.2f}x"
    )
    print(
        f"CPU time: create_plans {mb_cpu:.2f} s, raw executemany {raw_cpu:.2f} s (ratio {mb_cpu / raw_cpu:.2f}x)"
    )
    print(
        f"working-day due date per item: {precomputed:.2f} us precomputed per batch, "
        f"{naive:.2f} us walking day by day per item ({naive / precomputed:.0f}x)"
    )
    print(f"figure: actionplans_bulk_ratio = {ratio:.2f} (target <= {TARGET:g})")
    print(f"figure: actionplans_due_date_cost_ratio = {due_ratio:.3f} (target <= {DUE_DATE_TARGET:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
