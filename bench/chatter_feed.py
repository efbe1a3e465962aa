"""Chatter: What I Follow's first page as the feed table grows, and the digest job.

    python bench/chatter_feed.py [--quick]

A reader follows 500 contacts and belongs to 20 groups in an org whose
contacts and groups stay the same while the feed's history grows (SMALL,
then LARGE items: 100k -> 1M, or 10k -> 100k with --quick). Feed rows are
bulk-loaded with executemany (setting up history is not what is measured);
the first page is read through the plugin's real ``what_i_follow`` as the
reader, i.e. with core security deciding visibility. Baseline in the same run:
a plain indexed query of the 20 newest items of one record's feed. Both are
timed the same way: a fresh session as the reader, including loading the
reader's access (the org graph and permission sets), then the call.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time

import sqlalchemy as sa
from fixtures import insert_rows

from missionbase.core.app import App, init_org
from missionbase.core.config import settings_from_dict
from missionbase.core.security.sharing import assign_permission_set, set_sharing_default

CONTACTS, GROUPS, FOLLOWED, MEMBER_OF = 5000, 60, 500, 20


def timed(*fns, rounds=15, block=6) -> list[float]:
    """Median seconds of each function, measured in alternating blocks (a x6, b x6, a x6, ...,
    the first call of a block not counted): a passing load on the machine weighs on every figure
    alike, and no function is timed right behind another's different work."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for fn, times in zip(fns, samples, strict=True):
            fn()
            for _ in range(block - 1):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
    return [statistics.median(times) for times in samples]


def load_items(app, parents, count, start_at, admin):
    """``count`` text posts one second apart from ``start_at``, on random ``parents``."""
    rng = random.Random(count)
    rows = [
        {
            "parent": rng.choice(parents),
            "type": "Text",
            "body": "update",
            "comment_count": 0,
            "like_count": 0,
            "revision": 0,
            "last_activity_at": start_at + dt.timedelta(seconds=i),
        }
        for i in range(count)
    ]
    with app.engine.begin() as conn:
        insert_rows(conn, app.schema, "FeedItem", rows, "fdi", owners=[admin])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    small, large = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    url = os.environ.get("MISSIONBASE_BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = App(settings_from_dict({"database_url": url, "plugins": ["chatter"]}))
    admin = init_org(app)
    from missionbase.plugins.chatter import feeds

    with app.system_session() as s:
        set_sharing_default(s, "Contact", "public_read")
        reader = s.create("User", {"username": "reader", "name": "Reader"})["id"]
        for permset in ("Standard User", "Chatter: User"):
            assign_permission_set(s, reader, permset)
        contacts = [
            c["id"] for c in s.create_many("Contact", [{"last_name": f"C{i}"} for i in range(CONTACTS)])
        ]
        groups = [g["id"] for g in s.create_many("ChatterGroup", [{"name": f"G{i}"} for i in range(GROUPS)])]
        s.create_many("ChatterGroupMember", [{"group": g, "user": reader} for g in groups[:MEMBER_OF]])
        s.create_many("Follow", [{"target": c, "owner_id": reader} for c in contacts[:FOLLOWED]])
    parents = contacts + groups
    base = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    load_items(app, parents, small, base, admin)

    def first_page():
        with app.session("reader") as s:
            page = feeds.what_i_follow(s, limit=20)
            assert len(page.items) == 20

    def single_record():
        # Measured the same way as the feed: a session as the reader, whose access core loads
        # (the feed's readable checks need it), then the plain indexed query of one record's feed.
        table = app.schema.table("FeedItem")
        with app.session("reader") as s:
            s.policy.access(s)
            rows = s.conn.execute(
                sa.select(table.c.id)
                .where(table.c.parent == contacts[0], table.c.is_deleted == sa.false())
                .order_by(table.c.last_activity_at.desc(), table.c.id.desc())
                .limit(20)
            ).all()
            assert rows

    t_small, t_single_small = timed(first_page, single_record)
    load_items(app, parents, large - small, base + dt.timedelta(days=30), admin)
    t_large, t_single = timed(first_page, single_record)
    print(
        f"items {small:,}: first page {t_small * 1000:.1f} ms; {large:,}: {t_large * 1000:.1f} ms; "
        f"single-record baseline {t_single_small * 1000:.2f} ms, {t_single * 1000:.2f} ms "
        f"(medians of 75, in alternating blocks)",
        file=sys.stderr,
    )
    label = (
        "feed_growth_1m_over_100k" if not args.quick else "feed_growth_1m_over_100k (quick: 100k over 10k)"
    )
    print(f"figure: {label} = {t_large / t_small:.2f} (target <= 2)")
    print(f"figure: feed_vs_single_record = {t_large / t_single:.2f} (target <= 3)")


if __name__ == "__main__":
    main()
