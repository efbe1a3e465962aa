"""Who sees which post: decided by core security (record access, FLS, restrictions)."""

from __future__ import annotations

import pytest

from missionbase.core import (
    Grantee,
    PermissionSet,
    RecordNotFound,
    UnknownName,
    assign_permission_set,
    share_record,
)
from missionbase.core.testing import permission_sets_plugin
from missionbase.plugins.chatter import feeds, follows, groups, posting, tracking


def ids(page):
    return [item["id"] for item in page.items]


def test_record_feed_follows_record_access(org):
    with org.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Figueroa"})
        post = posting.post(s, contact["id"], "Donated again").record
    with org.session("ben") as s:
        with pytest.raises(RecordNotFound):
            feeds.record_feed(s, contact["id"])
        assert post["id"] not in ids(feeds.company_feed(s))
        with pytest.raises(RecordNotFound):
            s.get(post["id"])
    with org.session("ana") as s:
        share_record(s, contact["id"], Grantee("user", org.users["ben"], "ben"), "read")
    with org.session("ben") as s:
        assert ids(feeds.record_feed(s, contact["id"])) == [post["id"]]


def test_private_group_posts_only_for_members_and_view_all_data(org):
    with org.system_session() as s:
        assign_permission_set(s, org.users["vera"], "System Administrator")
    with org.session("ana") as s:
        groups.create_group(s, "Board", visibility="Private")
        post = posting.post(s, groups.find_group(s, "Board")["id"], "Budget draft").record
    with org.session("ben") as s:
        assert groups.find_group(s, "Board")["visibility"] == "Private"  # the group itself is listed
        assert ids(feeds.group_feed(s, "Board")) == []
        assert post["id"] not in ids(feeds.company_feed(s))
    with org.session("vera") as s:
        assert ids(feeds.group_feed(s, "Board")) == [post["id"]]


def test_unlisted_group_hidden_even_from_view_all_data_but_not_manage_unlisted(org):
    with org.system_session() as s:
        assign_permission_set(s, org.users["vera"], "System Administrator")
        assign_permission_set(s, org.users["cleo"], "Chatter: Manage Unlisted Groups")
    with org.session("ana") as s:
        groups.create_group(s, "Crisis team", visibility="Unlisted")
        post = posting.post(s, groups.find_group(s, "Crisis team")["id"], "Hotline numbers").record
    with org.session("vera") as s:
        with pytest.raises(UnknownName):
            groups.find_group(s, "Crisis team")
        assert "Crisis team" not in [g["name"] for g in s.query("ChatterGroup").records]
        assert post["id"] not in ids(feeds.company_feed(s))
    with org.session("cleo") as s:
        assert ids(feeds.group_feed(s, "Crisis team")) == [post["id"]]
    from missionbase.core.search import search

    for user, found in (("vera", False), ("ben", False), ("cleo", True), ("ana", True)):
        with org.session(user) as s:  # core search runs through the same read rule
            assert any(r["name"] == "Crisis team" for r in search(s, "crisis")) is found, user


def test_a_groups_existing_posts_follow_its_new_visibility(org):
    with org.system_session() as s:
        assign_permission_set(s, org.users["vera"], "System Administrator")
    with org.session("ana") as s:
        group = groups.create_group(s, "Crisis team", visibility="Unlisted")
        post = posting.post(s, group["id"], "Hotline numbers").record
        s.update(group["id"], {"visibility": "Private"})
    with org.session("vera") as s:  # private: view_all_data reads it now, ben still does not
        assert ids(feeds.group_feed(s, "Crisis team")) == [post["id"]]
    with org.session("ben") as s:
        assert ids(feeds.group_feed(s, "Crisis team")) == []
    with org.session("ana") as s:
        s.update(group["id"], {"visibility": "Public"})
    with org.session("ben") as s:
        assert ids(feeds.group_feed(s, "Crisis team")) == [post["id"]]
        assert post["id"] in ids(feeds.company_feed(s))
    with org.session("ana") as s:
        s.update(group["id"], {"visibility": "Unlisted"})
    with org.session("vera") as s:
        assert post["id"] not in ids(feeds.company_feed(s))


def _limited_plugin():
    return permission_sets_plugin(
        "limited",
        PermissionSet("No Birthdates", objects={"Contact": "R"}, fields={"Contact.birthdate": "hidden"}),
    )


def test_tracked_change_rows_follow_field_level_security(make_app):
    app = make_app(["chatter", "limited"], extra_plugins={"limited": _limited_plugin()})
    with app.system_session() as s:
        for name, sets in [
            ("ana", ["Standard User", "Chatter: User"]),
            ("dan", ["No Birthdates", "Chatter: User"]),
        ]:
            uid = s.create("User", {"username": name, "name": name})["id"]
            for permset in sets:
                assign_permission_set(s, uid, permset)
        tracking.set_tracked_fields(s, "Contact", ["birthdate", "mailing_city"])
    with app.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Lee"})
        share_record(s, contact["id"], Grantee("user", s.app.resolve_user(s.conn, "dan").id, "dan"), "read")
        s.update(contact["id"], {"birthdate": "1990-01-02", "mailing_city": "Lyon"})
        s.update(contact["id"], {"birthdate": "1990-01-03"})
        [only_birthdate, both, created] = feeds.record_feed(s, contact["id"]).items
        assert created["type"] == "RecordCreated"
        assert [c["field"] for c in both["changes"]] == ["birthdate", "mailing_city"]
        assert only_birthdate["changes"] == [
            {"field": "birthdate", "old_value": "1990-01-02", "new_value": "1990-01-03"}
        ]
    with app.session("dan") as s:
        [visible, _created] = feeds.record_feed(s, contact["id"]).items
        assert visible["id"] == both["id"]
        assert visible["changes"] == [{"field": "mailing_city", "old_value": None, "new_value": "Lyon"}]


def test_what_i_follow_collects_follows_groups_owned_records_and_mentions(org):
    with org.session("ben") as s:
        bens_contact = s.create("Contact", {"last_name": "Owned"})
    with org.session("ana") as s:
        followed = s.create("Contact", {"last_name": "Followed"})
        share_record(s, followed["id"], Grantee("user", org.users["ben"], "ben"), "read")
        groups.create_group(s, "Volunteers")
        on_followed = posting.post(s, followed["id"], "On a followed record").record
        in_group = posting.post(s, groups.find_group(s, "Volunteers")["id"], "In my group").record
        mentioning = posting.post(s, org.users["ana"], "Hi @[Ben Okafor]").record
        unrelated = posting.post(s, org.users["ana"], "Nothing for Ben").record
    with org.session("ben") as s:
        follows.follow(s, followed["id"])
        groups.join(s, "Volunteers")
        on_owned = posting.post(s, bens_contact["id"], "My own record").record
    with org.session("ana") as s:
        posting.comment(s, on_followed["id"], "Bumped")  # activity brings a post back to the top
    with org.session("ben") as s:
        page = feeds.what_i_follow(s)
        assert ids(page) == [on_followed["id"], on_owned["id"], mentioning["id"], in_group["id"]]
        assert unrelated["id"] not in ids(page)
        first = feeds.what_i_follow(s, limit=2)
        second = feeds.what_i_follow(s, limit=2, cursor=first.next_cursor)
        assert ids(first) + ids(second) == ids(page) and second.next_cursor is None


def test_own_tracked_changes_stay_out_of_what_i_follow_and_mutes_hide(org):
    with org.system_session() as s:
        tracking.set_tracked_fields(s, "Contact", ["mailing_city"])
    with org.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Moss"})  # auto-followed by its creator
        s.update(contact["id"], {"mailing_city": "Paris"})
        assert feeds.what_i_follow(s).items == []
        assert feeds.record_feed(s, contact["id"]).items[0]["type"] == "TrackedChange"
        post = posting.post(s, contact["id"], "Call back Monday").record
        assert ids(feeds.what_i_follow(s)) == [post["id"]]
        feeds.mute(s, post["id"])
        assert ids(feeds.what_i_follow(s)) == []


def test_losing_access_hides_followed_posts(org):
    with org.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Shared"})
        share_record(s, contact["id"], Grantee("user", org.users["ben"], "ben"), "read")
    with org.session("ben") as s:
        follows.follow(s, contact["id"])
    with org.session("ana") as s:
        post = posting.post(s, contact["id"], "Update").record
    with org.session("ben") as s:
        assert ids(feeds.what_i_follow(s)) == [post["id"]]
    from missionbase.core import unshare_record

    with org.session("ana") as s:
        unshare_record(s, contact["id"], Grantee("user", org.users["ben"], "ben"))
    with org.session("ben") as s:
        assert ids(feeds.what_i_follow(s)) == []


@pytest.mark.parametrize("window", [2, 2000])
def test_what_i_follow_pages_are_the_same_however_the_posts_are_ranked(org, monkeypatch, window):
    """Followed posts among many others, one followed record becoming unreadable: newest first,
    page after page, whether the page is found among the newest posts or source by source."""
    monkeypatch.setattr(feeds, "WINDOW", window)
    with org.session("ana") as s:
        contacts = [s.create("Contact", {"last_name": f"C{i}"}) for i in range(4)]
        for contact in contacts[:3]:
            share_record(s, contact["id"], Grantee("user", org.users["ben"], "ben"), "read")
    with org.session("ben") as s:
        for contact in contacts[:3]:
            follows.follow(s, contact["id"])
    expected = []
    with org.session("ana") as s:
        for round_ in range(4):
            for index, contact in enumerate(contacts):
                post = posting.post(s, contact["id"], f"Update {round_}.{index}").record
                if index in (0, 1):
                    expected.append(post["id"])
        from missionbase.core import unshare_record

        unshare_record(s, contacts[2]["id"], Grantee("user", org.users["ben"], "ben"))
        posting.comment(s, expected[0], "Bumped")  # the oldest followed post comes back to the top
    expected = [expected[0], *reversed(expected[1:])]
    with org.session("ben") as s:
        seen, cursor = [], None
        while True:
            page = feeds.what_i_follow(s, limit=3, cursor=cursor)
            seen += ids(page)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == expected


def test_reading_posts_by_id_agrees_with_core_read_condition(org):
    """Feeds read their candidate posts with ``get_many``, which for FeedItem (Controlled by
    Parent) checks the posts' parents per parent object; for every post and viewer that must be
    exactly what a query under core's whole FeedItem read condition returns."""
    import sqlalchemy as sa

    with org.system_session() as s:
        assign_permission_set(s, org.users["vera"], "System Administrator")
        assign_permission_set(s, org.users["cleo"], "Chatter: Manage Unlisted Groups")
    with org.session("ana") as s:
        shared, private, gone = (s.create("Contact", {"last_name": n}) for n in ("Shared", "Mine", "Gone"))
        share_record(s, shared["id"], Grantee("user", org.users["ben"], "ben"), "read")
        for name, visibility in [("Open", "Public"), ("Board", "Private"), ("Crisis", "Unlisted")]:
            groups.create_group(s, name, visibility=visibility)
            posting.post(s, groups.find_group(s, name)["id"], f"In {name}")
        for record in (shared, private, gone):
            posting.post(s, record["id"], "On a contact")
        posting.post(s, org.users["ana"], "On my profile")
        s.create(
            "ChatterGroupMember", {"group": groups.find_group(s, "Board")["id"], "user": org.users["ben"]}
        )
    with org.session("ben") as s:
        posting.post(s, org.users["ben"], "On Ben's profile")
    table = org.schema.table("FeedItem")
    with org.system_session() as s:  # a parent deleted under its posts (no cascade): core's rule decides
        contacts = org.schema.table("Contact")
        s.conn.execute(sa.update(contacts).where(contacts.c.id == gone["id"]).values(is_deleted=True))
        rows = s.conn.execute(
            sa.select(table.c.id, table.c.parent).where(table.c.is_deleted == sa.false())
        ).all()
    assert len(rows) >= 8
    post_ids = [r.id for r in rows]
    parent_of = {r.id: r.parent for r in rows}
    seen = {}
    for user in ("ana", "ben", "cleo", "vera"):
        with org.session(user) as s:
            by_id = s.get_many(post_ids)
            queried = {r["id"]: r for r in s.query("FeedItem", where={"id": {"in": post_ids}}).records}
            assert by_id == queried, user
            seen[user] = {parent_of[i] for i in by_id}
    with org.system_session() as s:
        board, crisis = (groups.find_group(s, n)["id"] for n in ("Board", "Crisis"))
    assert shared["id"] in seen["ben"] and board in seen["ben"]
    assert not {private["id"], gone["id"], crisis} & seen["ben"]
    assert crisis in seen["cleo"] and crisis not in seen["vera"]  # unlisted: even view_all_data
