"""Chatter's actions through the REST API, as a script with a token runs them.

Every action: it does its job; a bad option is a 422 naming it; a user
without Chatter access is refused (403); a post, group or record the caller
cannot see is "not found" (404); a read-only token may run the actions that
change nothing and no other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient

from missionbase.core import Grantee, share_record
from missionbase.core.api.app import create_api
from missionbase.core.api.tokens import create_token
from missionbase.core.testing import add_users
from missionbase.plugins.chatter import groups, posting
from missionbase.plugins.chatter.actions import ACTIONS

API = "/api/v1"


@dataclass
class Case:
    """One action's checks; callables take the world (the ids the fixture made)."""

    key: str
    by: str  # the user it succeeds for
    ok: Any  # w -> input
    then: Any  # (w, result) -> None, asserting the effect
    bad: tuple[dict, str]  # input, and the field the 422 names
    record: Any = None  # w -> the record id, for a record action
    refused: tuple | None = None  # (user, w -> record id or None[, w -> input]): 403
    # (user, w -> record id or None, w -> input[, status]): 404 for the record in the path; a record
    # named in the input is a 422 on that field, as for any lookup, saying "or you cannot see it"
    hidden: tuple | None = None
    setup: Any = None  # (org, w) -> None, before the checks
    extra: dict = field(default_factory=dict)


def action_path(key: str, record_id: str | None) -> str:
    action = next(a for a in ACTIONS if a.key == key)
    if action.object is None:
        return f"{API}/actions/{key}"
    if action.on_record:
        return f"{API}/objects/{action.object}/records/{record_id}/actions/{action.name}"
    return f"{API}/objects/{action.object}/actions/{action.name}"


class Clients:
    def __init__(self, org):
        self.org = org
        self.api = create_api(org)

    def __call__(self, username: str, scope: str = "read_write") -> TestClient:
        with self.org.session(username) as s:
            secret, _ = create_token(s, f"{username}'s script", scope=scope)
        headers = {"Authorization": f"Bearer {secret}"}
        return TestClient(self.api, headers=headers, raise_server_exceptions=False)


def problem(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert "Traceback" not in response.text
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


@pytest.fixture
def world(org):
    """Ana's profile post with Cleo's comment (Ben likes the comment), a contact shared with Ben
    and a secret one, groups (public Choir, public Crew with Ben, private Board with a post and
    two pending requests, unlisted Hideout), Ben following Cleo, and a notification each for
    Ben and Ana. Olga has no Chatter access."""
    users = org.users | add_users(org, {"olga": "Olga Outside"}, ("Standard User",))
    users |= add_users(org, {"dan": "Dan Dale"}, ("Standard User", "Chatter: User"))
    w = SimpleNamespace(users=users)
    with org.session("ana") as s:
        w.contact = s.create("Contact", {"last_name": "Figueroa"})["id"]
        share_record(s, w.contact, Grantee("user", users["ben"], "ben"), "read")
        w.secret = s.create("Contact", {"last_name": "Secret"})["id"]
        w.post = posting.post(s, s.user.id, "Bake sale, ask @[Ben Okafor]").record["id"]
        w.choir = groups.create_group(s, "Choir")["id"]
        w.crew = groups.create_group(s, "Crew")["id"]
        w.board = groups.create_group(s, "Board", visibility="Private")["id"]
        w.board_post = posting.post(s, w.board, "Budget draft").record["id"]
        w.board_comment = posting.comment(s, w.board_post, "Numbers attached").record["id"]
        w.hideout = groups.create_group(s, "Hideout", visibility="Unlisted")["id"]
    with org.system_session() as s:  # a request only the unlisted group's members see
        w.hidden_request = s.create("ChatterJoinRequest", {"group": w.hideout, "requester": users["dan"]})[
            "id"
        ]
    with org.session("cleo") as s:
        w.comment = posting.comment(s, w.post, "Count me in").record["id"]
        w.request = groups.request_to_join(s, "Board")["id"]
    with org.session("dan") as s:
        w.request2 = groups.request_to_join(s, "Board")["id"]
    with org.session("ben") as s:
        groups.join(s, "Crew")
        posting.like(s, w.post, w.comment)
        s.create("Follow", {"target": users["cleo"]})
        w.notification = s.query("ChatterNotification", fields=["id"]).records[0]["id"]
    with org.session("ana") as s:
        w.ana_notification = s.query("ChatterNotification", fields=["id"]).records[0]["id"]
    return w


def _archived(org, w):
    with org.session("ana") as s:
        groups.set_archived(s, w.crew, True)


CASES = [
    Case(
        "chatter.post",
        "ben",
        ok=lambda w: {"body": "Met today", "parent": w.contact},
        then=lambda w, r: r["parent"] == w.contact and r["owner_id"] == w.users["ben"],
        bad=({"body": "x", "announcement": "maybe"}, "announcement"),
        refused=("olga", None),
        hidden=("ben", None, lambda w: {"body": "Hi", "parent": w.secret}, 422),
    ),
    Case(
        "chatter.feed",
        "cleo",
        ok=lambda w: {"user": "ana"},
        then=lambda w, r: [i["id"] for i in r["items"]] == [w.post],
        bad=({"limit": "many"}, "limit"),
        refused=("olga", None),
        hidden=("ben", None, lambda w: {"record": w.secret}),
    ),
    Case(
        "chatter.follow",
        "ben",
        ok=lambda w: {"target": w.contact},
        then=lambda w, r: r["target"] == w.contact,
        bad=({"target": 5}, "target"),
        refused=("olga", None, lambda w: {"target": "cleo"}),
        hidden=("ben", None, lambda w: {"target": w.secret}),
    ),
    Case(
        "chatter.unfollow",
        "ben",
        ok=lambda w: {"target": "cleo"},
        then=lambda w, r: r == {"target": w.users["cleo"], "following": False},
        bad=({"target": None}, "target"),
        refused=("olga", None),
    ),
    Case(
        "chatter.track_fields",
        "admin",
        ok=lambda w: {"object": "Contact", "fields": ["mailing_city"]},
        then=lambda w, r: r == {"object": "Contact", "fields": ["mailing_city"]},
        bad=({"object": "Contact", "fields": "mailing_city"}, "fields"),
        refused=("ana", None),
    ),
    Case(
        "FeedItem.comment",
        "ben",
        record=lambda w: w.post,
        ok=lambda w: {"body": "Lovely"},
        then=lambda w, r: r["post"] == w.post and r["notes"] == [],
        bad=({}, "body"),
        refused=("olga", lambda w: w.post),
        hidden=("ben", lambda w: w.board_post, lambda w: {"body": "Hi"}),
    ),
    Case(
        "FeedItem.like",
        "ben",
        record=lambda w: w.post,
        ok=lambda w: {},
        then=lambda w, r: r["post"] == w.post and r["comment"] is None,
        bad=({"comment": 5}, "comment"),
        refused=("olga", lambda w: w.post),
        hidden=("ben", lambda w: w.board_post, lambda w: {}),
    ),
    Case(
        "FeedItem.unlike",
        "ben",
        record=lambda w: w.post,
        ok=lambda w: {"comment": w.comment},
        then=lambda w, r: r == {"post": w.post, "comment": w.comment, "liked": False},
        bad=({"comment": ["x"]}, "comment"),
        refused=("olga", lambda w: w.post),
        hidden=("ben", lambda w: w.board_post, lambda w: {}),
    ),
    Case(
        "FeedItem.share",
        "ben",
        record=lambda w: w.post,
        ok=lambda w: {"body": "Worth reading"},
        then=lambda w, r: r["shared_from"] == w.post and r["parent"] == w.users["ben"],
        bad=({"parent": 5}, "parent"),
        refused=("olga", lambda w: w.post),
        hidden=("ben", lambda w: w.board_post, lambda w: {}),
    ),
    Case(
        "FeedItem.bookmark",
        "ben",
        record=lambda w: w.post,
        ok=lambda w: {},
        then=lambda w, r: r["post"] == w.post,
        bad=({"folder": "later"}, "folder"),
        refused=("olga", lambda w: w.post),
        hidden=("ben", lambda w: w.board_post, lambda w: {}),
    ),
    Case(
        "FeedItem.mute",
        "ben",
        record=lambda w: w.post,
        ok=lambda w: {},
        then=lambda w, r: r["post"] == w.post,
        bad=({"days": 3}, "days"),
        refused=("olga", lambda w: w.post),
        hidden=("ben", lambda w: w.board_post, lambda w: {}),
    ),
    Case(
        "FeedItem.edit",
        "ana",
        record=lambda w: w.post,
        ok=lambda w: {"body": "Bake sale <b>Sunday</b>"},
        then=lambda w, r: (r["body"], r["revision"]) == ("Bake sale <b>Sunday</b>", 1),
        bad=({"text": "x"}, "text"),
        refused=("ben", lambda w: w.post),
        hidden=("ben", lambda w: w.board_post, lambda w: {"body": "Mine now"}),
    ),
    Case(
        "FeedItem.delete",
        "ana",
        record=lambda w: w.post,
        ok=lambda w: {},
        then=lambda w, r: r == {"id": w.post, "deleted": True},
        bad=({"reason": "spam"}, "reason"),
        refused=("ben", lambda w: w.post),
        hidden=("ben", lambda w: w.board_post, lambda w: {}),
    ),
    Case(
        "FeedComment.edit",
        "cleo",
        record=lambda w: w.comment,
        ok=lambda w: {"body": "Count me in twice"},
        then=lambda w, r: r["body"] == "Count me in twice" and r["id"] == w.comment,
        bad=({"body": None}, "body"),
        refused=("ben", lambda w: w.comment),
        hidden=("ben", lambda w: w.board_comment, lambda w: {"body": "x"}),
    ),
    Case(
        "FeedComment.delete",
        "cleo",
        record=lambda w: w.comment,
        ok=lambda w: {},
        then=lambda w, r: r == {"id": w.comment, "deleted": True},
        bad=({"hard": True}, "hard"),
        refused=("ben", lambda w: w.comment),
        hidden=("ben", lambda w: w.board_comment, lambda w: {}),
    ),
    Case(
        "ChatterGroup.join",
        "ben",
        record=lambda w: w.choir,
        ok=lambda w: {},
        then=lambda w, r: r["user"] == w.users["ben"] and r["group"] == w.choir,
        bad=({"role": "Manager"}, "role"),
        refused=("olga", lambda w: w.choir),
        hidden=("ben", lambda w: w.hideout, lambda w: {}),
    ),
    Case(
        "ChatterGroup.leave",
        "ben",
        record=lambda w: w.crew,
        ok=lambda w: {},
        then=lambda w, r: r == {"group": w.crew, "member": False},
        bad=({"user": "cleo"}, "user"),
        refused=("olga", lambda w: w.crew),
        hidden=("ben", lambda w: w.hideout, lambda w: {}),
    ),
    Case(
        "ChatterGroup.request_to_join",
        "ben",
        record=lambda w: w.board,
        ok=lambda w: {},
        then=lambda w, r: r["status"] == "Pending" and r["requester"] == w.users["ben"],
        bad=({"message": "please"}, "message"),
        refused=("olga", lambda w: w.board),
        hidden=("ben", lambda w: w.hideout, lambda w: {}),
    ),
    Case(
        "ChatterGroup.archive",
        "ana",
        record=lambda w: w.crew,
        ok=lambda w: {},
        then=lambda w, r: r["is_archived"] is True,
        bad=({"archived": False}, "archived"),
        refused=("ben", lambda w: w.crew),
        hidden=("ben", lambda w: w.hideout, lambda w: {}),
    ),
    Case(
        "ChatterGroup.reactivate",
        "ana",
        record=lambda w: w.crew,
        setup=_archived,
        ok=lambda w: {},
        then=lambda w, r: r["is_archived"] is False,
        bad=({"archived": False}, "archived"),
        refused=("ben", lambda w: w.crew),
        hidden=("ben", lambda w: w.hideout, lambda w: {}),
    ),
    Case(
        "ChatterGroup.auto_archive",
        "ana",
        record=lambda w: w.crew,
        ok=lambda w: {"enabled": False},
        then=lambda w, r: r["auto_archive_disabled"] is True,
        bad=({"enabled": "sometimes"}, "enabled"),
        refused=("ben", lambda w: w.crew),
        hidden=("ben", lambda w: w.hideout, lambda w: {"enabled": False}),
    ),
    Case(
        "ChatterGroup.set_frequency",
        "ben",
        record=lambda w: w.crew,
        ok=lambda w: {"frequency": "daily"},
        then=lambda w, r: r["notification_frequency"] == "Daily",
        bad=({"frequency": 3}, "frequency"),
        refused=("olga", lambda w: w.crew),
        hidden=("ben", lambda w: w.hideout, lambda w: {"frequency": "Daily"}),
    ),
    Case(
        "ChatterGroup.members",
        "ben",
        record=lambda w: w.crew,
        ok=lambda w: {},
        then=lambda w, r: {m["user.username"] for m in r} == {"ana", "ben"},
        bad=({"role": "Owner"}, "role"),
        refused=("olga", lambda w: w.crew),
        hidden=("ben", lambda w: w.hideout, lambda w: {}),
    ),
    Case(
        "ChatterJoinRequest.approve",
        "ana",
        record=lambda w: w.request,
        ok=lambda w: {},
        then=lambda w, r: r["status"] == "Accepted",
        bad=({"message": "welcome"}, "message"),
        refused=("olga", lambda w: w.request),
        hidden=("ben", lambda w: w.hidden_request, lambda w: {}),
    ),
    Case(
        "ChatterJoinRequest.decline",
        "ana",
        record=lambda w: w.request2,
        ok=lambda w: {"message": "Board members only"},
        then=lambda w, r: (r["status"], r["response_message"]) == ("Declined", "Board members only"),
        bad=({"message": 5}, "message"),
        refused=("olga", lambda w: w.request2),
        hidden=("ben", lambda w: w.hidden_request, lambda w: {}),
    ),
    Case(
        "ChatterNotification.inbox",
        "ben",
        ok=lambda w: {"unread_only": True},
        then=lambda w, r: [n["id"] for n in r["items"]] == [w.notification],
        bad=({"limit": 0}, "limit"),
        refused=("olga", None),
    ),
    Case(
        "ChatterNotification.mark_read",
        "ben",
        ok=lambda w: {"ids": [w.notification]},
        then=lambda w, r: r == {"marked_read": 1},
        bad=({"ids": "all"}, "ids"),
        refused=("olga", None),
        hidden=("ben", None, lambda w: {"ids": [w.ana_notification]}),
    ),
]


def test_every_chatter_action_has_a_case():
    assert sorted(c.key for c in CASES) == sorted(a.key for a in ACTIONS)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.key)
def test_chatter_action_over_the_api(org, world, case):
    clients = Clients(org)
    action = next(a for a in ACTIONS if a.key == case.key)
    if case.setup:
        case.setup(org, world)
    record = case.record(world) if case.record else None
    path = action_path(case.key, record)
    good = case.ok(world)

    bad, field_name = case.bad
    body = problem(clients(case.by).post(path, json=bad), 422, field_name)
    assert field_name in {e["field"] for e in body["errors"]}

    read_only = clients(case.by, scope="read").post(path, json=good)
    if action.writes:
        problem(read_only, 403, "read-only")
    else:
        assert read_only.status_code == 200, read_only.text

    if case.refused:
        user, refused_record, *given = case.refused
        other = action_path(case.key, refused_record(world) if refused_record else None)
        problem(clients(user).post(other, json=given[0](world) if given else good), 403, user)

    if case.hidden:
        user, hidden_record, hidden_input, *status = case.hidden
        other = action_path(case.key, hidden_record(world) if hidden_record else record)
        answer = problem(clients(user).post(other, json=hidden_input(world)), *(status or [404]))
        assert "or you cannot see it" in answer["detail"]

    done = clients(case.by).post(path, json=good)
    assert done.status_code == 200, done.text
    assert done.json()["action"] == case.key
    assert case.then(world, done.json()["result"]) is not False


def test_unfollowing_a_record_one_cannot_see_answers_as_for_a_made_up_id(org, world):
    ben = Clients(org)("ben")
    secret = ben.post(action_path("chatter.unfollow", None), json={"target": world.secret})
    never = world.secret[:-6] + "ZZZZZZ"  # an id no contact has
    made_up = ben.post(action_path("chatter.unfollow", None), json={"target": never})
    assert secret.status_code == made_up.status_code == 422
    assert secret.json()["detail"].replace(world.secret, "ID") == made_up.json()["detail"].replace(
        never, "ID"
    )


def test_the_openapi_document_has_each_chatter_action_and_its_input(org):
    from missionbase.core.api.actions import input_component

    document = TestClient(create_api(org)).get(f"{API}/openapi.json").json()
    schemas = document["components"]["schemas"]
    for action in ACTIONS:
        path = action_path(action.key, "{record_id}")
        operation = document["paths"][path]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith(input_component(action))
        schema = schemas[input_component(action)]
        expected = set(action.input.model_fields) if action.input else set()
        assert set(schema.get("properties", {})) == expected, action.key
    assert (
        "body" in schemas[input_component(next(a for a in ACTIONS if a.key == "chatter.post"))]["properties"]
    )


def test_actions_list_all_names_every_chatter_action(org, cli_for):
    run = cli_for(org)
    listed = run("actions", "list", "--all", "--json")
    assert listed.exit_code == 0, listed.err
    keys = {a["key"] for a in listed.json()}
    assert {a.key for a in ACTIONS} <= keys
    table = run("actions", "list", "--all")
    assert "FeedItem.comment" in table.out and "chatter.post" in table.out
