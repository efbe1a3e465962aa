"""Archiving groups (the job, the per-group switch, what an archived group still allows and
shows in feeds, reactivation), your own
group notification frequency, and the cap on tracked fields."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from missionbase.core import AccessDenied, ValidationError, assign_permission_set, hookimpl
from missionbase.core import fields as f
from missionbase.plugins.chatter import feeds, groups, posting, tracking


def test_archive_job_archives_only_inactive_groups_and_reactivation_restarts_the_clock(org):
    with org.session("ana") as s:
        quiet = groups.create_group(s, "Quiet")
        busy = groups.create_group(s, "Busy")
        old_post = posting.post(s, quiet["id"], "Anyone here?").record
    with org.session("ben") as s:
        groups.join(s, "Quiet")
    with org.system_session() as s:  # an old group: nothing since 200 days ago
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
        s.update(busy["id"], {}, computed={"last_activity_at": long_ago})
    assert "archived 1 group(s)" in groups.archive_inactive_groups(org)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=91)
    assert "archived 1 group(s)" in groups.archive_inactive_groups(org, at=later)  # Quiet, 91 days on
    with org.session("ana") as s:
        groups.set_archived(s, "Busy", False)  # reactivated today: its 90 days start again
    with org.system_session() as s:
        s.set_setting("chatter.archive_after_days", 30)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
    assert "archived 0 group(s) without activity for 30 days" in groups.archive_inactive_groups(org, at=soon)
    with org.session("ben") as s:
        assert (
            groups.find_group(s, "Quiet")["is_archived"] and not groups.find_group(s, "Busy")["is_archived"]
        )
        with pytest.raises(ValidationError, match="archived: it accepts comments but no new posts"):
            posting.post(s, quiet["id"], "Hello?")
        posting.comment(s, old_post["id"], "Comments still work")  # and bring the post back up
        assert feeds.what_i_follow(s).items[0]["id"] == old_post["id"]
        with pytest.raises(AccessDenied, match="ben cannot edit ChatterGroup"):
            groups.set_archived(s, "Quiet", False)
        groups.leave(s, "Quiet")  # leaving and joining stay possible
        groups.join(s, "Quiet")


def test_an_archived_groups_posts_leave_feeds_until_a_comment_brings_one_back(org):
    with org.session("ana") as s:
        group = groups.create_group(s, "Garden")
        first = posting.post(s, group["id"], "Seeds arrived").record
        second = posting.post(s, group["id"], "Watering rota").record
    with org.session("ben") as s:
        groups.join(s, "Garden")
        assert {first["id"], second["id"]} <= {i["id"] for i in feeds.what_i_follow(s).items}
    with org.session("ana") as s:
        groups.set_archived(s, "Garden")
    with org.session("ben") as s:
        assert {i["id"] for i in feeds.what_i_follow(s).items}.isdisjoint({first["id"], second["id"]})
        assert {i["id"] for i in feeds.company_feed(s).items}.isdisjoint({first["id"], second["id"]})
        # the group's own feed keeps its history, where members can still comment
        assert [i["id"] for i in feeds.group_feed(s, "Garden").items] == [second["id"], first["id"]]
        posting.comment(s, first["id"], "Planted them today")
    with org.session("ben") as s:
        shown = [i["id"] for i in feeds.what_i_follow(s).items]
        assert shown[0] == first["id"] and second["id"] not in shown
        assert first["id"] in {i["id"] for i in feeds.company_feed(s).items}
    with org.session("ana") as s:
        groups.set_archived(s, "Garden", False)
        assert {first["id"], second["id"]} <= {i["id"] for i in feeds.what_i_follow(s).items}


def test_auto_archiving_can_be_turned_off_per_group_by_its_managers(org, cli_for):
    with org.session("ana") as s:
        groups.create_group(s, "Board")
        groups.create_group(s, "Choir")
    with org.session("ben") as s:
        groups.join(s, "Board")
        with pytest.raises(AccessDenied):
            groups.set_auto_archive(s, "Board", False)  # a member, not a manager
    with org.session("ana") as s:
        assert groups.set_auto_archive(s, "Board", False)["auto_archive_disabled"] is True
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=91)
    assert "archived 1 group(s)" in groups.archive_inactive_groups(org, at=later)
    with org.session("ana") as s:
        assert (
            not groups.find_group(s, "Board")["is_archived"] and groups.find_group(s, "Choir")["is_archived"]
        )
    cli = cli_for(org)
    refused = cli("feed", "groups", "auto-archive", "Board", "on", "--as", "ben")
    assert refused.exit_code != 0 and "ben cannot edit ChatterGroup" in refused.err
    assert (
        cli("feed", "groups", "auto-archive", "Board", "on").out.strip() == "Board: auto-archiving on"
    )  # admin
    assert "archived 1 group(s)" in groups.archive_inactive_groups(org, at=later)


def test_cli_archive_and_own_group_frequency(org, cli_for):
    cli = cli_for(org)
    assert cli("feed", "groups", "create", "Volunteers", "--as", "ana").exit_code == 0
    assert cli("feed", "groups", "join", "Volunteers", "--as", "ben").exit_code == 0
    changed = cli("feed", "groups", "frequency", "Volunteers", "every post", "--as", "ben")
    assert changed.exit_code == 0 and changed.out.strip() == "Volunteers: Every post"
    members = cli("feed", "groups", "members", "Volunteers", "--as", "ben", "--json").json()
    assert {m["user.username"]: m["notification_frequency"] for m in members} == {
        "ana": "Weekly",
        "ben": "Every post",
    }
    outsider = cli("feed", "groups", "frequency", "Volunteers", "Daily", "--as", "cleo")
    assert outsider.exit_code != 0 and "not a member" in outsider.err
    bad = cli("feed", "groups", "frequency", "Volunteers", "hourly", "--as", "ben")
    assert bad.exit_code != 0 and "Every post" in bad.err
    assert cli("feed", "groups", "archive", "Volunteers", "--as", "ben").exit_code != 0  # not a manager
    assert cli("feed", "groups", "archive", "Volunteers", "--as", "ana").out.strip() == "Volunteers: archived"
    refused = cli("feed", "post", "More news", "--group", "Volunteers", "--as", "ana")
    assert refused.exit_code != 0 and "archived" in refused.err
    assert (
        cli("feed", "groups", "archive", "Volunteers", "--undo", "--as", "ana").out.strip()
        == "Volunteers: active"
    )
    assert cli("feed", "post", "Back again", "--group", "Volunteers", "--as", "ana").exit_code == 0
    ran = cli("jobs", "run", "chatter.archive_groups")
    assert ran.exit_code == 0 and "archived 0 group(s)" in ran.out


def _wide_contact() -> types.ModuleType:
    module = types.ModuleType("wide")

    @hookimpl
    def missionbase_register_objects(registry):
        registry.extend("Contact", [f.Text(f"extra_{i}", max_length=20) for i in range(6)])

    module.missionbase_register_objects = missionbase_register_objects
    return module


def test_at_most_20_tracked_fields_per_object_unless_configured(make_app):
    app = make_app(["chatter", "wide"], extra_plugins={"wide": _wide_contact()})
    with app.system_session() as s:
        fields = [name for name in s.registry.object("Contact").field_names if name != "name"]
        assert len(fields) >= 21
        with pytest.raises(ValidationError, match="Contact: 21 tracked fields; at most 20 are allowed"):
            tracking.set_tracked_fields(s, "Contact", fields[:21])
        assert tracking.set_tracked_fields(s, "Contact", fields[:20]) == fields[:20]
        s.set_setting("chatter.max_tracked_fields", 2)
        with pytest.raises(ValidationError, match="at most 2"):
            tracking.set_tracked_fields(s, "Contact", ["mailing_city", "email", "phone"])
        tracking.set_tracked_fields(s, "Contact", ["mailing_city", "email"])
        ana = s.create("User", {"username": "ana", "name": "Ana"})["id"]
        for permset in ("Standard User", "Chatter: User"):
            assign_permission_set(s, ana, permset)
    with app.session("ana") as s:
        contact = s.create("Contact", {"last_name": "Lee"})
        s.update(contact["id"], {"mailing_city": "Lyon", "email": "lee@example.org", "phone": "123"})
        change, created = feeds.record_feed(s, contact["id"]).items  # one save, one post, a row per field
        assert [c["field"] for c in change["changes"]] == ["mailing_city", "email"]
        assert (created["type"], created["body"], created["owner_id"]) == (
            "RecordCreated",
            "created this contact",
            s.user.id,
        )
        imported = s.create_many_collecting("Contact", [{"last_name": "Imported"}]).records[0]
        assert feeds.record_feed(s, imported["id"]).items == []  # imports post nothing
    with app.system_session() as s:
        tracking.set_tracked_fields(s, "Contact", [])
    with app.session("ana") as s:  # an untracked object: creating posts nothing
        assert feeds.record_feed(s, s.create("Contact", {"last_name": "Quiet"})["id"]).items == []
    with app.session("ana") as s, pytest.raises(AccessDenied, match="customize_application"):
        tracking.set_tracked_fields(s, "Contact", ["phone"])
