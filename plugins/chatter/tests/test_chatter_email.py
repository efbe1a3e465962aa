"""Emails through a real local SMTP server: immediate, group frequency, digests; and the CLI."""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.core.testing import add_users
from missionbase.plugins.chatter import digests, groups, notifications, posting

from .conftest import CHATTER_SETS


@pytest.fixture
def mail_org(make_app, smtp_server):
    app = make_app(["chatter"], **smtp_server.settings())
    add_users(app, {name: name.title() for name in ("ana", "ben", "cleo")}, CHATTER_SETS)
    app.smtp = smtp_server
    return app


def test_immediate_emails_follow_toggles_and_group_frequency(mail_org):
    app = mail_org
    with app.session("ana") as s:
        groups.create_group(s, "Volunteers")
    with app.session("ben") as s:
        groups.join(s, "Volunteers")
        groups.set_frequency(s, "Volunteers", "Every post")
    with app.session("cleo") as s:
        groups.join(s, "Volunteers")  # default Weekly: nothing now
        s.create("ChatterPreference", {"user": s.user.id, "email_on_mention": False})
    with app.session("ana") as s:
        posting.post(s, groups.find_group(s, "Volunteers")["id"], "Shift tomorrow @[Cleo]")
    assert app.smtp.messages == []  # posted through the API: the job sends it
    assert app.registry.jobs["chatter.send_emails"].run(app) == "sent 1 email(s)"
    [message] = app.smtp.messages
    assert message["To"] == "ben@example.org" and "Shift tomorrow" in message.get_content()
    assert notifications.send_pending_emails(app) == 0  # never twice


def test_digest_once_per_period_and_nothing_for_users_without_news(mail_org):
    app = mail_org
    with app.session("ben") as s:
        s.create("ChatterPreference", {"user": s.user.id, "email_on_comment_on_my_post": False})
        post = posting.post(s, s.user.id, "Anyone free Friday?").record
    with app.session("ana") as s:
        posting.comment(s, post["id"], "Me!")
    notifications.send_pending_emails(app)
    assert app.smtp.messages == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    assert "1 digest email(s) sent" in digests.run_digests(app, "daily", at=later)
    assert "already sent" in digests.run_digests(app, "daily", at=later)
    [digest] = app.smtp.messages
    assert digest["To"] == "ben@example.org" and "Ana commented on your post" in digest.get_content()
    assert "0 digest email(s)" in digests.run_digests(app, "daily", at=later + dt.timedelta(days=1))


def test_cli_post_show_groups_notifications_and_digest_job(mail_org, cli_for):
    cli = cli_for(mail_org)
    assert cli("feed", "groups", "create", "Volunteers", "--as", "ana").exit_code == 0
    assert cli("feed", "groups", "join", "Volunteers", "--as", "ben").exit_code == 0
    posted = cli("feed", "post", "Hello @[Ben]", "--group", "Volunteers", "--as", "ana", "--json")
    assert posted.exit_code == 0, posted.err
    shown = cli("feed", "show", "--group", "Volunteers", "--as", "ben", "--json").json()
    assert [i["id"] for i in shown["items"]] == [posted.json()["id"]]
    listed = cli("notifications", "list", "--as", "ben", "--json").json()
    assert [n["kind"] for n in listed] == ["mention"]
    assert cli("notifications", "read", "--as", "ben").out.strip() == "1 marked read"
    bad = cli("feed", "post", "x" * 3, "--group", "Nope", "--as", "ana")
    assert bad.exit_code != 0 and len(bad.err.strip().splitlines()) == 1 and "Nope" in bad.err
    wrong = cli("jobs", "run", "chatter.digests", "--frequency", "hourly")
    assert wrong.exit_code != 0 and "daily, weekly" in wrong.err
    ran = cli("jobs", "run", "chatter.digests", "--frequency", "weekly")
    assert ran.exit_code == 0 and "Weekly" in ran.out
    tracked = cli("feed", "track", "Contact", "mailing_city")
    assert tracked.exit_code == 0 and "mailing_city" in tracked.out


def test_two_digest_runs_at_once_send_the_period_once(make_app):
    """A second run starting while the first is delivering waits on the first's claim of the
    period, then sends nothing (it finds the period sent, or fails on the claim)."""
    import threading
    import types

    from missionbase.core import hookimpl

    delivered, second = [], {}

    def run_second():
        try:
            second["result"] = digests.run_digests(app, "daily", at=later)
        except Exception as exc:  # refusing the period is what this run should do
            second["result"] = f"refused: {exc}"

    transport = types.ModuleType("slow_transport")

    @hookimpl
    def missionbase_send_emails(settings, emails):
        if not delivered:  # the first delivery: another run starts now and must not send
            racer = threading.Thread(target=run_second)
            racer.start()
            racer.join(timeout=0.5)
            second["thread"] = racer
        delivered.extend(emails)
        return len(emails)

    transport.missionbase_send_emails = missionbase_send_emails
    app = make_app(["chatter", "slow"], extra_plugins={"slow": transport})
    add_users(app, {"ana": "Ana", "ben": "Ben"}, CHATTER_SETS)
    with app.session("ben") as s:
        s.create("ChatterPreference", {"user": s.user.id, "email_on_comment_on_my_post": False})
        post = posting.post(s, s.user.id, "Anyone free Friday?").record
    with app.session("ana") as s:
        posting.comment(s, post["id"], "Me!")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    assert "1 digest email(s) sent" in digests.run_digests(app, "daily", at=later)
    second["thread"].join(timeout=30)
    assert "already sent" in second["result"] or second["result"].startswith("refused")
    assert [e.to for e in delivered] == ["ben@example.org"]
