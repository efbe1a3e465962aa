"""Chatter: the daily digest job for many users in one pass.

    python bench/chatter_digest.py [--quick]

USERS users (10k, or 1k with --quick) each have NOTICES unread notifications
routed to the daily digest: posts in a public group (readable by all), posts
on contacts (Contact is Private here: each user can read only the one they
own) and one on another user's contact, which core security must leave out
of the digest. Setup is bulk-loaded with executemany (not what is measured);
the measured run is the real job (``digests.run_digests``): one query for every
pending item, access re-checked as each recipient, one SMTP connection to a
local aiosmtpd server that only counts messages, the notifications marked
emailed and the period recorded. Prints users/s and checks the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import tempfile
import time

import sqlalchemy as sa
from fixtures import insert_rows

from missionbase.core.app import App, init_org
from missionbase.core.config import settings_from_dict

NOTICES = 3


class Count:
    def __init__(self) -> None:
        self.messages = 0
        self.leaked = 0  # digests listing a post their recipient cannot read

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages += 1
        self.leaked += b"Ana mentioned you" in envelope.content
        return "250 OK"


def load(app, users: int, admin: str, at: dt.datetime) -> list[str]:
    """Users with permission sets, a public group, contacts, posts and digest notifications."""
    schema = app.schema
    with app.engine.begin() as conn:
        user_ids = insert_rows(
            conn,
            schema,
            "User",
            [
                {
                    "username": f"u{i}",
                    "name": f"User {i}",
                    "email": f"u{i}@example.org",
                    "time_zone": "UTC",
                    "is_active": True,
                }
                for i in range(users)
            ],
            "usr",
            owners=[admin],
        )
        assignments = schema.internal["permset_assignment"]
        conn.execute(
            assignments.insert(),
            [
                {"user_id": uid, "permset": p, "assigned_at": at, "assigned_by": admin}
                for uid in user_ids
                for p in ("Standard User", "Chatter: User")
            ],
        )
        [group_id] = insert_rows(
            conn,
            schema,
            "ChatterGroup",
            [
                {
                    "name": "All staff",
                    "visibility": "Public",
                    "is_broadcast": False,
                    "is_archived": False,
                    "member_count": 0,
                }
            ],
            "cgr",
            owners=[admin],
        )
        contact_ids = insert_rows(
            conn,
            schema,
            "Contact",
            [  # each user owns one client
                {"last_name": f"Client {i}", "name": f"Client {i}", "owner_id": uid}
                for i, uid in enumerate(user_ids)
            ],
            "con",
        )
        post = {
            "type": "Text",
            "body": "Update",
            "last_activity_at": at,
            "comment_count": 0,
            "like_count": 0,
            "revision": 0,
        }
        group_posts = insert_rows(
            conn, schema, "FeedItem", [{**post, "parent": group_id}] * 10, "fdi", owners=[admin]
        )
        contact_posts = insert_rows(
            conn, schema, "FeedItem", [{**post, "parent": c} for c in contact_ids], "fdi", owners=[admin]
        )
        notices = []
        for i, uid in enumerate(user_ids):
            for post_id, message in (
                (group_posts[i % 10], "Ana posted in All staff"),
                (contact_posts[i], "Ana commented on your client"),
                (contact_posts[(i + 1) % users], "Ana mentioned you"),
            ):  # not readable by uid
                notices.append(
                    {
                        "owner_id": uid,
                        "kind": "mention",
                        "message": message,
                        "post": post_id,
                        "show_in_app": True,
                        "is_read": False,
                        "email": "Daily",
                    }
                )
        insert_rows(conn, schema, "ChatterNotification", notices, "ntf")
    return user_ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    users = 1_000 if args.quick else 10_000
    from aiosmtpd.controller import Controller

    handler = Count()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = os.environ.get("MISSIONBASE_BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        app = App(
            settings_from_dict(
                {
                    "database_url": url,
                    "plugins": ["chatter"],
                    "smtp_host": "127.0.0.1",
                    "smtp_port": port,
                    "mail_from": "org@example.org",
                }
            )
        )
        admin = init_org(app)
        at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        load(app, users, admin, at)
        from missionbase.plugins.chatter import digests

        start = time.perf_counter()
        outcome = digests.run_digests(app, "daily")
        elapsed = time.perf_counter() - start
        assert f"{users} digest email(s) sent" in outcome, outcome
        assert handler.messages == users and handler.leaked == 0, (handler.messages, handler.leaked)
        with app.engine.connect() as conn:
            table = app.schema.table("ChatterNotification")
            pending = conn.execute(
                sa.select(sa.func.count()).where(table.c.emailed_at.is_(None))
            ).scalar_one()
        assert pending == 0
        again = digests.run_digests(app, "daily")
        assert "already sent" in again
    finally:
        controller.stop()
    label = "digest_users_per_s" + (" (quick: 1k users)" if args.quick else " (10k users)")
    print(f"{users:,} users, {users * NOTICES:,} notifications: {elapsed:.2f} s ({outcome})", flush=True)
    print(f"figure: {label} = {users / elapsed:.0f}")


if __name__ == "__main__":
    main()
