"""The demo org's Chatter data, as its people see it."""

from __future__ import annotations

from missionbase.core.cli.demo import load_demo
from missionbase.plugins.chatter import feeds, groups, notifications


def test_demo_has_groups_posts_follows_and_mentions_seen_through_security(make_app):
    app = make_app(["chatter"])
    assert "chatter" in load_demo(app, echo=lambda line: None)
    with app.session("ben") as s:
        names = {g["name"] for g in s.query("ChatterGroup").records}
        assert {"All Staff", "Leadership", "Program Updates"} <= names
        mine = feeds.what_i_follow(s).items
        assert any("Housing form" in (p["body"] or "") for p in mine)  # a followed client, mentioning him
        assert any(n["kind"] == "mention" for n in notifications.list_notifications(s).records)
        assert feeds.group_feed(s, "Leadership").items == []  # private, and he is not a member
    with app.session("dina") as s:
        [budget] = feeds.group_feed(s, "Leadership").items
        assert budget["comment_count"] == 1
        assert {m["user.username"] for m in groups.members(s, "Leadership")} == {"maria", "dina"}
    with app.session("sam") as s:
        assert not any(
            "Housing form" in (p["body"] or "")
            for p in feeds.company_feed(s).items
            if p["owner_id"] != s.user.id
        )  # ana's client is not his to read
