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
