"""Queued emails (OutboundEmail) and the job that sends them through the SMTP relay."""

from __future__ import annotations

import pytest

from missionbase.core.errors import MissionbaseError


def _queue(app):
    with app.system_session() as s:
        ana = s.create("User", {"username": "ana", "name": "Ana", "email": "ana@example.org"})
        mute = s.create("User", {"username": "mute", "name": "No Address"})
        s.create_many(
            "OutboundEmail",
            [
                {
                    "recipient": ana["id"],
                    "subject": "Call the donor",
                    "body": "Due Monday",
                    "owner_id": ana["id"],
                },
                {"recipient": mute["id"], "subject": "Lost", "owner_id": mute["id"]},
            ],
        )


def test_queued_emails_are_sent_once_and_marked(make_app, smtp_server, cli):
    app = make_app(**smtp_server.settings())
    _queue(app)
    result = app.registry.jobs["core.send_outbound_email"].run(app)
    assert result == "sent 1 email(s); 1 could not be sent"
    assert [(m["To"], m["Subject"], m.get_content().strip()) for m in smtp_server.messages] == [
        ("ana@example.org", "Call the donor", "Due Monday")
    ]
    with app.system_session() as s:
        rows = {m["subject"]: m for m in s.query("OutboundEmail").records}
    assert rows["Call the donor"]["status"] == "Sent" and rows["Call the donor"]["sent_at"] is not None
    assert rows["Lost"]["status"] == "Failed" and "no email address" in rows["Lost"]["error"]
    assert app.registry.jobs["core.send_outbound_email"].run(app) == "sent 0 email(s); 0 could not be sent"
    assert len(smtp_server.messages) == 1


def test_without_a_relay_emails_stay_queued(make_app):
    app = make_app()
    _queue(app)
    assert "2 message(s) stay queued" in app.registry.jobs["core.send_outbound_email"].run(app)
    with app.system_session() as s:
        assert s.count("OutboundEmail", {"status": "Queued"}) == 2


def test_a_user_reads_only_the_emails_queued_to_them(make_app):
    from missionbase.core.security.sharing import assign_permission_set

    app = make_app()
    _queue(app)
    with app.system_session() as s:
        assign_permission_set(s, s.query("User", where={"username": "ana"}).records[0]["id"], "Standard User")
    with app.session("ana") as s:
        assert [m["subject"] for m in s.query("OutboundEmail").records] == ["Call the donor"]


def _transport(delivered: list, refuse_from: str | None = None):
    import types

    from missionbase.core import hookimpl

    module = types.ModuleType("test_transport")

    @hookimpl
    def missionbase_send_emails(settings, emails):
        if refuse_from and any(e.to.endswith(refuse_from) for e in emails):
            raise MissionbaseError(f"provider refused mail to {refuse_from}")
        delivered.extend(emails)
        return len(emails)

    module.missionbase_send_emails = missionbase_send_emails
    return module


def test_a_plugin_transport_delivers_instead_of_the_smtp_relay(make_app, smtp_server):
    delivered: list = []
    app = make_app(
        ["transport"], extra_plugins={"transport": _transport(delivered)}, **smtp_server.settings()
    )
    _queue(app)
    assert app.registry.jobs["core.send_outbound_email"].run(app) == "sent 1 email(s); 1 could not be sent"
    app.send_email("board@example.org", "Minutes", "Attached")
    assert [(e.to, e.subject) for e in delivered] == [
        ("ana@example.org", "Call the donor"),
        ("board@example.org", "Minutes"),
    ]
    assert smtp_server.messages == []  # the relay was never used


def test_a_plugin_transport_works_without_a_relay_and_its_refusal_keeps_the_queue(make_app):
    delivered: list = []
    app = make_app(
        ["transport"], extra_plugins={"transport": _transport(delivered, refuse_from="example.org")}
    )
    assert app.email_configured
    _queue(app)
    with pytest.raises(MissionbaseError, match=r"provider refused mail to example\.org"):
        app.registry.jobs["core.send_outbound_email"].run(app)
    with app.system_session() as s:
        assert s.count("OutboundEmail", {"status": "Queued"}) == 2


def test_emails_carry_accented_text_and_one_line_subjects(make_app, smtp_server):
    app = make_app(**smtp_server.settings())
    app.send_email("zoe@example.org", "Réunion du comité\nlundi", "Café à 9 h.\nÀ bientôt — l'équipe")
    app.send_email("sam@example.org", "Plain subject", "Plain body")
    accented, plain = smtp_server.messages
    assert accented["Subject"] == "Réunion du comité lundi"
    assert accented.get_content().splitlines() == ["Café à 9 h.", "À bientôt — l'équipe"]
    assert (plain["Subject"], plain.get_content().strip(), plain["To"]) == (
        "Plain subject",
        "Plain body",
        "sam@example.org",
    )


@pytest.fixture
def slow_relay():
    """A real SMTP server that takes a little while per message, as relays do, so that runs
    started together overlap while they send."""
    import email
    import email.policy
    import socket
    import time

    from aiosmtpd.controller import Controller

    received: list = []

    class Collect:
        async def handle_DATA(self, server, session, envelope):
            time.sleep(0.002)
            received.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)["Subject"]
            )
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


@pytest.mark.parametrize("runs", [2, 4])
def test_runs_started_together_send_each_email_exactly_once(make_app, cli_for, slow_relay, runs):
    import os
    import subprocess
    import sys

    port, received = slow_relay
    app = make_app(smtp_host="127.0.0.1", smtp_port=port, mail_from="org@example.org")
    with app.system_session() as s:
        ana = s.create("User", {"username": "ana", "name": "Ana", "email": "ana@example.org"})
        s.create_many(
            "OutboundEmail",
            [{"recipient": ana["id"], "subject": f"message {i}", "owner_id": ana["id"]} for i in range(1200)],
        )
    cli_for(app)  # a missionbase.toml for this org in the working directory
    command = [sys.executable, "-m", "missionbase.core.cli", "jobs", "run", "core.send_outbound_email"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISSIONBASE_")}
    started = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(runs)
    ]
    outcomes = [process.communicate(timeout=240) for process in started]
    assert [process.returncode for process in started] == [0] * runs, outcomes
    assert len(received) == 1200 and len(set(received)) == 1200  # none twice, none missing
    with app.system_session() as s:
        assert s.count("OutboundEmail", {"status": "Sent"}) == 1200


def test_a_claimed_row_is_never_handed_to_a_second_claimer(make_app):
    """``query(..., claim=True)``: rows one transaction claimed are not another's, whether the
    database skips them (PostgreSQL) or makes the second writer wait (SQLite)."""
    import threading
    import time

    app = make_app()
    with app.system_session() as s:
        ana = s.create("User", {"username": "ana", "name": "Ana", "email": "ana@example.org"})
        s.create_many(
            "OutboundEmail",
            [{"recipient": ana["id"], "subject": f"m{i}", "owner_id": ana["id"]} for i in range(5)],
        )
    second: list[str] = []

    def claim_the_rest():
        with app.system_session() as s:
            got = s.query("OutboundEmail", where={"status": "Queued"}, order_by="subject", claim=True).records
            second.extend(m["subject"] for m in got)
            s.update_many([{"id": m["id"], "status": "Sent"} for m in got])

    with app.system_session() as s:
        first = s.query(
            "OutboundEmail", where={"status": "Queued"}, order_by="subject", limit=3, claim=True
        ).records
        other = threading.Thread(target=claim_the_rest)
        other.start()
        time.sleep(0.5)  # the other claimer is now running or waiting: it must not get these
        s.update_many([{"id": m["id"], "status": "Sent"} for m in first])
    other.join(timeout=30)
    assert [m["subject"] for m in first] == ["m0", "m1", "m2"]
    assert sorted(second) == ["m3", "m4"]
