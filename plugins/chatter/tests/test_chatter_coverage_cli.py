"""``missionbase feed`` commands as a user runs them: like, share, edit, delete, follow,
unfollow, following, and asking to join a private group; with the errors a typo gets."""

from __future__ import annotations

import pytest

from missionbase.core import Grantee, share_record
from missionbase.plugins.chatter import feeds, groups, posting


@pytest.fixture
def run(org, cli_for):
    """The CLI against the org's database, as its users run it."""
    return cli_for(org)


def one_error_line(result, *needles):
    lines = result.err.strip().splitlines()
    return result.exit_code != 0 and len(lines) == 1 and all(n in lines[0] for n in needles)


def profile(run, user, as_user):
    shown = run("feed", "show", "--user", user, "--as", as_user, "--json")
    assert shown.exit_code == 0, shown.err
    return shown.json()["items"]


def test_cli_like_unlike_and_a_bad_post_id(org, run):
    with org.session("ana") as s:
        post = posting.post(s, s.user.id, "Bake sale on Saturday").record
        comment = posting.comment(s, post["id"], "Count me in").record
    liked = run("feed", "like", post["id"], "--as", "ben")
    assert liked.exit_code == 0 and liked.out.strip() == "liked"
    assert run("feed", "like", post["id"], "--comment", comment["id"], "--as", "ben").out.strip() == "liked"
    assert [i["like_count"] for i in profile(run, "ana", "cleo")] == [1]
    twice = run("feed", "like", post["id"], "--as", "ben")
    assert one_error_line(twice, f"you already like {post['id']}")
    unliked = run("feed", "like", post["id"], "--undo", "--as", "ben")
    assert unliked.exit_code == 0 and unliked.out.strip() == "unliked"
    assert [i["like_count"] for i in profile(run, "ana", "cleo")] == [0]
    with org.session("ana") as s:
        assert s.get(comment["id"])["like_count"] == 1
    bad = run("feed", "like", "fdi-typo", "--as", "ben")
    assert one_error_line(bad, "'fdi-typo'", "is not a post id")


def test_cli_share_to_my_profile_and_to_a_group(org, run):
    with org.session("ana") as s:
        post = posting.post(s, s.user.id, "Gala tickets on sale").record
    assert run("feed", "groups", "create", "Volunteers", "--as", "cleo").exit_code == 0
    shared = run("feed", "share", post["id"], "Worth reading", "--as", "ben", "--json")
    assert shared.exit_code == 0, shared.err
    record = shared.json()
    assert record["shared_from"] == post["id"] and record["parent"] == org.users["ben"]
    assert [(i["id"], i["body"]) for i in profile(run, "ben", "cleo")] == [(record["id"], "Worth reading")]
    to_group = run("feed", "share", post["id"], "--group", "Volunteers", "--as", "cleo", "--json")
    assert to_group.exit_code == 0, to_group.err
    shown = run("feed", "show", "--group", "Volunteers", "--as", "ana", "--json").json()["items"]
    assert [(i["id"], i["shared_from"]) for i in shown] == [(to_group.json()["id"], post["id"])]


def test_cli_edit_and_delete_a_post_and_a_bad_item_id(org, run):
    with org.session("ana") as s:
        post = posting.post(s, s.user.id, "Meeting at 5").record
        comment = posting.comment(s, post["id"], "Which room?").record
    edited = run(
        "feed", "edit", post["id"], "Meeting at <b>6</b><script>x()</script>", "--as", "ana", "--json"
    )
    assert edited.exit_code == 0, edited.err
    assert (edited.json()["body"], edited.json()["revision"]) == ("Meeting at <b>6</b>", 1)
    assert [i["body"] for i in profile(run, "ana", "ben")] == ["Meeting at <b>6</b>"]
    refused = run("feed", "edit", post["id"], "Hijacked", "--as", "ben")
    assert one_error_line(refused, "ben cannot edit post", post["id"])
    bad = run("feed", "edit", "nonsense", "Text", "--as", "ana")
    assert one_error_line(bad, "'nonsense' is not a post or comment id")
    assert run("feed", "delete", post["id"], "--as", "ben").exit_code != 0
    deleted = run("feed", "delete", post["id"], "--as", "ana")
    assert deleted.exit_code == 0 and deleted.out.strip() == f"deleted {post['id']}"
    assert profile(run, "ana", "ben") == []
    with org.system_session() as s:
        assert s.query("FeedComment", where={"id": comment["id"]}).records == []


def test_cli_follow_unfollow_following_and_an_unknown_user(org, run):
    with org.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Figueroa"})
        share_record(s, contact["id"], Grantee("user", org.users["ben"], "ben"), "read")
    followed = run("feed", "follow", "cleo", "--as", "ben")  # a username works
    assert followed.exit_code == 0 and followed.out.strip() == f"following {org.users['cleo']}"
    assert run("feed", "follow", contact["id"], "--as", "ben").exit_code == 0
    listed = run("feed", "following", "--as", "ben", "--json")
    assert listed.exit_code == 0 and {r["target"] for r in listed.json()} == {
        org.users["cleo"],
        contact["id"],
    }
    with org.session("cleo") as s:
        post = posting.post(s, s.user.id, "Cleo's news").record
    what_i_follow = run("feed", "show", "--as", "ben", "--json").json()["items"]
    assert [i["id"] for i in what_i_follow] == [post["id"]]
    gone = run("feed", "unfollow", org.users["cleo"], "--as", "ben")
    assert gone.exit_code == 0 and gone.out.strip() == f"no longer following {org.users['cleo']}"
    assert [r["target"] for r in run("feed", "following", "--as", "ben", "--json").json()] == [contact["id"]]
    assert run("feed", "show", "--as", "ben", "--json").json()["items"] == []
    unknown = run("feed", "follow", "nosuchperson", "--as", "ben")
    assert one_error_line(unknown, "unknown user 'nosuchperson'")
    again = run("feed", "unfollow", org.users["cleo"], "--as", "ben")
    assert one_error_line(again, f"you do not follow {org.users['cleo']}")


def test_cli_request_to_join_a_private_group_and_approve(org, run):
    assert run("feed", "groups", "create", "Board", "--visibility", "Private", "--as", "ana").exit_code == 0
    posted = run("feed", "post", "Budget draft", "--group", "Board", "--as", "ana", "--json")
    assert posted.exit_code == 0, posted.err
    refused = run("feed", "groups", "join", "Board", "--as", "ben")
    assert one_error_line(refused, "ask to join")
    asked = run("feed", "groups", "request", "Board", "--as", "ben", "--json")
    assert asked.exit_code == 0, asked.err
    request = asked.json()
    assert request["status"] == "Pending"
    assert run("feed", "show", "--group", "Board", "--as", "ben", "--json").json()["items"] == []
    assert run("feed", "groups", "approve", request["id"], "--as", "cleo").exit_code != 0  # not a manager
    approved = run("feed", "groups", "approve", request["id"], "--as", "ana")
    assert approved.exit_code == 0 and approved.out.strip() == f"{request['id']}: Accepted"
    members = run("feed", "groups", "members", "Board", "--as", "ben", "--json").json()
    assert {m["user.username"] for m in members} == {"ana", "ben"}
    shown = run("feed", "show", "--group", "Board", "--as", "ben", "--json").json()["items"]
    assert [i["id"] for i in shown] == [posted.json()["id"]]
    kinds = [n["kind"] for n in run("notifications", "list", "--as", "ben", "--json").json()]
    assert kinds == ["join_decision"]


def test_cli_bookmark_mute_and_leave(org, run):
    with org.session("ana") as s:
        groups.create_group(s, "Choir")
        post = posting.post(s, s.user.id, "Rehearsal moved").record
    assert run("feed", "bookmark", post["id"], "--as", "ben").out.strip() == f"bookmarked {post['id']}"
    with org.session("ben") as s:
        assert [i["id"] for i in feeds.bookmarks_feed(s).items] == [post["id"]]
    assert run("feed", "mute", post["id"], "--as", "ben").out.strip() == f"muted {post['id']}"
    with org.session("ben") as s:  # muted: out of every feed of his, bookmarks included
        assert feeds.bookmarks_feed(s).items == []
    assert run("feed", "groups", "join", "Choir", "--as", "ben").out.strip() == "joined Choir"
    assert run("feed", "groups", "leave", "Choir", "--as", "ben").out.strip() == "left Choir"
    assert one_error_line(run("feed", "groups", "leave", "Choir", "--as", "ben"), "Choir")
    assert one_error_line(run("feed", "mute", "fdi_nope", "--as", "ben"), "fdi_nope")


def test_following_and_notifications_read_in_the_readers_zone_and_by_name(org, run):
    with org.system_session() as s:
        s.update(org.users["ben"], {"time_zone": "Asia/Tokyo"})
    assert run("feed", "follow", "cleo", "--as", "ben").exit_code == 0
    following = run("feed", "following", "--as", "ben").out
    assert "Cleo Martin" in following and "JST" in following and "UTC" not in following
    run("feed", "groups", "create", "Board", "--visibility", "Private", "--as", "ana")
    request = run("feed", "groups", "request", "Board", "--as", "ben", "--json").json()
    run("feed", "groups", "approve", request["id"], "--as", "ana")
    listed = run("notifications", "list", "--as", "ben").out
    assert "JST" in listed and "UTC" not in listed
    assert "+00:00" in run("notifications", "list", "--as", "ben", "--json").out  # JSON keeps UTC
