"""Objects whose records belong to whoever creates them (``ObjectType(owner_is_creator=True)``):
a user cannot create one for someone else or hand one over; the system can."""

from __future__ import annotations

import types

import pytest

from missionbase.core import PermissionSet, hookimpl
from missionbase.core.errors import ValidationError
from missionbase.core.registry import ObjectType
from missionbase.core.security.sharing import assign_permission_set


def _plugin() -> types.ModuleType:
    module = types.ModuleType("testimonies")

    @hookimpl
    def missionbase_register_objects(registry):
        from missionbase.core import fields as f

        registry.add(
            ObjectType(
                "Testimony",
                prefix="tsm",
                sharing="public_read_write",
                owner_is_creator=True,
                fields=[f.Text("name", max_length=80, required=True)],
            )
        )

    @hookimpl
    def missionbase_register_permission_sets(registry):
        registry.add(PermissionSet("Testimonies", objects={"Testimony": "CRED"}))

    module.missionbase_register_objects = missionbase_register_objects
    module.missionbase_register_permission_sets = missionbase_register_permission_sets
    return module


@pytest.fixture
def org(make_app):
    app = make_app(plugins=["testimonies"], extra_plugins={"testimonies": _plugin()})
    with app.system_session() as s:
        for name in ("ana", "ben"):
            user = s.create("User", {"username": name, "name": name.title()})
            assign_permission_set(s, user["id"], "Testimonies")  # no Read on User: owning needs none
            setattr(app, name, user["id"])
    return app


def test_a_user_cannot_create_or_reassign_a_record_in_someone_elses_name(org):
    with org.session("ana") as s:
        mine = s.create("Testimony", {"name": "Mine"})
        assert mine["owner_id"] == org.ana
        with pytest.raises(ValidationError, match="field 'owner_id': is whoever creates the testimony"):
            s.create("Testimony", {"name": "As Ben", "owner_id": org.ben})
        with pytest.raises(ValidationError, match="owner_id"):
            s.create("Testimony", {"name": "As me, said explicitly", "owner_id": org.ana})
    with org.session("ben") as s:  # public read/write: ben may edit it, but not make it his
        s.update(mine["id"], {"name": "Edited by Ben"})
        with pytest.raises(ValidationError, match="owner_id"):
            s.update(mine["id"], {"owner_id": org.ben})
    with org.session("ana") as s:
        assert s.count("Testimony") == 1 and s.get(mine["id"])["owner_id"] == org.ana


def test_the_system_records_on_someones_behalf(org):
    with org.system_session() as s:
        made = s.create("Testimony", {"name": "Imported", "owner_id": org.ben})
    with org.session("ben") as s:
        assert s.get(made["id"])["owner_id"] == org.ben
