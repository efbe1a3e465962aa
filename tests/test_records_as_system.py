"""RecordService.as_system(): the system context inside the caller's transaction."""

from __future__ import annotations

import pytest

from missionbase.core.errors import ValidationError
from missionbase.core.security.sharing import assign_permission_set


def test_as_system_writes_read_only_fields_in_the_callers_transaction(app):
    with app.system_session() as s:
        user = s.create("User", {"username": "rita", "name": "Rita"})
        assign_permission_set(s, user["id"], "Standard User")
    with pytest.raises(ValidationError), app.session("rita") as s:
        stored = s.create("File", {"name": "scan.pdf"})
        s.as_system().update(stored["id"], {}, computed={"size": 42})
        assert s.get(stored["id"])["size"] == 42
        assert s.as_system().user.is_system and not s.user.is_system
        raise ValidationError("the caller fails afterwards")
    with app.system_session() as s:
        # Rolled back with the caller's own write: nothing was left behind.
        assert s.count("File") == 0


def test_the_record_service_runs_under_the_minimal_access_policy(make_app):
    """The access seam: with core's AdminSeesAll policy (no record security layer) a user
    reads everything, by query and by id, a controlled-by-parent Note included."""
    from missionbase.core.security import AdminSeesAll

    app = make_app()
    app.access_policy = AdminSeesAll()
    with app.system_session() as s:
        s.create("User", {"username": "ana", "name": "Ana"})
        contact = s.create("Contact", {"last_name": "Lee"})
        note = s.create("Note", {"title": "Met", "parent": contact["id"]})
    with app.session("ana") as s:
        assert set(s.get_many([contact["id"], note["id"]])) == {contact["id"], note["id"]}
        assert s.count("Note") == 1 and s.get(note["id"])["title"] == "Met"
