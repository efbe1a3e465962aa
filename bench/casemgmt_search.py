"""Client search: p95 of 20 typical queries as the org grows, against a LIKE scan.

For each size (full run: 100,000 and 1,000,000 contacts; ``--quick``: 10,000
and 100,000) the bench loads an org directly with SQL (not timed): clients
with names drawn from a few thousand generated first and last names, an
email, a phone, a city, a street, a client ID; owned by 10 caseworkers
(Contact sharing Private). The search index is built with the plugin's
rebuild (not timed). Then, timed, as one caseworker (so sharing is in every
query): the 20 typical queries (name prefixes as typed, full names, a
client ID, an email, a city, a phone fragment), 3 rounds each, through
``search_clients``; p95 of those 60 timings.

The baseline, measured in the same run at the large size: the same 20
queries as a ``LIKE '%text%'`` scan over every text column of Contact
(``contains`` on each, ORed, through the same RecordService and sharing).

    .venv/bin/python bench/casemgmt_search.py [--quick]

Ends with ``figure: search_growth_1m_over_100k = <p95 large / p95 small> (target <= 2)`` and
``figure: search_speedup_vs_like = <LIKE p95 / search p95 at the large size> (target >= 50)``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from fixtures import insert_rows

from missionbase.core.app import App, init_org
from missionbase.core.config import settings_from_dict
from missionbase.core.security.sharing import assign_permission_set

GROWTH_TARGET = 2.0
SPEEDUP_TARGET = 50.0
WORKERS = 10
ROUNDS = 3
SYLLABLES = [
    "ca",
    "ro",
    "li",
    "na",
    "ma",
    "ri",
    "to",
    "be",
    "la",
    "mo",
    "du",
    "ne",
    "sa",
    "vi",
    "po",
    "le",
    "an",
    "el",
    "or",
    "is",
    "ju",
    "ka",
    "fe",
    "go",
    "hu",
    "ze",
    "qui",
    "bro",
    "tra",
    "mar",
    "car",
    "sel",
]
CITIES = [
    "Lyon",
    "Marseille",
    "Lille",
    "Nantes",
    "Bordeaux",
    "Carpentras",
    "Toulouse",
    "Rennes",
    "Nice",
    "Metz",
    "Brest",
    "Dijon",
    "Angers",
    "Nimes",
    "Reims",
    "Tours",
    "Caen",
    "Pau",
    "Vannes",
    "Albi",
]


def words(rng: random.Random, count: int, parts: int) -> list[str]:
    out = set()
    while len(out) < count:
        out.add("".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize())
    return sorted(out)


def build(workdir: Path, contacts: int) -> tuple[App, list[dict]]:
    app = App(
        settings_from_dict(
            {
                "database_url": f"sqlite:///{workdir / f'search_{contacts}.db'}",
                "plugins": ["pmm", "casemgmt"],
                "files_dir": str(workdir / "files"),
            }
        )
    )
    init_org(app)
    rng = random.Random(2026)
    firsts, lasts = words(rng, 2000, 3), words(rng, 8000, 3)
    with app.system_session() as s:
        workers = []
        for n in range(WORKERS):
            user = s.create("User", {"username": f"cw{n}", "name": f"Caseworker {n}"})
            for permset in ("Standard User", "Case Management: Caseworker"):
                assign_permission_set(s, user["id"], permset)
            workers.append(user["id"])
    rows = []
    for i in range(contacts):
        first, last = rng.choice(firsts), rng.choice(lasts)
        rows.append(
            {
                "first_name": first,
                "last_name": last,
                "name": f"{first} {last}",
                "is_client": i % 10 != 9,
                "client_id": f"2025-{i + 1:07d}",
                "email": f"{first.lower()}.{last.lower()}{i}@example.org",
                "phone": f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {i % 100:02d}",
                "mailing_city": rng.choice(CITIES),
                "mailing_street": f"{rng.randint(1, 200)} rue {rng.choice(lasts)}",
                "pronouns": rng.choice(["she/her", "he/him", "they/them", None]),
                "roles": "Client",
            }
        )
    with app.connect() as conn, conn.begin():
        insert_rows(conn, app.schema, "Contact", rows, "con", workers)
    from missionbase.plugins.casemgmt.search import rebuild_index

    with app.system_session() as s:
        rebuild_index(s)
    # The searching caseworker's own clients: what the typical queries look for.
    mine = [r for n, r in enumerate(rows) if n % WORKERS == 0 and r["is_client"]]
    return app, mine


def typical_queries(mine: list[dict]) -> list[str]:
    rng = random.Random(7)
    picks = [mine[rng.randrange(len(mine))] for _ in range(20)]
    queries = []
    for n, row in enumerate(picks):
        kind = n % 10
        if kind in (0, 1, 2):
            queries.append(row["first_name"][: 3 + kind].lower())  # as the caseworker types
        elif kind == 3:
            queries.append(row["last_name"][:4].lower())
        elif kind in (4, 5):
            queries.append(f"{row['first_name']} {row['last_name']}")
        elif kind == 6:
            queries.append(row["client_id"])
        elif kind == 7:
            queries.append(row["email"])
        elif kind == 8:
            queries.append(row["mailing_city"][:5])
        else:
            queries.append(row["last_name"] + " " + row["mailing_city"][:3])
    return queries


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def time_search(app: App, queries: list[str]) -> list[float]:
    from missionbase.plugins.casemgmt.search import search_clients

    timings = []
    with app.session("cw0") as s:
        search_clients(s, "warm up")
        for _ in range(ROUNDS):
            for query in queries:
                started = time.perf_counter()
                found = search_clients(s, query, limit=20)
                timings.append(time.perf_counter() - started)
                assert found or query.startswith("zz"), query
    return timings


def time_like(app: App, queries: list[str]) -> list[float]:
    """Every word must be contained in some text column (the search's rule, done with LIKE)."""
    from missionbase.plugins.casemgmt.search import indexed_fields

    timings = []
    with app.session("cw0") as s:
        fields = indexed_fields(s.object("Contact"))
        for query in queries:
            where = {
                "and": [
                    {"is_client": True},
                    *[{"or": [{n: {"contains": w}} for n in fields]} for w in query.split()],
                ]
            }
            started = time.perf_counter()
            s.query("Contact", where, fields=["name", "client_id"], order_by="name", limit=20)
            timings.append(time.perf_counter() - started)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k contacts (about a minute)")
    args = parser.parse_args(argv)
    sizes = [10_000, 100_000] if args.quick else [100_000, 1_000_000]
    results = {}
    with tempfile.TemporaryDirectory(prefix="mb-bench-") as tmp:
        for contacts in sizes:
            started = time.perf_counter()
            app, mine = build(Path(tmp), contacts)
            built = time.perf_counter() - started
            queries = typical_queries(mine)
            timings = time_search(app, queries)
            results[contacts] = {"p95": p95(timings), "median": statistics.median(timings)}
            print(
                f"{contacts:>9,} contacts (built in {built:.0f} s): search p95 {results[contacts]['p95'] * 1000:7.2f} ms, "
                f"median {results[contacts]['median'] * 1000:6.2f} ms",
                flush=True,
            )
            if contacts == sizes[-1]:
                like = time_like(app, queries)
                results["like"] = {"p95": p95(like), "median": statistics.median(like)}
                print(
                    f"{contacts:>9,} contacts: LIKE scan p95 {results['like']['p95'] * 1000:9.1f} ms, "
                    f"median {results['like']['median'] * 1000:8.1f} ms",
                    flush=True,
                )
            app.dispose()
    small, large = results[sizes[0]], results[sizes[-1]]
    growth = large["p95"] / small["p95"]
    speedup = results["like"]["p95"] / large["p95"]
    print(f"queries: {', '.join(queries)}")
    print(f"figure: search_growth_1m_over_100k = {growth:.2f} (target <= {GROWTH_TARGET:g})")
    print(f"figure: search_speedup_vs_like = {speedup:.1f} (target >= {SPEEDUP_TARGET:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
