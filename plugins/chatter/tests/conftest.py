"""An org with the Chatter plugin and a few staff users."""

from __future__ import annotations

import pytest

from missionbase.core.testing import add_users

# username -> full name; each gets username@example.org and these permission sets
CHATTER_SETS = ("Standard User", "Chatter: User")
STAFF = {"ana": "Ana Silva", "ben": "Ben Okafor", "cleo": "Cleo Martin", "vera": "Vera Viewall"}


@pytest.fixture
def org(make_app):
    app = make_app(["chatter"])
    app.users = add_users(app, STAFF, CHATTER_SETS)
    return app
