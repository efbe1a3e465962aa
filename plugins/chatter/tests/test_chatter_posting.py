"""Mentions, shares, edit/delete rules, groups, follows: the rules users meet."""

from __future__ import annotations

import pytest

from missionbase.core import AccessDenied, ValidationError, assign_permission_set
from missionbase.plugins.chatter import feeds, follows, groups, notifications, posting


def kinds(app, user):
    with app.session(user) as s:
        return [n["kind"] for n in notifications.list_notifications(s).records]


def test_mention_limit_and_private_group_mention_rejected(org):
    with org.system_session() as s:
        s.set_setting("chatter.max_mentions", 2)
    with org.session("ben") as s:
        groups.create_group(s, "Board", visibility="Private")
    with org.session("ana") as s:
        with pytest.raises(ValidationError, match="3 @mentions; at most 2"):
            posting.post(s, org.users["ana"], "@[Ben Okafor] @[Cleo Martin] @[ana]")
        with pytest.raises(ValidationError, match="private group you are not a member of"):
            posting.post(s, org.users["ana"], "FYI @[Board]")
        assert feeds.profile_feed(s, org.users["ana"]).items == []


def test_mention_notifies_and_lands_in_mentions_feed(org):
    with org.session("ana") as s:
        post = posting.post(s, org.users["ana"], "Welcome @[Ben Okafor]").record
    with org.session("ben") as s:
        assert [p["id"] for p in feeds.mentions_feed(s).items] == [post["id"]]
    assert kinds(org, "ben") == ["mention"]
    assert kinds(org, "ana") == []  # never about one's own actions


def test_share_rules(org):
    with org.session("ana") as s:
        original = posting.post(s, org.users["ana"], "Gala is on @[Cleo Martin]").record
        posting.comment(s, original["id"], "Tickets soon")
        groups.create_group(s, "Board", visibility="Private")
        private = posting.post(s, groups.find_group(s, "Board")["id"], "Secret").record
        with pytest.raises(ValidationError, match="cannot be shared"):
            posting.share(s, private["id"])
    with org.session("ben") as s:
        shared = posting.share(s, original["id"], body="Worth reading").record
        assert shared["shared_from"] == original["id"] and shared["comment_count"] == 0
    assert kinds(org, "cleo") == ["mention"]  # the original mention is not notified again
    assert kinds(org, "ana") == ["share"]


def test_edit_and_delete_rules(org):
    with org.session("ana") as s:
        post = posting.post(s, org.users["ana"], "Draft").record
        comment = posting.comment(s, post["id"], "First").record
    with org.session("ben") as s:
        with pytest.raises(AccessDenied, match="only its author"):
            posting.edit(s, post["id"], "Hijacked")
        with pytest.raises(AccessDenied, match="cannot delete post"):
            posting.delete(s, post["id"])
    with org.session("ana") as s:
        edited = posting.edit(s, post["id"], "Final <i>text</i>")
        assert edited["revision"] == 1 and edited["last_edited_by"] == org.users["ana"]
    with org.system_session() as s:
        assign_permission_set(s, org.users["cleo"], "Chatter: Moderator")
    with org.session("cleo") as s:
        posting.delete(s, post["id"])
    with org.system_session() as s:
        assert s.query("FeedComment", where={"id": comment["id"]}).records == []


def test_groups_join_request_broadcast_and_archive(org):
    with org.session("ana") as s:
        groups.create_group(s, "News", broadcast=True)
        groups.create_group(s, "Board", visibility="Private")
    with org.session("ben") as s:
        groups.join(s, "News")
        with pytest.raises(AccessDenied, match="only the owner and managers post"):
            posting.post(s, groups.find_group(s, "News")["id"], "Me too")
        with pytest.raises(AccessDenied, match="ask to join"):
            groups.join(s, "Board")
        request = groups.request_to_join(s, "Board")
    assert kinds(org, "ana") == ["join_request"]
    with org.session("cleo") as s, pytest.raises(AccessDenied):
        groups.decide(s, request["id"], accept=True)
    with org.session("ana") as s:
        groups.decide(s, request["id"], accept=True)
        assert {m["user.username"] for m in groups.members(s, "Board")} == {"ana", "ben"}
        news = posting.post(s, groups.find_group(s, "News")["id"], "Announcement").record
        groups.set_archived(s, "News")
        with pytest.raises(ValidationError, match="archived"):
            posting.post(s, groups.find_group(s, "News")["id"], "More")
    with org.session("ben") as s:
        posting.comment(s, news["id"], "Comments still work")
    assert "join_decision" in kinds(org, "ben")


def test_making_a_group_public_accepts_pending_requests(org):
    with org.session("ana") as s:
        board = groups.create_group(s, "Board", visibility="Private")
    with org.session("ben") as s:
        groups.request_to_join(s, "Board")
    with org.session("ana") as s:
        s.update(board["id"], {"visibility": "Public"})
        assert {m["user.username"] for m in groups.members(s, "Board")} == {"ana", "ben"}


def test_follow_only_readable_with_limit_and_auto_follow_not_for_imports(org):
    with org.system_session() as s:
        assert [
            s.get_setting(f"chatter.{name}")
            for name in ("follow_limit", "max_mentions", "max_tracked_fields", "archive_after_days")
        ] == [500, 25, 20, 90]  # the documented defaults
        s.set_setting("chatter.follow_limit", 2)
    with org.session("ana") as s:
        private = s.create("Contact", {"last_name": "Private"})
        for name in ("Board", "Choir", "Garden"):
            groups.create_group(s, name)
    with org.session("ben") as s:
        from missionbase.core import RecordNotFound

        for name in ("Board", "Choir", "Garden"):  # three groups joined: none counts as a follow
            groups.join(s, name)
        with pytest.raises(RecordNotFound):
            follows.follow(s, private["id"])
        follows.follow(s, org.users["ana"])
        follows.follow(s, org.users["cleo"])
        with pytest.raises(ValidationError, match="the limit is 2"):
            follows.follow(s, org.users["vera"])
        groups.create_group(s, "Extra")  # membership does not count
    with org.session("cleo") as s:
        created = s.create("Contact", {"last_name": "Mine"})
        imported = s.create_many_collecting("Contact", [{"last_name": "Imported"}]).records[0]
        targets = {f["target"] for f in follows.following(s).records}
        assert created["id"] in targets and imported["id"] not in targets


def test_nobody_posts_comments_likes_or_follows_in_someone_elses_name(org):
    with org.session("ana") as s:
        post = posting.post(s, org.users["ana"], "Mine").record
        for object_name, values in [
            ("FeedItem", {"parent": org.users["ana"], "body": "Said by Ben?"}),
            ("FeedComment", {"post": post["id"], "body": "Ben agrees?"}),
            ("FeedLike", {"post": post["id"]}),
            ("Follow", {"target": org.users["ana"]}),
        ]:
            with pytest.raises(ValidationError, match="'owner_id': is whoever creates"):
                s.create(object_name, {**values, "owner_id": org.users["ben"]})
        with pytest.raises(ValidationError, match="'owner_id'"):
            s.update(post["id"], {"owner_id": org.users["ben"]})
    with org.session("ben") as s:
        assert feeds.profile_feed(s, org.users["ben"]).items == []


def test_an_edit_that_mentions_someone_new_notifies_them_once(org):
    with org.session("ana") as s:
        post = posting.post(s, org.users["ana"], "Welcome @[Ben Okafor]").record
        comment = posting.comment(s, post["id"], "Thanks all").record
        posting.edit(s, post["id"], "Welcome @[Ben Okafor] and @[Cleo Martin]")
        posting.edit(s, post["id"], "Welcome @[Ben Okafor] and @[Cleo Martin]!")  # nobody new
        posting.edit(s, comment["id"], "Thanks @[Cleo Martin]")
    assert kinds(org, "ben") == ["mention"]
    assert kinds(org, "cleo") == ["mention", "mention"]  # the post, then the comment
    with org.session("cleo") as s:
        assert [p["id"] for p in feeds.mentions_feed(s).items] == [post["id"]]
    with org.system_session() as s:
        s.set_setting("chatter.max_mentions", 2)
    with org.session("ana") as s, pytest.raises(ValidationError, match="has 3 @mentions; at most 2"):
        posting.edit(
            s, post["id"], "@[Ben Okafor] @[Cleo Martin] @[Vera Viewall]"
        )  # edits have the limit too
    assert kinds(org, "vera") == []


def test_profile_feed_pages_merge_posts_to_and_by_the_user_newest_first_once_each(org):
    with org.session("ana") as s:
        group = groups.create_group(s, "Open")
        expected = [
            posting.post(s, org.users["ana"], "On my own profile").record["id"],
            posting.post(s, group["id"], "In a group").record["id"],
        ]
    with org.session("ben") as s:
        expected.append(posting.post(s, org.users["ana"], "To Ana").record["id"])
        posting.post(s, org.users["ben"], "Not about Ana")
    with org.session("ana") as s:
        expected.append(posting.post(s, org.users["ben"], "On Ben's profile").record["id"])
    with org.session("cleo") as s:
        seen, cursor = [], None
        while True:
            page = feeds.profile_feed(s, org.users["ana"], limit=2, cursor=cursor)
            seen += [i["id"] for i in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen == list(reversed(expected))


def test_record_owners_edit_others_posts_only_with_the_permission_and_the_org_may_turn_edits_off(org):
    from missionbase.core import Grantee, share_record

    with org.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Client"})
        share_record(s, contact["id"], Grantee("user", org.users["ben"], "ben"), "read")
    with org.session("ben") as s:
        post = posting.post(s, contact["id"], "Called the client").record
    with org.session("ana") as s, pytest.raises(AccessDenied, match="edit_posts_on_owned_records"):
        posting.edit(s, post["id"], "Called the client twice")
    with org.system_session() as s:
        assign_permission_set(s, org.users["ana"], "Chatter: Edit Posts on Records I Own")
    with org.session("ana") as s:
        assert posting.edit(s, post["id"], "Called the client twice")["revision"] == 1
    with org.system_session() as s:
        s.set_setting("chatter.allow_edits", False)
    with org.session("ben") as s, pytest.raises(AccessDenied, match="turned off"):
        posting.edit(s, post["id"], "My own words")
    with org.system_session() as s:
        assign_permission_set(s, org.users["vera"], "System Administrator")
    with org.session("vera") as s:
        assert posting.edit(s, post["id"], "Fixed a typo")["revision"] == 2


def test_notifications_about_a_post_one_can_no_longer_read_are_left_out(org):
    from missionbase.core import Grantee, share_record, unshare_record

    with org.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Client"})
        share_record(s, contact["id"], Grantee("user", org.users["ben"], "ben"), "read")
        posting.post(s, org.users["ana"], "Team lunch, @[Ben Okafor]")
        posting.post(s, contact["id"], "Diagnosis confirmed, @[Ben Okafor]")  # the newest
    assert kinds(org, "ben") == ["mention", "mention"]
    with org.session("ana") as s:
        unshare_record(s, contact["id"], Grantee("user", org.users["ben"], "ben"))
    with org.session("ben") as s:
        shown = notifications.list_notifications(s, limit=1).records  # skips the hidden one, fills the page
        assert len(shown) == 1 and "Team lunch" in shown[0]["message"]
        assert "Diagnosis" not in str(notifications.list_notifications(s).records)
