"""An org with the Chatter plugin and a few staff users."""

from __future__ import annotations

import pytest

from missionbase.core.security.sharing import assign_permission_set


def add_users(app, people: list[tuple[str, str]], sets=("Standard User", "Chatter: User")) -> dict[str, str]:
    """Users (username, name) with an email address and the given permission sets: username -> id."""
    ids = {}
    with app.system_session() as s:
        for username, name in people:
            user = s.create("User", {"username": username, "name": name, "email": f"{username}@example.org"})
            for permset in sets:
                assign_permission_set(s, user["id"], permset)
            ids[username] = user["id"]
    return ids


STAFF = [("ana", "Ana Silva"), ("ben", "Ben Okafor"), ("cleo", "Cleo Martin"), ("vera", "Vera Viewall")]


@pytest.fixture
def org(make_app):
    app = make_app(["chatter"])
    app.users = add_users(app, STAFF)
    return app
