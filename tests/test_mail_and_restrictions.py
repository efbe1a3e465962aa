"""Core: the SMTP mailer, Restriction rules (narrowing access over every grant) and job options."""

from __future__ import annotations

import types

import pytest

from missionbase.core import Job, ObjectType, PermissionSet, Restriction, hookimpl
from missionbase.core import fields as f
from missionbase.core.errors import ConfigError, MissionbaseError, RecordNotFound
from missionbase.core.security.sharing import assign_permission_set


def test_send_email_goes_through_the_smtp_relay(make_app, smtp_server):
    app = make_app(**smtp_server.settings())
    app.send_email("ana@example.org", "Hello", "Body text")
    [message] = smtp_server.messages
    assert message["To"] == "ana@example.org" and message["Subject"] == "Hello"
    assert message["From"] == "org@example.org"
    assert message.get_content().strip() == "Body text"


def test_send_email_without_relay_or_with_unreachable_relay_is_one_clear_error(make_app):
    with pytest.raises(ConfigError, match="smtp_host"):
        make_app().send_email("a@example.org", "s", "b")
    with pytest.raises(MissionbaseError, match=r"cannot send email through SMTP relay 127\.0\.0\.1:1"):
        make_app(smtp_host="127.0.0.1", smtp_port=1).send_email("a@example.org", "s", "b")


def _team_plugin():
    module = types.ModuleType("teams")
    team = ObjectType("Team", prefix="tea", sharing="public_read", fields=[f.Text("name")])
    member = ObjectType(
        "TeamMember",
        prefix="tem",
        sharing="public_read",
        name_field=None,
        fields=[
            f.Lookup("team", "Team", required=True, on_delete="cascade"),
            f.Lookup("user", "User", required=True, on_delete="cascade"),
        ],
    )
    secret = ObjectType(
        "Secret",
        prefix="sec",
        sharing="public_read",
        fields=[f.Text("name"), f.Text("team_only", max_length=40)],
        restrictions=[Restriction("team_only", ("TeamMember", "team", "user"), exempt="see_team_secrets")],
    )

    @hookimpl
    def missionbase_register_objects(registry):
        for obj in (team, member, secret):
            registry.add(obj)

    @hookimpl
    def missionbase_register_permission_sets(registry):
        registry.add(PermissionSet("Teams", objects={"Team": "CRED", "TeamMember": "CRED", "Secret": "CRED"}))
        registry.add(PermissionSet("Team Auditor", system=["see_team_secrets"]))

    @hookimpl
    def missionbase_register_jobs(registry):
        registry.add(
            Job(
                "teams.count",
                run=lambda app, size="small": f"size={size}",
                options={"size": ("small", "large")},
            )
        )

    module.missionbase_register_objects = missionbase_register_objects
    module.missionbase_register_permission_sets = missionbase_register_permission_sets
    module.missionbase_register_jobs = missionbase_register_jobs
    return module


def test_restriction_hides_rows_from_non_members_even_with_view_all_data(make_app):
    app = make_app(["teams"], extra_plugins={"teams": _team_plugin()})
    with app.system_session() as s:
        ids = {}
        for name, sets in [
            ("mia", ["Teams"]),
            ("olu", ["Teams", "System Administrator"]),
            ("pat", ["Teams", "Team Auditor"]),
        ]:
            ids[name] = s.create("User", {"username": name, "name": name})["id"]
            for permset in sets:
                assign_permission_set(s, ids[name], permset)
        team = s.create("Team", {"name": "Intake"})
        s.create("TeamMember", {"team": team["id"], "user": ids["mia"]})
        hidden = s.create("Secret", {"name": "case notes", "team_only": team["id"]})
        open_ = s.create("Secret", {"name": "menu"})
    for user, expected in [
        ("mia", {"case notes", "menu"}),
        ("olu", {"menu"}),
        ("pat", {"case notes", "menu"}),
    ]:
        with app.session(user) as s:
            assert {r["name"] for r in s.query("Secret").records} == expected, user
            assert s.count("Secret") == len(expected)
    with app.session("olu") as s:
        with pytest.raises(RecordNotFound):
            s.get(hidden["id"])
        decision = app.access_policy.record_access(s, s.object("Secret"), {**hidden, "owner_id": ids["olu"]})
        assert not decision.read and any("restricted by team_only" in r for r in decision.reasons)
        assert s.get(open_["id"])["name"] == "menu"
