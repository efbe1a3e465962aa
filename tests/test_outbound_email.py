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
