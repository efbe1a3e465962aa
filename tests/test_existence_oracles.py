"""A user who cannot read a record learns nothing about it, not even that it exists."""

from __future__ import annotations

import types

import pytest

from missionbase.core import ObjectType, PermissionSet, hookimpl
from missionbase.core import fields as f
from missionbase.core.errors import RecordNotFound, ValidationError
from missionbase.core.security.sharing import assign_permission_set


def _badge_plugin() -> types.ModuleType:
    plugin = types.ModuleType("badges")

    @hookimpl
    def missionbase_register_objects(registry):
        registry.add(
            ObjectType(
                "Badge", prefix="bdg", sharing="private", fields=[f.Text("name"), f.Text("code", unique=True)]
            )
        )

    @hookimpl
    def missionbase_register_permission_sets(registry):
        registry.add(PermissionSet("Badges", objects={"Badge": "CRED"}))

    plugin.missionbase_register_objects = missionbase_register_objects
    plugin.missionbase_register_permission_sets = missionbase_register_permission_sets
    return plugin


BADGES = _badge_plugin()
NO_SUCH_BADGE = "bdg_01JAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def org(make_app):
    app = make_app(plugins=["badges"], extra_plugins={"badges": BADGES})
    with app.system_session() as s:
        for username in ("ana", "ben"):
            user = s.create("User", {"username": username, "name": username.title()})
            assign_permission_set(s, user["id"], "Badges")
    return app


def _message(error: Exception, record_id: str) -> str:
    return str(error).replace(record_id, "<id>")


def test_a_unique_clash_names_the_record_only_to_someone_who_can_read_it(org):
    with org.session("ana") as s:
        anas = s.create("Badge", {"name": "Ana's", "code": "A-1"})["id"]
    with org.session("ana") as s, pytest.raises(ValidationError) as own:
        s.create("Badge", {"code": "A-1"})
    assert anas in str(own.value)
    with org.session("ben") as s, pytest.raises(ValidationError) as other:
        s.create("Badge", {"code": "A-1"})
    assert anas not in str(other.value) and "'A-1' already exists; it must be unique" in str(other.value)


def test_undelete_of_a_record_one_cannot_read_answers_as_for_no_record(org):
    with org.session("ana") as s:
        live = s.create("Badge", {"name": "live"})["id"]
        gone = s.create("Badge", {"name": "gone"})["id"]
        s.delete(gone)
    answers = []
    for record_id in (live, gone, NO_SUCH_BADGE):
        with org.session("ben") as s, pytest.raises(RecordNotFound) as raised:
            s.undelete(record_id)
        answers.append(_message(raised.value, record_id))
    assert len(set(answers)) == 1
    with org.session("ana") as s, pytest.raises(ValidationError, match="is not deleted"):
        s.undelete(live)


def test_get_and_history_answer_as_for_no_record(org):
    from missionbase.core.history import field_history

    with org.session("ana") as s:
        anas = s.create("Badge", {"name": "private"})["id"]
    answers = []
    for record_id in (anas, NO_SUCH_BADGE):
        for read in (lambda s, i: s.get(i), field_history):
            with org.session("ben") as s, pytest.raises(RecordNotFound) as raised:
                read(s, record_id)
            answers.append(_message(raised.value, record_id))
    assert answers[0] == answers[2] and answers[1] == answers[3]
