"""An org with the Chatter plugin and a few staff users."""

from __future__ import annotations

import pytest

from missionbase.core.testing import add_users


def add_staff(app, people: list[tuple[str, str]]) -> dict[str, str]:
    """Chatter users (username, name) with an email address: username -> id."""
    return add_users(
        app,
        {
            username: {
                "name": name,
                "email": f"{username}@example.org",
                "permission_sets": ["Standard User", "Chatter: User"],
            }
            for username, name in people
        },
    )


STAFF = [("ana", "Ana Silva"), ("ben", "Ben Okafor"), ("cleo", "Cleo Martin"), ("vera", "Vera Viewall")]


@pytest.fixture
def org(make_app):
    app = make_app(["chatter"])
    app.users = add_staff(app, STAFF)
    return app
