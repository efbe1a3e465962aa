"""Record visibility at scale: the first page of visible Contacts for a mid-level user.

An org with Contact's org-wide default Private, 50 users in a 4-level role
hierarchy (1 director, 3 heads, 6 managers, 40 caseworkers in 12 teams),
public groups (one nested in another, members by user, role and role with
subordinates), two queues that own some Contacts, and manual shares of 1%
of the Contacts to users, groups, roles and roles-with-subordinates. The
Contacts are spread over the 50 users and the queues.

For a mid-level user (a manager: her team of caseworkers below her, one
queue membership, groups) the bench fetches the first page of 50 visible
Contacts with ``RecordService.query`` - ordered by id, and by -created_at -
and the same page for an admin (System Administrator, no filter), at N and
10N Contacts (100k and 1M; ``--quick`` 20k and 200k), each size in its own
database built the same way. Each timing is one ``query`` call in a fresh
session (so the user's access is loaded as a real first request would);
the four (size, user) pages are timed in shuffled, interleaved rounds after
a warm-up round (which also checks every Contact on the mid-level page
against ``record_access``), and the median of ``--reps`` rounds is kept.
Pages by -created_at are timed afterwards, apart: Contact has no index on
created_at, so those pages read and sort every visible row (shown for
information; the figures are the pages by id). On SQLite the query runs in
this process, so its CPU time is printed too: it shows the work done even
when a busy machine stretches the wall times.

The first 1,000 Contacts go through ``RecordService.create_many``; the bulk
is written with the same columns by plain ``executemany`` (SQLite) or COPY
(PostgreSQL), since only the read path is measured here.

    .venv/bin/python bench/visibility.py [--quick] [--rows N] [--reps N] [--explain]
        [--database-url postgresql+psycopg://USER@HOST:PORT/DB]

Ends with
``figure: visibility_growth_1m_over_100k = <time at 10N / time at N> (target <= 2)`` and
``figure: visibility_vs_admin = <mid-level time / admin time at 10N> (target <= 3)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from missionbase.core.app import App, init_org
from missionbase.core.config import settings_from_dict
from missionbase.core.ids import new_ids
from missionbase.core.security.sharing import Grantee, assign_permission_set, set_sharing_default

GROWTH_TARGET = 2.0
ADMIN_TARGET = 3.0
PAGE = 50
SHARE_RATE = 0.01  # of Contacts with a manual share
QUEUE_RATE = 0.02  # of Contacts owned by a queue
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Esi", "Farah", "Goran", "Hana", "Ines", "Jamal", "Kai", "Lena"]
LAST = ["Okafor", "Nguyen", "García", "Smith", "Kowalski", "Haddad", "Ito", "Moreau", "Silva", "Berg"]
ORDERS = ("id", "-created_at")


# -- the org ------------------------------------------------------------------------------


class Org:
    """Ids of what the bench builds, and what the bulk insert draws from."""

    def __init__(self) -> None:
        self.admin_id = ""
        self.mid_user = ""
        self.users: list[str] = []
        self.roles: dict[str, str] = {}
        self.groups: dict[str, str] = {}
        self.queues: list[str] = []
        self.grantees: list[Grantee] = []
        self.created = 0  # Contacts so far
        self.clock = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def build_org(app: App) -> Org:
    org = Org()
    org.admin_id = init_org(app)
    with app.system_session() as s:
        set_sharing_default(s, "Contact", "private")

        by_name: dict[str, str] = {}

        def role(name: str, parent: str | None) -> str:
            org.roles[name] = s.create("Role", {"name": name, "parent": org.roles.get(parent)})["id"]
            return name

        def user(username: str, role_name: str) -> str:
            user_id = s.create(
                "User", {"username": username, "name": username.title(), "role": org.roles[role_name]}
            )["id"]
            assign_permission_set(s, user_id, "Standard User")
            org.users.append(user_id)
            by_name[username] = user_id
            return user_id

        # Level 1: the director; 2: three heads; 3: two managers per head; 4: two teams per manager.
        user("director", role("Director", None))
        for h in range(3):
            head = role(f"Head {h}", "Director")
            user(f"head{h}", head)
            for m in range(2):
                manager = role(f"Manager {h}.{m}", head)
                user(f"manager{h}{m}", manager)
                for t in range(2):
                    role(f"Team {h}.{m}.{t}", manager)
        teams = [name for name in org.roles if name.startswith("Team")]
        for n in range(40):
            user(f"worker{n:02d}", teams[n % len(teams)])
        org.mid_user = by_name["manager00"]
        assert len(org.users) == 50

        for name in ("Youth Team", "Safeguarding", "All Managers", "Volunteers Desk"):
            org.groups[name] = s.create("Group", {"name": name})["id"]
        org.queues = [
            s.create("Queue", {"name": name, "objects": "Contact"})["id"] for name in ("Intake", "Waitlist")
        ]
        g, r, q = org.groups, org.roles, org.queues
        s.create_many(
            "GroupMember",
            [
                {"group": g["Youth Team"], "member": org.users[20]},
                {"group": g["Youth Team"], "member": org.users[21]},
                {"group": g["Youth Team"], "member": r["Team 1.0.1"]},
                {"group": g["Safeguarding"], "member": g["Youth Team"]},  # nested
                {"group": g["Safeguarding"], "member": r["Head 2"], "include_subordinates": True},
                {"group": g["All Managers"], "member": r["Manager 0.0"]},
                {"group": g["All Managers"], "member": r["Manager 1.1"]},
                {"group": g["Volunteers Desk"], "member": org.users[30]},
                {"group": q[0], "member": r["Manager 0.0"], "include_subordinates": True},
                {"group": q[1], "member": org.users[45]},
            ],
        )
        org.grantees = (
            [Grantee("user", u, u) for u in org.users]
            + [Grantee("group", gid, name) for name, gid in g.items()]
            + [Grantee("role", rid, name) for name, rid in r.items()]
            + [Grantee("role_and_subordinates", rid, name) for name, rid in r.items()]
        )
    return org


# -- Contacts and shares, fast -----------------------------------------------------------------


def contact_rows(org: Org, rng: random.Random, count: int) -> list[dict]:
    """Stored Contact rows (system columns included), ids and created_at increasing."""
    rows = []
    for record_id in new_ids("con", count):
        owner = rng.choice(org.queues) if rng.random() < QUEUE_RATE else rng.choice(org.users)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        org.clock += dt.timedelta(seconds=1)
        rows.append(
            {
                "id": record_id,
                "owner_id": owner,
                "created_at": org.clock,
                "created_by": org.admin_id,
                "modified_at": org.clock,
                "modified_by": org.admin_id,
                "version": 1,
                "is_deleted": False,
                "first_name": first,
                "last_name": last,
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{org.created + len(rows)}@example.org",
            }
        )
    return rows


def share_rows(org: Org, rng: random.Random, contact_ids: list[str]) -> list[dict]:
    rows = []
    chosen = [c for c in contact_ids if rng.random() < SHARE_RATE]
    for record_id, share_id in zip(chosen, new_ids("shr", len(chosen)), strict=True):
        grantee = rng.choice(org.grantees)
        rows.append(
            {
                "id": share_id,
                "object": "Contact",
                "record_id": record_id,
                "grantee_type": grantee.type,
                "grantee_id": grantee.id,
                "grantee_key": grantee.key,
                "level": rng.choice(["read", "edit"]),
                "created_at": org.clock,
                "created_by": org.admin_id,
            }
        )
    return rows


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """The rows as they are, with the driver's own bulk path."""
    if not rows:
        return
    columns = list(rows[0])
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        return

    def stored(value):
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return int(value) if isinstance(value, bool) else value

    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    conn.exec_driver_sql(sql, [tuple(stored(row[c]) for c in columns) for row in rows])


def grow(app: App, org: Org, target: int, rng: random.Random, batch: int = 50_000) -> None:
    """Add Contacts (and their shares) until there are ``target``."""
    contacts = app.schema.table("Contact")
    shares = app.schema.internal["share"]
    if org.created == 0:  # the first ones through the one door, as any caller would
        with app.system_session() as s:
            made = s.create_many(
                "Contact",
                [
                    {k: row[k] for k in ("first_name", "last_name", "email", "owner_id")}
                    for row in contact_rows(org, rng, 1000)
                ],
            )
        with app.connect() as conn, conn.begin():
            bulk_insert(conn, shares, share_rows(org, rng, [c["id"] for c in made]))
        org.created = len(made)
        org.clock = max(c["created_at"] for c in made)  # the bulk comes after them, in id and in time
    while org.created < target:
        rows = contact_rows(org, rng, min(batch, target - org.created))
        with app.connect() as conn, conn.begin():
            bulk_insert(conn, contacts, rows)
            bulk_insert(conn, shares, share_rows(org, rng, [r["id"] for r in rows]))
        org.created += len(rows)
    # PostgreSQL: statistics and visibility map as autovacuum would leave them. SQLite: none,
    # as missionbase never runs ANALYZE there (the planner works without sqlite_stat1).
    if app.engine.dialect.name == "postgresql":
        with app.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in (contacts, shares):
                conn.exec_driver_sql(f"VACUUM ANALYZE {table.name}")


# -- measuring ------------------------------------------------------------------------------------


def page_once(app: App, user_id: str, order_by: str) -> tuple[float, float, list[str]]:
    """One first-page query in a fresh session (the user's access is loaded inside it, as
    for a real first request): its wall time, this process's CPU time, the page's ids."""
    with app.session(user_id) as s:
        time.sleep(0.001)  # start on a fresh scheduler slice: fewer preemptions inside the timing
        started, cpu_started = time.perf_counter(), time.process_time()
        page = s.query("Contact", order_by=order_by, limit=PAGE)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    ids = [r["id"] for r in page.records]
    if len(ids) != PAGE:
        raise SystemExit(f"expected a full page of {PAGE}, got {len(ids)}")
    return elapsed, cpu, ids


def check_page(app: App, user_id: str, ids: list[str]) -> None:
    """Every Contact on the mid-level page is one record_access says she may read."""
    contacts = app.schema.table("Contact")
    obj = app.registry.object("Contact")
    with app.session(user_id) as s:
        rows = s.conn.execute(sa.select(contacts).where(contacts.c.id.in_(ids))).mappings().all()
        denied = [r["id"] for r in rows if not app.access_policy.record_access(s, obj, dict(r)).read]
    if denied:
        raise SystemExit(f"the filter returned records record_access refuses: {denied[:3]}")


def explain(app: App, user_id: str, order_by: str, who: str) -> None:
    """The query plan of a page (the statement the RecordService really runs)."""
    captured: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if "FROM contact" in statement and "LIMIT" in statement:
            captured.append((statement, parameters))

    sa.event.listen(app.engine, "before_cursor_execute", remember)
    try:
        with app.session(user_id) as s:
            s.query("Contact", order_by=order_by, limit=PAGE)
    finally:
        sa.event.remove(app.engine, "before_cursor_execute", remember)
    statement, parameters = captured[-1]
    prefix = "EXPLAIN QUERY PLAN " if app.engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
    with app.connect() as conn:
        plan = conn.exec_driver_sql(prefix + statement, parameters).all()
    print(f"  plan for the {who} page ordered by {order_by}:")
    for row in plan:
        print("    " + str(row[-1]))


def measure(orgs: dict[int, tuple[App, Org]], order: str, reps: int, rng: random.Random) -> dict:
    """(median wall seconds, median CPU seconds) per (size, who, order), in interleaved rounds.

    Every round times each combination once, in a shuffled order, so a busy
    machine slows all of them alike rather than whichever ran last.
    """
    combos = [(size, who, order) for size in orgs for who in ("mid-level", "admin")]
    times: dict[tuple, list[tuple[float, float]]] = {combo: [] for combo in combos}
    for round_no in range(reps + 1):
        rng.shuffle(combos)
        for size, who, order in combos:
            app, org = orgs[size]
            elapsed, cpu, ids = page_once(app, org.mid_user if who == "mid-level" else org.admin_id, order)
            if round_no == 0:  # warms caches; checks what the filter returned
                if who == "mid-level":
                    check_page(app, org.mid_user, ids)
            else:
                times[(size, who, order)].append((elapsed, cpu))
    return {
        combo: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for combo, values in times.items()
    }


# -- main -----------------------------------------------------------------------------------------------


def open_app(database_url: str | None, workdir: Path, tag: str) -> tuple[App, object]:
    """An app on a fresh SQLite file, or on a throwaway schema of the given PostgreSQL server."""
    if not database_url:
        url = f"sqlite:///{workdir / f'visibility_{tag}.db'}"
        return App(settings_from_dict({"database_url": url, "plugins": []})), None
    schema = f"bench_vis_{tag}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in database_url else "?"
    url = f"{database_url}{separator}options=-csearch_path%3D{schema}"

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

    return App(settings_from_dict({"database_url": url, "plugins": []})), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k and 200k Contacts (under a minute)")
    parser.add_argument("--rows", type=int, help="the smaller size (the larger is 10x); default 100,000")
    parser.add_argument(
        "--reps", type=int, default=31, help="timed rounds by id (the median is kept); a third by -created_at"
    )
    parser.add_argument("--explain", action="store_true", help="print the query plans of the pages")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: a SQLite file)")
    args = parser.parse_args(argv)
    small = args.rows or (20_000 if args.quick else 100_000)
    large = small * 10

    orgs: dict[int, tuple[App, Org]] = {}
    drops = []
    in_process = not args.database_url  # SQLite: the query's CPU time is this process's
    with tempfile.TemporaryDirectory(prefix="mb-bench-") as tmp:
        try:
            for size in (small, large):
                app, drop = open_app(args.database_url, Path(tmp), str(size))
                drops.append((app, drop))
                org = build_org(app)
                if not orgs:
                    print(
                        f"visibility of Contacts (default Private) on {app.engine.dialect.name}: 50 users in 4 role "
                        f"levels, {len(org.groups)} groups, {len(org.queues)} queues, {SHARE_RATE:.0%} of Contacts "
                        f"shared; first page of {PAGE}; median of {args.reps} interleaved rounds",
                        flush=True,
                    )
                started = time.perf_counter()
                grow(app, org, size, random.Random(7))  # same owners and shares, row for row, at both sizes
                print(
                    f"  built an org with {size:,} Contacts in {time.perf_counter() - started:.1f} s",
                    flush=True,
                )
                orgs[size] = (app, org)
            if args.explain:
                for size, (app, org) in orgs.items():
                    print(f"  -- {size:,} Contacts")
                    for order in ORDERS:
                        explain(app, org.mid_user, order, "mid-level")
                        explain(app, org.admin_id, order, "admin")
            # By id first (the figures), then by -created_at, whose full scans would
            # otherwise evict the pages the id-ordered pages read.
            result = measure(orgs, "id", args.reps, random.Random(1))
            result |= measure(orgs, "-created_at", max(3, args.reps // 3), random.Random(2))
        finally:
            for app, drop in drops:
                app.dispose()
                if drop:
                    drop()

    # Wall time is what a user waits for; this process's CPU time is printed beside it because on
    # SQLite the whole query runs in this process, so it shows the work done even on a busy machine.
    for order in ORDERS:
        note = "" if order == "id" else "  (no index on created_at: every visible row is read and sorted)"
        for size in (small, large):
            (user, user_cpu), (admin, admin_cpu) = (
                result[(size, "mid-level", order)],
                result[(size, "admin", order)],
            )
            cpu = (lambda t: f" (cpu {t * 1e3:6.2f})") if in_process else (lambda t: "")
            print(
                f"  {size:>9,} Contacts, order by {order:<11}: mid-level {user * 1e3:7.2f} ms{cpu(user_cpu)}, "
                f"admin {admin * 1e3:7.2f} ms{cpu(admin_cpu)}; {user / admin:.2f}x"
            )
        for kind, i in (("wall", 0), ("cpu", 1))[: 2 if in_process else 1]:
            growth = result[(large, "mid-level", order)][i] / result[(small, "mid-level", order)][i]
            versus = result[(large, "mid-level", order)][i] / result[(large, "admin", order)][i]
            print(
                f"  order by {order}, {kind}: growth {small:,} -> {large:,} = {growth:.2f}x, "
                f"mid-level / admin = {versus:.2f}x{note}"
            )
    growth = result[(large, "mid-level", "id")][0] / result[(small, "mid-level", "id")][0]
    versus = result[(large, "mid-level", "id")][0] / result[(large, "admin", "id")][0]
    print(f"figure: visibility_growth_1m_over_100k = {growth:.2f} (target <= {GROWTH_TARGET:g})")
    print(f"figure: visibility_vs_admin = {versus:.2f} (target <= {ADMIN_TARGET:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
