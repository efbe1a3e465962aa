"""In-app notifications (comment after mine, post on my profile, likes, mutes, never about one's
own actions), preferences (auto-follow, default group frequency) and the weekly digest email."""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.core.testing import add_users
from missionbase.plugins.chatter import digests, feeds, follows, groups, notifications, posting

from .conftest import CHATTER_SETS, STAFF


def inbox(app, user):
    with app.session(user) as s:
        return [(n["kind"], n["message"]) for n in notifications.list_notifications(s).records]


def kinds(app, user):
    return [kind for kind, _ in inbox(app, user)]


def test_a_third_person_commenting_after_me_notifies_me(org):
    with org.session("ana") as s:
        post = posting.post(s, s.user.id, "Who can drive on Sunday?").record
    with org.session("ben") as s:
        posting.comment(s, post["id"], "I can")
    with org.session("cleo") as s:
        posting.comment(s, post["id"], "Me too")
    assert inbox(org, "ben") == [("comment_after_mine", "Cleo Martin also commented: Me too")]
    assert inbox(org, "ana") == [
        ("comment_on_my_post", "Cleo Martin commented on your post: Me too"),
        ("comment_on_my_post", "Ben Okafor commented on your post: I can"),
    ]
    assert kinds(org, "cleo") == [] and kinds(org, "vera") == []


def test_a_post_on_my_profile_notifies_me_but_not_its_author(org):
    with org.session("ben") as s:
        posting.post(s, org.users["ana"], "Happy birthday Ana")
    with org.session("ana") as s:
        posting.post(s, s.user.id, "Thanks everyone")  # my own profile: nobody to tell
    assert inbox(org, "ana") == [
        ("post_on_my_profile", "Ben Okafor posted on your profile: Happy birthday Ana")
    ]
    assert kinds(org, "ben") == []


def test_a_like_of_my_post_or_comment_notifies_me_but_liking_my_own_does_not(org):
    with org.session("ana") as s:
        post = posting.post(s, s.user.id, "New office plants").record
    with org.session("ben") as s:
        comment = posting.comment(s, post["id"], "Lovely").record
        posting.like(s, post["id"])
        posting.like(s, post["id"], comment["id"])  # his own comment
    with org.session("ana") as s:
        posting.like(s, post["id"])  # her own post
        posting.like(s, post["id"], comment["id"])
    assert inbox(org, "ana") == [
        ("like", "Ben Okafor liked your post"),
        ("comment_on_my_post", "Ben Okafor commented on your post: Lovely"),
    ]
    assert inbox(org, "ben") == [("like", "Ana Silva liked your comment")]


def test_a_muted_post_notifies_me_of_nothing(org):
    with org.session("ana") as s:
        post = posting.post(s, s.user.id, "Fundraiser ideas @[Ben Okafor]").record
    with org.session("ben") as s:
        posting.comment(s, post["id"], "A raffle")
        feeds.mute(s, post["id"])
    with org.session("ana") as s:
        feeds.mute(s, post["id"])
    with org.session("cleo") as s:
        posting.comment(s, post["id"], "A quiz night")
        posting.like(s, post["id"])
        posting.comment(s, post["id"], "Asking @[Ben Okafor] again")
    with org.session("vera") as s:
        posting.comment(s, post["id"], "Bake sale")
    assert kinds(org, "ana") == ["comment_on_my_post"]  # ben's comment, before the mute
    assert kinds(org, "ben") == ["mention"]  # the post's mention, before the mute
    assert kinds(org, "cleo") == ["comment_after_mine"]  # cleo did not mute it: vera's comment


# -- preferences ------------------------------------------------------------------------------------


def test_auto_follow_off_means_creating_a_record_does_not_follow_it(org):
    with org.session("cleo") as s:
        s.create("ChatterPreference", {"user": s.user.id, "auto_follow_records": False})
        not_followed = s.create("Contact", {"last_name": "Quiet"})
        assert follows.following(s).records == []
    with org.session("ben") as s:  # the default: on
        followed = s.create("Contact", {"last_name": "Loud"})
        assert [f["target"] for f in follows.following(s).records] == [followed["id"]]
    with org.session("cleo") as s:  # still hers to see, just not followed
        assert s.get(not_followed["id"])["owner_id"] == s.user.id and follows.following(s).records == []


def test_my_default_group_frequency_is_used_when_i_join_or_create_a_group(org):
    with org.session("ben") as s:
        s.create("ChatterPreference", {"user": s.user.id, "default_group_frequency": "Daily"})
        groups.create_group(s, "Runners")
    with org.session("ana") as s:
        groups.create_group(s, "Volunteers")
        groups.create_group(s, "Board", visibility="Private")
    with org.session("ben") as s:
        groups.join(s, "Volunteers")
        request = groups.request_to_join(s, "Board")
    with org.session("cleo") as s:
        groups.join(s, "Volunteers")
    with org.session("ana") as s:
        groups.decide(s, request["id"], accept=True)
        volunteers = {
            m["user.username"]: m["notification_frequency"] for m in groups.members(s, "Volunteers")
        }
        board = {m["user.username"]: m["notification_frequency"] for m in groups.members(s, "Board")}
        runners = {m["user.username"]: m["notification_frequency"] for m in groups.members(s, "Runners")}
    assert volunteers == {"ana": "Weekly", "ben": "Daily", "cleo": "Weekly"}
    assert board == {"ana": "Weekly", "ben": "Daily"} and runners == {"ben": "Daily"}


# -- weekly digest ------------------------------------------------------------------------------------


@pytest.fixture
def mail_org(make_app, smtp_server):
    app = make_app(["chatter"], **smtp_server.settings())
    add_users(app, {u: STAFF[u] for u in ("ana", "ben", "cleo")}, CHATTER_SETS)
    app.smtp = smtp_server
    return app


def test_weekly_digest_sends_each_user_one_email_of_what_they_missed_once_a_week(mail_org):
    app = mail_org
    with app.session("ana") as s:
        group = groups.create_group(s, "Volunteers")
    for user in ("ben", "cleo"):
        with app.session(user) as s:
            groups.join(s, "Volunteers")  # default frequency: Weekly
    with app.session("cleo") as s:
        s.create(
            "ChatterPreference",
            {"user": s.user.id, "digest_frequency": "Weekly", "email_on_comment_on_my_post": False},
        )
        mine = posting.post(s, s.user.id, "My first week").record
    with app.session("ana") as s:
        posting.post(s, group["id"], "Shift tomorrow at 9")
        posting.comment(s, mine["id"], "Welcome!")
    at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    assert "0 digest email(s)" in digests.run_digests(app, "daily", at=at)  # weekly items wait for the week
    assert "2 digest email(s) sent" in digests.run_digests(app, "weekly", at=at)
    messages = sorted(app.smtp.messages, key=lambda m: m["To"])
    assert [m["To"] for m in messages] == ["ben@example.org", "cleo@example.org"]
    ben, cleo = (m.get_content() for m in messages)
    assert messages[0]["Subject"] == "[Chatter] Weekly digest: 1 update(s)"
    assert "Hello Ben Okafor" in ben and "- Ana Silva posted in Volunteers: Shift tomorrow at 9" in ben
    assert "Welcome!" not in ben
    assert messages[1]["Subject"] == "[Chatter] Weekly digest: 2 update(s)"
    assert "- Ana Silva posted in Volunteers: Shift tomorrow at 9" in cleo
    assert "- Ana Silva commented on your post: Welcome!" in cleo
    assert "already sent" in digests.run_digests(app, "weekly", at=at)
    assert len(app.smtp.messages) == 2
