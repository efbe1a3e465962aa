"""Applying an engagement plan template to many records in one call vs raw executemany.

Builds an org (SQLite) with the npsp_engagement plugin, N Contacts (default
10,000; ``--quick`` 3,000) and a 10-step template with dependencies (three
levels deep, reminders on some steps), then times
``plans.apply_template(session, template, contact_ids)`` as the admin, in
one transaction, commit included: N plans and 10*N tasks with their due
dates, owners, reminders, counts and every check RecordService makes.

The baseline inserts exactly the Task rows that call wrote (read back from
the database, all columns) with plain ``sqlite3.executemany`` into a table
of the same DDL and indexes, in a separate file with the same pragmas, in
one transaction.

    .venv/bin/python bench/plans_apply.py [--quick] [--contacts N]

Ends with ``figure: plans_apply_ratio = <apply time / raw time> (target <= 3)``.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from missionbase.core.app import App, init_org
from missionbase.core.config import settings_from_dict

TARGET = 3.0
STEPS = [  # subject, days after, parent, reminder
    ("Thank-you call", 1, None, True),
    ("Welcome email", 0, None, False),
    ("Send impact report", 7, "Thank-you call", True),
    ("Invite to site visit", 14, "Thank-you call", False),
    ("Follow-up call", 3, "Invite to site visit", True),
    ("Add to newsletter", 2, "Welcome email", False),
    ("Survey", 30, "Add to newsletter", False),
    ("Board member intro", 21, "Send impact report", False),
    ("Year-end letter", 60, None, True),
    ("Renewal ask", 10, "Year-end letter", True),
]


def setup(workdir: Path, contacts: int):
    app = App(
        settings_from_dict({"database_url": f"sqlite:///{workdir / 'mb.db'}", "plugins": ["npsp_engagement"]})
    )
    init_org(app)
    with app.session("admin") as s:
        template = s.create("EngagementPlanTemplate", {"name": "Major donor stewardship"})
        ids: dict[str, str] = {}
        for subject, days, parent, reminder in STEPS:
            ids[subject] = s.create(
                "EngagementPlanTask",
                {
                    "template": template["id"],
                    "subject": subject,
                    "days_after": days,
                    "parent_task": ids.get(parent) if parent else None,
                    "reminder": reminder,
                },
            )["id"]
        contact_ids: list[str] = []
        for start in range(0, contacts, 10000):
            batch = [
                {"first_name": "Donor", "last_name": f"N{n}"}
                for n in range(start, min(contacts, start + 10000))
            ]
            contact_ids += [c["id"] for c in s.create_many("Contact", batch)]
    return app, template["id"], contact_ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 contacts instead of 10,000")
    parser.add_argument("--contacts", type=int)
    args = parser.parse_args(argv)
    contacts = args.contacts or (3000 if args.quick else 10000)

    from missionbase.plugins.npsp_engagement.plans import apply_template

    with tempfile.TemporaryDirectory(prefix="mb_bench_plans_") as tmp:
        workdir = Path(tmp)
        app, template_id, contact_ids = setup(workdir, contacts)
        started = time.perf_counter()
        with app.session("admin") as s:
            plans = apply_template(s, template_id, contact_ids)
        apply_seconds = time.perf_counter() - started
        assert len(plans) == contacts

        with app.engine.connect() as conn:
            ddl = [
                sql
                for (sql,) in conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE tbl_name = 'task' AND sql IS NOT NULL "
                    "ORDER BY type = 'index', name"
                )
            ]
            cursor = conn.exec_driver_sql("SELECT * FROM task WHERE engagement_plan IS NOT NULL")
            columns = [c[0] for c in cursor.cursor.description]
            rows = [tuple(r) for r in cursor]
        assert len(rows) == contacts * len(STEPS)
        raw = sqlite3.connect(workdir / "raw.db", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            raw.execute(f"PRAGMA {pragma}")
        for statement in ddl:
            raw.execute(statement)
        insert = f"INSERT INTO task ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        started = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany(insert, rows)
        raw.execute("COMMIT")
        raw_seconds = time.perf_counter() - started
        raw.close()
        app.dispose()

    ratio = apply_seconds / raw_seconds
    print(f"contacts: {contacts:,}; tasks: {len(rows):,} ({len(STEPS)} steps, dependencies 3 deep)")
    print(
        f"apply_template (plans + tasks, one transaction): {apply_seconds:8.2f} s "
        f"({len(rows) / apply_seconds:,.0f} tasks/s)"
    )
    print(
        f"raw sqlite3.executemany of the same task rows:   {raw_seconds:8.2f} s "
        f"({len(rows) / raw_seconds:,.0f} tasks/s)"
    )
    print(f"figure: plans_apply_ratio = {ratio:.2f} (target <= {TARGET:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
