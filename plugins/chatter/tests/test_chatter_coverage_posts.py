"""Post types, rich text, likes, group names, bookmarks/profile/What I Follow feeds, mentions of
people who cannot read, sharing unlisted posts, edit and delete rights, and a PMM record's feed."""

from __future__ import annotations

import types

import pytest

from missionbase.core import (
    AccessDenied,
    Grantee,
    PermissionSet,
    RecordNotFound,
    ValidationError,
    assign_permission_set,
    share_record,
    store_file,
)
from missionbase.core.testing import permission_sets_plugin
from missionbase.plugins.chatter import feeds, follows, groups, notifications, posting, tracking


def ids(page):
    return [item["id"] for item in page.items]


def kinds(app, user):
    with app.session(user) as s:
        return [n["kind"] for n in notifications.list_notifications(s).records]


# -- post types -------------------------------------------------------------------------------


def test_link_and_file_posts_show_in_the_record_feed_with_their_type(org):
    with org.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Figueroa"})
        stored = store_file(s, b"%PDF-1.4 minutes", name="minutes.pdf", parent=contact["id"])
        link = posting.post(
            s, contact["id"], "Their website", type="Link", link_url="https://figueroa.example.org"
        ).record
        file_post = posting.post(s, contact["id"], "Meeting minutes", type="File", file=stored["id"]).record
        with pytest.raises(ValidationError, match="a Link post needs link_url"):
            posting.post(s, contact["id"], "No link", type="Link")
        with pytest.raises(ValidationError, match="a File post needs a file"):
            posting.post(s, contact["id"], "No file", type="File")
        shown = {i["id"]: i for i in feeds.record_feed(s, contact["id"]).items}
    assert list(shown) == [file_post["id"], link["id"]]
    assert (shown[link["id"]]["type"], shown[link["id"]]["link_url"]) == (
        "Link",
        "https://figueroa.example.org",
    )
    assert (shown[file_post["id"]]["type"], shown[file_post["id"]]["file"]) == ("File", stored["id"])


def test_announcements_only_by_group_owner_or_managers_and_shown_as_announcements(org):
    with org.session("ana") as s:
        group = groups.create_group(s, "Volunteers")
    with org.session("ben") as s:
        groups.join(s, "Volunteers")
        with pytest.raises(
            AccessDenied, match="only the owner and managers post in group \\(announcements\\)"
        ):
            posting.post(s, group["id"], "I announce too", type="Announcement")
        ordinary = posting.post(s, group["id"], "A plain post is fine").record
    with org.session("ana") as s:
        announcement = posting.post(s, group["id"], "Gala on <b>Friday</b>", type="Announcement").record
    with org.session("ben") as s:
        items = feeds.group_feed(s, "Volunteers").items
    assert [(i["id"], i["type"]) for i in items] == [
        (announcement["id"], "Announcement"),
        (ordinary["id"], "Text"),
    ]


# -- rich text --------------------------------------------------------------------------------


def test_rich_text_is_sanitised_on_write_keeping_only_the_safe_subset(org):
    dirty = (
        '<p onclick="steal()">Hi <b>all</b>, <strong>s</strong><em>e</em><u>u</u><s>x</s>'
        '<script>alert(1)</script><a href="javascript:alert(2)">bad</a> '
        '<a href="https://example.org" target="_blank" onclick="x()">site</a> '
        '<a href="mailto:ana@example.org">mail</a><img src=x onerror="alert(3)"></p>'
        "<ul><li><i>one</i></li></ul><ol><li>two</li></ol><blockquote><code>c</code></blockquote>"
        "<style>body{display:none}</style><div>div text</div>"
    )
    expected = (
        "<p>Hi <b>all</b>, <strong>s</strong><em>e</em><u>u</u><s>x</s><a>bad</a> "
        '<a href="https://example.org">site</a> <a href="mailto:ana@example.org">mail</a></p>'
        "<ul><li><i>one</i></li></ul><ol><li>two</li></ol><blockquote><code>c</code></blockquote>"
        "div text"
    )
    with org.session("ana") as s:
        post = posting.post(s, s.user.id, dirty).record
        comment = posting.comment(s, post["id"], '<b onmouseover="x()">ok</b><script>evil()</script>').record
        edited = posting.edit(s, post["id"], '<i>new</i><a href="JavaScript:go()">x</a><script>1</script>')
    with org.session("ben") as s:  # what every reader gets back
        assert s.get(comment["id"])["body"] == "<b>ok</b>"
        assert s.get(post["id"])["body"] == edited["body"] == "<i>new</i><a>x</a>"
    assert post["body"] == expected
    for bad in ("script", "onclick", "javascript", "onerror", "img", "style", "target", "<div"):
        assert bad not in post["body"].lower()


# -- likes ------------------------------------------------------------------------------------


def test_likes_count_once_per_person_unlike_and_delete_takes_comments_and_likes(org):
    with org.session("ana") as s:
        post = posting.post(s, s.user.id, "Bake sale").record
        comment = posting.comment(s, post["id"], "I will bring cake").record
    with org.session("ben") as s:
        posting.like(s, post["id"])
        posting.like(s, post["id"], comment["id"])
        with pytest.raises(ValidationError, match=f"you already like {post['id']}"):
            posting.like(s, post["id"])
        with pytest.raises(ValidationError, match=f"you already like {comment['id']}"):
            posting.like(s, post["id"], comment["id"])
    with org.session("cleo") as s:
        posting.like(s, post["id"])
        assert s.get(post["id"])["like_count"] == 2 and s.get(comment["id"])["like_count"] == 1
        with pytest.raises(ValidationError, match=f"you do not like {comment['id']}"):
            posting.unlike(s, post["id"], comment["id"])
    with org.session("ben") as s:
        posting.unlike(s, post["id"])
        posting.unlike(s, post["id"], comment["id"])
        assert s.get(post["id"])["like_count"] == 1 and s.get(comment["id"])["like_count"] == 0
        with pytest.raises(ValidationError, match=f"you do not like {post['id']}"):
            posting.unlike(s, post["id"])
        posting.like(s, post["id"], comment["id"])
    with org.session("ana") as s:
        posting.delete(s, post["id"])
        with pytest.raises(RecordNotFound):
            s.get(post["id"])
    with org.system_session() as s:
        assert s.query("FeedComment", where={"post": post["id"]}).records == []
        assert s.query("FeedLike", where={"post": post["id"]}).records == []


# -- groups -----------------------------------------------------------------------------------


def test_group_names_are_unique_across_public_private_and_unlisted(org):
    with org.session("ana") as s:
        groups.create_group(s, "Board", visibility="Private")
        groups.create_group(s, "Crisis", visibility="Unlisted")
        groups.create_group(s, "Choir")
    with org.session("ben") as s:
        with pytest.raises(ValidationError, match="'Board' already exists"):
            groups.create_group(s, "Board")
        with pytest.raises(ValidationError, match="'Crisis' already exists"):  # unseen by ben, still taken
            groups.create_group(s, "Crisis", visibility="Private")
        with pytest.raises(ValidationError, match="'Choir' already exists"):
            groups.create_group(s, "Choir", visibility="Unlisted")
        assert sorted(g["name"] for g in s.query("ChatterGroup").records) == ["Board", "Choir"]


# -- feeds ------------------------------------------------------------------------------------


def test_bookmarks_feed_lists_my_bookmarks_newest_activity_first(org):
    with org.session("ana") as s:
        older = posting.post(s, s.user.id, "Older").record
        newer = posting.post(s, s.user.id, "Newer").record
        posting.post(s, s.user.id, "Not bookmarked")
    with org.session("ben") as s:
        feeds.bookmark(s, older["id"])
        feeds.bookmark(s, newer["id"])
        assert ids(feeds.bookmarks_feed(s)) == [newer["id"], older["id"]]
    with org.session("cleo") as s:
        posting.comment(s, older["id"], "Bumping this one")
        assert feeds.bookmarks_feed(s).items == []  # bookmarks are each person's own
    with org.session("ben") as s:
        assert ids(feeds.bookmarks_feed(s)) == [older["id"], newer["id"]]


def test_profile_feed_shows_posts_on_my_profile_and_posts_i_wrote_elsewhere(org):
    with org.session("ana") as s:
        groups.create_group(s, "Volunteers")
        contact = s.create("Contact", {"last_name": "Moss"})
        own = posting.post(s, s.user.id, "On my profile").record
        in_group = posting.post(s, groups.find_group(s, "Volunteers")["id"], "In a group").record
        on_record = posting.post(s, contact["id"], "On a contact").record
    with org.session("ben") as s:
        to_ana = posting.post(s, org.users["ana"], "Welcome Ana").record
        posting.post(s, s.user.id, "Ben's own news")
    with org.session("cleo") as s:
        posting.post(s, s.user.id, "Cleo's news")
    with org.session("ana") as s:
        shown = ids(feeds.profile_feed(s, s.user.id))
    assert shown == [to_ana["id"], on_record["id"], in_group["id"], own["id"]]


def test_what_i_follow_includes_posts_on_people_i_follow(org):
    with org.session("cleo") as s:
        by_cleo = posting.post(s, s.user.id, "Cleo's update").record
    with org.session("ana") as s:
        to_cleo = posting.post(s, org.users["cleo"], "Congrats Cleo").record
        on_vera = posting.post(s, org.users["vera"], "Hello Vera").record
    with org.session("ben") as s:
        assert feeds.what_i_follow(s).items == []
        follows.follow(s, org.users["cleo"])
        shown = ids(feeds.what_i_follow(s))
    assert shown == [to_cleo["id"], by_cleo["id"]] and on_vera["id"] not in shown


def test_what_i_follow_includes_posts_mentioning_a_group_i_belong_to(org):
    with org.session("ana") as s:
        groups.create_group(s, "Volunteers")
    with org.session("cleo") as s:
        groups.join(s, "Volunteers")
    with org.session("ana") as s:
        post = posting.post(s, s.user.id, "Thank you @[Volunteers]!").record
    with org.session("cleo") as s:
        assert ids(feeds.what_i_follow(s)) == [post["id"]]
    with org.session("vera") as s:
        assert post["id"] not in ids(feeds.what_i_follow(s))
    assert kinds(org, "cleo") == ["mention"] and kinds(org, "vera") == []


def test_a_comment_mentioning_me_puts_its_post_in_what_i_follow_and_my_mentions(org):
    """Documented: What I Follow and "To me" hold posts mentioning me; a comment's mention counts
    for its post (``feed show --mentions``: posts and comments that mention you)."""
    with org.session("ana") as s:
        post = posting.post(s, s.user.id, "Plans for the fair").record
    with org.session("ben") as s:
        posting.comment(s, post["id"], "@[Cleo Martin] can you help?")
    with org.session("cleo") as s:
        assert ids(feeds.what_i_follow(s)) == [post["id"]]
        assert ids(feeds.mentions_feed(s)) == [post["id"]]
    with org.session("vera") as s:
        assert feeds.what_i_follow(s).items == [] and feeds.mentions_feed(s).items == []
    assert kinds(org, "cleo") == ["mention"]


# -- mentions and shares ------------------------------------------------------------------------


def test_mentioning_someone_who_cannot_read_the_record_keeps_the_post_and_tells_the_author(org):
    with org.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Private"})
        result = posting.post(s, contact["id"], "Call back @[Ben Okafor] and @[Cleo Martin]")
        share_record(s, contact["id"], Grantee("user", org.users["cleo"], "cleo"), "read")
        later = posting.post(s, contact["id"], "Again @[Ben Okafor] and @[Cleo Martin]")
        assert ids(feeds.record_feed(s, contact["id"])) == [later.record["id"], result.record["id"]]
    assert result.notes == [
        "@[Ben Okafor] cannot see this feed, so was not notified and will not see the post",
        "@[Cleo Martin] cannot see this feed, so was not notified and will not see the post",
    ]
    assert later.notes == [
        "@[Ben Okafor] cannot see this feed, so was not notified and will not see the post"
    ]
    assert kinds(org, "ben") == [] and kinds(org, "cleo") == ["mention"]
    with org.session("ben") as s:
        with pytest.raises(RecordNotFound):
            s.get(result.record["id"])
        assert feeds.mentions_feed(s).items == [] and feeds.what_i_follow(s).items == []


def test_a_post_of_an_unlisted_group_cannot_be_shared(org):
    with org.system_session() as s:
        assign_permission_set(s, org.users["cleo"], "Chatter: Manage Unlisted Groups")
    with org.session("ana") as s:
        group = groups.create_group(s, "Crisis team", visibility="Unlisted")
        post = posting.post(s, group["id"], "Hotline numbers").record
        with pytest.raises(
            ValidationError, match="unlisted group 'Crisis team'; such posts cannot be shared"
        ):
            posting.share(s, post["id"])
    with org.session("cleo") as s:
        with pytest.raises(ValidationError, match="cannot be shared"):
            posting.share(s, post["id"], body="Look")
        assert feeds.profile_feed(s, s.user.id).items == []
    with org.session("ben") as s, pytest.raises(RecordNotFound):
        posting.share(s, post["id"])


# -- edit and delete rights ----------------------------------------------------------------------


def test_modify_all_data_may_edit_anyones_post_and_each_edit_counts_a_revision(org):
    with org.system_session() as s:
        assign_permission_set(s, org.users["vera"], "System Administrator")
    with org.session("ana") as s:
        post = posting.post(s, s.user.id, "Teh gala").record
    with org.session("ben") as s, pytest.raises(AccessDenied, match="only its author"):
        posting.edit(s, post["id"], "Ben's version")
    with org.session("vera") as s:
        first = posting.edit(s, post["id"], "The gala")
        second = posting.edit(s, post["id"], "The gala (Friday)")
    assert (first["revision"], second["revision"]) == (1, 2)
    with org.session("ana") as s:
        stored = s.get(post["id"])
    assert stored["body"] == "The gala (Friday)" and stored["last_edited_by"] == org.users["vera"]


def test_authors_delete_their_own_posts_even_on_records_they_only_read(org):
    with org.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Lee"})
        share_record(s, contact["id"], Grantee("user", org.users["ben"], "ben"), "read")
    with org.session("ben") as s:  # only Read on the record, still his own post
        post = posting.post(s, contact["id"], "Met Lee today").record
        posting.delete(s, post["id"])
        assert feeds.record_feed(s, contact["id"]).items == []


def test_group_managers_delete_posts_in_their_group(org):
    with org.session("ana") as s:
        groups.create_group(s, "Garden")
    for user in ("ben", "cleo"):
        with org.session(user) as s:
            groups.join(s, "Garden")
    with org.session("cleo") as s:
        post = posting.post(s, groups.find_group(s, "Garden")["id"], "Selling my tools").record
    with org.session("ben") as s, pytest.raises(AccessDenied, match="cannot delete post"):
        posting.delete(s, post["id"])  # a plain member
    with org.session("ana") as s:
        [ben] = [m for m in groups.members(s, "Garden") if m["user.username"] == "ben"]
        s.update(ben["id"], {"role": "Manager"})
    with org.session("ben") as s:
        posting.delete(s, post["id"])
        assert feeds.group_feed(s, "Garden").items == []


def _contact_modify_all() -> types.ModuleType:
    return permission_sets_plugin(
        "contact_modify_all", PermissionSet("Contacts: Modify All", objects={"Contact": "CREDVM"})
    )


def test_modify_all_on_the_parent_object_deletes_posts_on_its_records(make_app):
    app = make_app(
        ["chatter", "contact_modify_all"], extra_plugins={"contact_modify_all": _contact_modify_all()}
    )
    with app.system_session() as s:
        for name, sets in [
            ("ana", ["Standard User", "Chatter: User"]),
            ("ben", ["Standard User", "Chatter: User"]),
            ("dan", ["Contacts: Modify All", "Chatter: User"]),
        ]:
            uid = s.create("User", {"username": name, "name": name.title()})["id"]
            for permset in sets:
                assign_permission_set(s, uid, permset)
    with app.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Ruiz"})
        share_record(s, contact["id"], Grantee("user", app.resolve_user(s.conn, "ben").id, "ben"), "edit")
        post = posting.post(s, contact["id"], "Donor note").record
    with app.session("ben") as s, pytest.raises(AccessDenied, match="Modify All on Contact"):
        posting.delete(s, post["id"])  # edit access to the record is not enough
    with app.session("dan") as s:
        posting.delete(s, post["id"])
        assert feeds.record_feed(s, contact["id"]).items == []


# -- another plugin's objects -----------------------------------------------------------------------


def test_pmm_program_has_a_feed_and_its_fields_can_be_tracked(make_app):
    app = make_app(["pmm", "chatter"])
    with app.system_session() as s:
        for name in ("ana", "ben"):
            uid = s.create("User", {"username": name, "name": name.title()})["id"]
            for permset in ("Standard User", "PMM: Manage", "Chatter: User"):
                assign_permission_set(s, uid, permset)
        assert tracking.set_tracked_fields(s, "Program", ["status"]) == ["status"]
    with app.session("ana") as s:
        program = s.create("Program", {"name": "Youth Literacy", "status": "Active"})
        post = posting.post(s, program["id"], "Kick-off on Monday").record
    with app.session("ben") as s:
        created = feeds.record_feed(s, program["id"]).items[-1]  # a tracked object: its creation is posted
        assert (created["type"], created["body"]) == ("RecordCreated", "created this program")
        assert ids(feeds.record_feed(s, program["id"])) == [post["id"], created["id"]]
        current = s.get(program["id"])
        s.update(program["id"], {"status": "Completed", "short_summary": "Done"}, version=current["version"])
        s.update(program["id"], {"short_summary": "Untracked"})  # no tracked field changed: no post
        items = feeds.record_feed(s, program["id"]).items
    assert [i["type"] for i in items] == ["TrackedChange", "Text", "RecordCreated"]
    assert items[0]["changes"] == [{"field": "status", "old_value": "Active", "new_value": "Completed"}]
