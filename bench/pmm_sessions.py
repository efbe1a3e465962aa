"""Session generation through the PMM plugin vs raw ``sqlite3.executemany``.

Creates N weekly schedules of 52 sessions each (default 1,000 schedules =
52,000 sessions; ``--quick`` 200) with ``pmm.schedules.create_schedules`` in
batches of 100 schedules (validation, rrule expansion on local dates,
auto-naming triggers, lookup checks, one insert per batch), in one session.
Then inserts exactly the same stored rows (read back from that database)
with plain ``sqlite3.executemany`` into tables of the same DDL in a separate
SQLite file with the same pragmas, in one transaction.

    .venv/bin/python bench/pmm_sessions.py [--quick] [--schedules N] [--profile]

Ends with ``figure: pmm_sessions_ratio = <plugin time / raw time> (target <= 3)``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import sqlite3
import tempfile
import time
from pathlib import Path

from missionbase.core.app import App, init_org
from missionbase.core.config import settings_from_dict

TARGET = 3.0
WEEKS = 52
BATCH = 100
TABLES = ("service_schedule", "service_session")


def schedule_inputs(count: int, service: str, provider: str) -> list[dict]:
    start = dt.datetime(2025, 1, 6, 16, 0, tzinfo=dt.UTC)
    rows = []
    for n in range(count):
        first = start + dt.timedelta(days=n % 7, minutes=30 * (n % 12))
        rows.append(
            {
                "name": f"Weekly class {n}",
                "service": service,
                "frequency": "Weekly",
                "interval": 1,
                "service_schedule_ends": "After",
                "number_of_service_sessions": WEEKS,
                "first_session_start": first,
                "first_session_end": first + dt.timedelta(hours=1),
                "primary_service_provider": provider,
                "default_service_quantity": "1.00",
            }
        )
    return rows


def raw_connection(path: Path, ddl: list[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for statement in ddl:
        conn.execute(statement)
    return conn


def run(schedules: int, workdir: Path, profile: cProfile.Profile | None) -> dict:
    from missionbase.plugins.pmm.schedules import create_schedules

    db = workdir / "mb.db"
    app = App(settings_from_dict({"database_url": f"sqlite:///{db}", "plugins": ["pmm"]}))
    init_org(app)
    with app.system_session() as s:
        program = s.create("Program", {"name": "Bench", "status": "Active"})
        service = s.create("Service", {"name": "Class", "program": program["id"]})
        provider = s.create("Contact", {"first_name": "Tess", "last_name": "Tutor"})
    inputs = schedule_inputs(schedules, service["id"], provider["id"])

    started = time.perf_counter()
    if profile:
        profile.enable()
    with app.system_session() as s:
        for offset in range(0, schedules, BATCH):
            create_schedules(s, inputs[offset : offset + BATCH])
    if profile:
        profile.disable()
    mb_seconds = time.perf_counter() - started
    app.dispose()

    source = sqlite3.connect(db)
    ddl = [
        sql
        for (sql,) in source.execute(
            f"SELECT sql FROM sqlite_master WHERE tbl_name IN {TABLES} AND sql IS NOT NULL ORDER BY type = 'index', name"
        )
    ]
    stored = {t: source.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}
    columns = {t: [c[1] for c in source.execute(f"PRAGMA table_info({t})")] for t in TABLES}
    source.close()
    raw = raw_connection(workdir / "raw.db", ddl)
    raw.execute("PRAGMA foreign_keys=OFF")  # the lookup targets (service, contacts) are not in this file
    started = time.perf_counter()
    raw.execute("BEGIN IMMEDIATE")
    for table in TABLES:
        cols = columns[table]
        # Schedules first, then sessions, each in the batches the plugin used.
        rows = stored[table]
        step = BATCH if table == "service_schedule" else BATCH * WEEKS
        for offset in range(0, len(rows), step):
            raw.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                rows[offset : offset + step],
            )
    raw.execute("COMMIT")
    raw_seconds = time.perf_counter() - started
    sessions = raw.execute("SELECT count(*) FROM service_session").fetchone()[0]
    raw.close()
    if sessions != schedules * WEEKS:
        raise SystemExit(f"expected {schedules * WEEKS} sessions, found {sessions}")
    return {"schedules": schedules, "sessions": sessions, "mb": mb_seconds, "raw": raw_seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 schedules (10,400 sessions)")
    parser.add_argument("--schedules", type=int, help="weekly schedules of 52 sessions (default 1,000)")
    parser.add_argument("--profile", action="store_true", help="cProfile the plugin side")
    args = parser.parse_args(argv)
    count = args.schedules or (200 if args.quick else 1000)
    profile = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory(prefix="mb-bench-") as tmp:
        result = run(count, Path(tmp), profile)
    ratio = result["mb"] / result["raw"]
    print(f"{result['schedules']:,} weekly schedules, {result['sessions']:,} sessions")
    print(
        f"  through the plugin: {result['mb']:7.2f} s ({result['mb'] / result['sessions'] * 1e6:6.1f} us/session)"
    )
    print(
        f"  raw executemany:    {result['raw']:7.2f} s ({result['raw'] / result['sessions'] * 1e6:6.1f} us/session)"
    )
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    print(f"figure: pmm_sessions_ratio = {ratio:.2f} (target <= {TARGET:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
