"""An org with the Chatter plugin and a few staff users."""

from __future__ import annotations

import pytest

from missionbase.core.security.sharing import assign_permission_set


@pytest.fixture
def org(make_app):
    app = make_app(["chatter"])
    users = {}
    with app.system_session() as s:
        for username, name, sets in [
            ("ana", "Ana Silva", ["Standard User", "Chatter: User"]),
            ("ben", "Ben Okafor", ["Standard User", "Chatter: User"]),
            ("cleo", "Cleo Martin", ["Standard User", "Chatter: User"]),
            ("vera", "Vera Viewall", ["Standard User", "Chatter: User"]),
        ]:
            user = s.create("User", {"username": username, "name": name, "email": f"{username}@example.org"})
            for permset in sets:
                assign_permission_set(s, user["id"], permset)
            users[username] = user["id"]
    app.users = users
    return app
