"""Bulk create through RecordService vs raw ``sqlite3.executemany``.

Creates N Contacts (default 100,000; ``--quick`` 20,000) with
``RecordService.create_many`` in batches of 10,000, all in one session, and
inserts exactly the same rows (same generated ids, system columns and
trigger-computed values) with plain ``sqlite3.executemany`` into a table of
the same shape (same DDL, same indexes) in a separate SQLite file with the
same pragmas (WAL, synchronous=NORMAL), also in one transaction.

The two runs are interleaved batch by batch (each in its own file and
transaction), so no more than one batch of rows is ever held in memory; the
timers cover only the insert calls and the commit, not generating the input.

Without ``--quick`` the same is also done at 1,000,000 rows and the growth of
the per-row cost from 100k to 1M is printed.

    .venv/bin/python bench/bulk_create.py [--quick] [--rows N] [--batch N] [--profile]

Ends with ``figure: bulk_create_ratio = <RecordService time / raw time> (target <= 5)``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from missionbase.core.app import App, init_org
from missionbase.core.config import settings_from_dict

TARGET = 5.0
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Esi", "Farah", "Goran", "Hana", "Ines", "Jamal", "Kai", "Lena"]
LAST = ["Okafor", "Nguyen", "García", "Smith", "Kowalski", "Haddad", "Ito", "Moreau", "Silva", "Berg"]
CITIES = ["Lagos", "Hanoi", "Lyon", "Leeds", "Kraków", "Beirut", "Osaka", "Porto", "Recife", "Bergen"]


def make_rows(rng: random.Random, start: int, count: int) -> list[dict]:
    """``count`` Contact inputs as an API caller would pass them (typed values)."""
    rows = []
    for n in range(start, start + count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append(
            {
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{n}@example.org",
                "phone": f"+44 20 7{n % 1000:03d} {n % 10000:04d}",
                "birthdate": dt.date(1940 + n % 70, 1 + n % 12, 1 + n % 28),
                "mailing_city": rng.choice(CITIES),
                "mailing_postal_code": f"{n % 100000:05d}",
                "title": "Volunteer" if n % 3 else "Donor",
            }
        )
    return rows


def _stored(value):
    """A Python value as SQLAlchemy's SQLite dialect stores it (what the raw insert must write)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def raw_connection(path: Path, ddl: list[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for statement in ddl:
        conn.execute(statement)
    return conn


def run(rows_total: int, batch: int, workdir: Path, profile: cProfile.Profile | None = None) -> dict:
    """Insert ``rows_total`` Contacts both ways; returns the timings in seconds."""
    tag = f"{rows_total}"
    app = App(settings_from_dict({"database_url": f"sqlite:///{workdir / f'mb_{tag}.db'}", "plugins": []}))
    init_org(app)
    with app.engine.connect() as conn:
        ddl = [
            sql
            for (sql,) in conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'contact' AND sql IS NOT NULL "
                "ORDER BY type = 'index', name"
            )
        ]
    columns = list(app.schema.table("Contact").c.keys())
    raw = raw_connection(workdir / f"raw_{tag}.db", ddl)
    insert_sql = f"INSERT INTO contact ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"

    rng = random.Random(42)
    mb_seconds = raw_seconds = 0.0

    session_cm = app.system_session()
    started = time.perf_counter()
    if profile:
        profile.enable()
    session = session_cm.__enter__()
    if profile:
        profile.disable()
    mb_seconds += time.perf_counter() - started
    raw.execute("BEGIN IMMEDIATE")
    done = 0
    try:
        while done < rows_total:
            count = min(batch, rows_total - done)
            inputs = make_rows(rng, done, count)

            started = time.perf_counter()
            if profile:
                profile.enable()
            created = session.create_many("Contact", inputs)
            if profile:
                profile.disable()
            mb_seconds += time.perf_counter() - started

            # Same rows, as stored values, prepared outside the timer.
            tuples = [tuple(_stored(record.get(c)) for c in columns) for record in created]
            # is_deleted / deleted_* are not in the presented record: they are False / NULL.
            is_deleted = columns.index("is_deleted")
            tuples = [(*t[:is_deleted], 0, *t[is_deleted + 1 :]) for t in tuples]
            del created, inputs

            started = time.perf_counter()
            raw.executemany(insert_sql, tuples)
            raw_seconds += time.perf_counter() - started
            done += count
    except BaseException:
        session_cm.__exit__(*sys.exc_info())
        raise
    started = time.perf_counter()
    if profile:
        profile.enable()
    session_cm.__exit__(None, None, None)
    if profile:
        profile.disable()
    mb_seconds += time.perf_counter() - started

    started = time.perf_counter()
    raw.execute("COMMIT")
    raw_seconds += time.perf_counter() - started

    # Both files must hold the same rows.
    with app.engine.connect() as conn:
        mb_count = conn.exec_driver_sql("SELECT count(*) FROM contact").scalar()
        mb_sample = conn.exec_driver_sql(
            f"SELECT {', '.join(columns)} FROM contact ORDER BY id LIMIT 3"
        ).all()
    raw_count = raw.execute("SELECT count(*) FROM contact").fetchone()[0]
    raw_sample = raw.execute(f"SELECT {', '.join(columns)} FROM contact ORDER BY id LIMIT 3").fetchall()
    raw.close()
    app.dispose()
    if mb_count != rows_total or raw_count != rows_total:
        raise SystemExit(f"row counts differ: RecordService {mb_count}, raw {raw_count}, wanted {rows_total}")
    if [tuple(r) for r in mb_sample] != raw_sample:
        raise SystemExit(
            f"stored rows differ:\n  RecordService {mb_sample[0]}\n  raw           {raw_sample[0]}"
        )
    return {"rows": rows_total, "mb": mb_seconds, "raw": raw_seconds}


def report(result: dict) -> None:
    rows = result["rows"]
    print(
        f"{rows:>9,} rows: RecordService {result['mb']:8.2f} s ({result['mb'] / rows * 1e6:6.1f} us/row)  "
        f"raw executemany {result['raw']:6.2f} s ({result['raw'] / rows * 1e6:5.1f} us/row)  "
        f"ratio {result['mb'] / result['raw']:.2f}x",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows, no 1M run (under a minute)")
    parser.add_argument("--rows", type=int, help="rows to create (default 100,000; 20,000 with --quick)")
    parser.add_argument("--batch", type=int, default=10_000, help="rows per create_many call")
    parser.add_argument("--large", type=int, default=1_000_000, help="size of the growth run (full mode)")
    parser.add_argument("--profile", action="store_true", help="cProfile the RecordService side")
    args = parser.parse_args(argv)
    rows = args.rows or (20_000 if args.quick else 100_000)

    profile = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory(prefix="mb-bench-") as tmp:
        workdir = Path(tmp)
        print(f"bulk create of Contacts, {args.batch:,} rows per create_many, one transaction each side")
        main_result = run(rows, args.batch, workdir, profile)
        report(main_result)
        growth = None
        if not args.quick and args.large > rows:
            large = run(args.large, args.batch, workdir)
            report(large)
            growth = (large["mb"] / large["rows"]) / (main_result["mb"] / main_result["rows"])
            raw_growth = (large["raw"] / large["rows"]) / (main_result["raw"] / main_result["rows"])
            print(
                f"per-row cost at {args.large:,} / at {rows:,}: RecordService {growth:.2f}x, "
                f"raw executemany {raw_growth:.2f}x"
            )

    if profile:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats("cumulative")
        stats.print_stats(30)
        stats.sort_stats("tottime").print_stats(25)
        print(out.getvalue())

    ratio = main_result["mb"] / main_result["raw"]
    print(f"RecordService {main_result['mb']:.2f} s vs raw sqlite3.executemany {main_result['raw']:.2f} s")
    print(f"figure: bulk_create_ratio = {ratio:.2f} (target <= {TARGET:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
