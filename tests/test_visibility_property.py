"""Record visibility: the SQL filter, the single-record decision and a plain
reference model agree: owner, role hierarchy (managers see their
subordinates' records, queues and shares), groups, queues, manual shares.

Hypothesis builds random orgs: a forest of roles, users with random roles
(or none) and permission sets, groups and queues with random members (users,
roles, roles with their subordinates, nested groups), Contacts owned by users
or queues, manual shares to users, groups, roles and roles-with-subordinates
at read or edit, and a random org-wide default. For every user and Contact:

- (a) the ids ``session.query("Contact")`` returns as that user (and
  ``session.count``),
- (b) ``policy.record_access(session, Contact, row)``,
- (c) ``Reference.access`` below, written straight from the rules,

agree on read, and (b) and (c) agree on edit. Reads by id agree too:
``session.get_many`` of every Contact returns the readable ones, and of a
Note on each Contact (Controlled by Parent, whose reads by id check the
parents apart) the notes on the readable ones, as ``query("Note")`` does.

One org (one database) per test function; every example wipes what the
previous one created, so examples cost a few dozen small inserts each.
Two fixed examples (``SHOWCASE``) exercise every kind of grant whatever
Hypothesis draws; a run covers several thousand (user, Contact) cases.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from missionbase.core import PermissionSet
from missionbase.core.errors import AccessDenied
from missionbase.core.ids import SYSTEM_USER_ID
from missionbase.core.security.sharing import (
    assign_permission_set,
    resolve_grantee,
    set_sharing_default,
    share_record,
)
from missionbase.core.testing import permission_sets_plugin

# -- the reference model's own copy of the rules ---------------------------------------

# Contact letters of each permission set the test assigns (the admin may do everything).
PERMSET_LETTERS = {
    "Standard User": "CRED",
    "Read Only": "R",
    "Contact View All": "RV",
    "Contact Modify All": "RM",
}
SHARE_TYPES = ("user", "group", "role", "role_and_subordinates")
MEMBER_KINDS = ("user", "role", "role_sub", "group")


def contact_letters(permsets) -> set[str]:
    """Union of the sets; Modify All implies View All and Edit, anything implies Read."""
    letters: set[str] = set()
    for name in permsets:
        letters |= set(PERMSET_LETTERS[name])
    if "M" in letters:
        letters |= {"R", "E", "D", "V"}
    if letters & set("CEDV"):
        letters.add("R")
    return letters


def visibility_sets() -> types.ModuleType:
    """Two extra sets, declared the way a plugin ships them."""
    return permission_sets_plugin(
        "test_plugin_visibility",
        PermissionSet("Contact View All", objects={"Contact": "RV"}),
        PermissionSet("Contact Modify All", objects={"Contact": "RM"}),
    )


@dataclass(frozen=True)
class OrgSpec:
    """An org by indices, so Hypothesis can shrink it; ids are assigned when it is built."""

    role_parents: tuple[int | None, ...]  # role i's parent is an earlier role (a forest)
    users: tuple[tuple[int | None, tuple[str, ...]], ...]  # (role, permission sets)
    groups: int
    queues: int
    # (container, kind, index): containers 0..groups-1 are groups, then queues;
    # kind user / role / role_sub (role and subordinates) / group (nested)
    members: tuple[tuple[int, str, int], ...]
    contacts: tuple[tuple[str, int], ...]  # owner: ("user", i) or ("queue", q)
    shares: tuple[tuple[int, str, int, str], ...]  # (contact, grantee type, grantee index, level)
    default: str


@st.composite
def org_specs(draw) -> OrgSpec:
    # A forest, mostly deep: role i hangs under an earlier role, or is a root (index -1).
    n_roles = draw(st.integers(1, 7))
    parents = [draw(st.integers(-1, i - 1)) if i else -1 for i in range(n_roles)]
    role_parents = tuple(p if p >= 0 else None for p in parents)
    role_choice = st.integers(-1, n_roles - 1).map(lambda r: r if r >= 0 else None)
    base_set = st.sampled_from(["Standard User", "Standard User", "Read Only", None])
    extra_set = st.sampled_from([None, None, None, None, "Contact View All", "Contact Modify All"])
    n_users = draw(st.integers(3, 12))
    users = []
    for _ in range(n_users):
        sets = tuple(s for s in (draw(base_set), draw(extra_set)) if s)
        users.append((draw(role_choice), sets))
    n_groups, n_queues = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    members = []
    sizes = {"user": n_users, "role": n_roles, "role_sub": n_roles, "group": n_groups}
    for _ in range(draw(st.integers(2, 16))):
        container = draw(st.integers(0, n_groups + n_queues - 1))
        kind = draw(st.sampled_from(MEMBER_KINDS))
        members.append((container, kind, draw(st.integers(0, sizes[kind] - 1))))
    owner = st.tuples(st.just("user"), st.integers(0, n_users - 1)) | st.tuples(
        st.just("queue"), st.integers(0, n_queues - 1)
    )
    contacts = tuple(draw(owner) for _ in range(draw(st.integers(4, 24))))
    sizes = {"user": n_users, "group": n_groups, "role": n_roles, "role_and_subordinates": n_roles}
    shares = []
    for _ in range(draw(st.integers(0, 20))):
        kind = draw(st.sampled_from(SHARE_TYPES))
        shares.append(
            (
                draw(st.integers(0, len(contacts) - 1)),
                kind,
                draw(st.integers(0, sizes[kind] - 1)),
                draw(st.sampled_from(["read", "edit"])),
            )
        )
    default = draw(st.sampled_from(["private", "private", "private", "public_read", "public_read_write"]))
    return OrgSpec(
        role_parents, tuple(users), n_groups, n_queues, tuple(members), contacts, tuple(shares), default
    )


# Every kind of grant at least once, whatever Hypothesis draws: roles 0 > 1 > 2 and 3 apart;
# queue Q0 (container 2) holds role 1 with subordinates and group G1; group G0 holds group G1,
# which holds u4 and role 3.
SHOWCASE = OrgSpec(
    role_parents=(None, 0, 1, None),
    users=(
        (0, ("Standard User",)),
        (1, ("Standard User",)),
        (2, ("Read Only",)),
        (3, ("Standard User",)),
        (None, ("Standard User",)),
        (2, ("Standard User", "Contact View All")),
        (1, ()),
        (None, ("Read Only", "Contact Modify All")),
    ),
    groups=2,
    queues=1,
    members=(
        (0, "group", 1),
        (1, "user", 4),
        (2, "role_sub", 1),
        (1, "role", 3),
        (2, "group", 1),
        (2, "user", 3),
    ),
    contacts=(("user", 2), ("queue", 0), ("user", 3), ("user", 3), ("user", 4), ("user", 0), ("user", 6)),
    shares=(
        (2, "role_and_subordinates", 0, "read"),  # u1 and u2 are below role 0
        (3, "group", 0, "edit"),  # u4 through the nested group, u3 through role 3
        (4, "role", 2, "edit"),  # u2 (read only), u5; u1 and u0 above them
        (5, "user", 2, "read"),
        (5, "user", 2, "edit"),  # the second share of a grantee replaces the first
        (6, "role_and_subordinates", 3, "read"),
    ),
    default="private",
)

# Kinds of grant (see Reference.access) the run must have exercised, so that a narrower
# generator cannot quietly stop testing one of the rules.
REQUIRED_GRANTS = {
    "owner",
    "below:owner",
    "queue:user",
    "queue:role_sub_below",
    "queue:nested",
    "below:queue:role_sub",
    "share:user:edit:user",
    "share:group:edit:nested",
    "share:role:edit:role",
    "share:role_and_subordinates:read:role_sub_below",
    "below:share:role:edit:role",
    "below:share:role_and_subordinates:read:role_sub_below",
}


class Reference:
    """Who may read and edit which Contact, from the rules alone (users by index)."""

    def __init__(self, spec: OrgSpec) -> None:
        self.spec = spec
        self.user_role = [role for role, _ in spec.users]
        self.grants: set[str] = set()

    def roles_below(self, role: int | None) -> set[int]:
        """Roles strictly below ``role`` (children, their children, ...)."""
        if role is None:
            return set()
        below: set[int] = set()
        frontier = {role}
        while frontier:
            frontier = {r for r, parent in enumerate(self.spec.role_parents) if parent in frontier} - below
            below |= frontier
        return below

    def subordinates_or_self(self, user: int) -> set[int]:
        below = self.roles_below(self.user_role[user])
        return {user} | {u for u, role in enumerate(self.user_role) if role in below}

    def routes(self, user: int, container: int, seen: frozenset[int] = frozenset()) -> set[str]:
        """How the user belongs to group/queue ``container`` (empty: not a member): directly,
        by role, by a role-with-subordinates at or above theirs, or through a nested group."""
        role = self.user_role[user]
        found: set[str] = set()
        for target, kind, index in self.spec.members:
            if target != container:
                continue
            if kind == "user" and index == user:
                found.add("user")
            elif kind == "role" and role is not None and index == role:
                found.add("role")
            elif (
                kind == "role_sub" and role is not None and (role == index or role in self.roles_below(index))
            ):
                found.add("role_sub" if role == index else "role_sub_below")
            elif kind == "group" and index not in seen and self.routes(user, index, seen | {container}):
                found.add("nested")
        return found

    def share_routes(self, user: int, kind: str, index: int) -> set[str]:
        role = self.user_role[user]
        if kind == "user":
            return {"user"} if index == user else set()
        if kind == "group":
            return self.routes(user, index)
        if role is None:
            return set()
        if kind == "role":
            return {"role"} if role == index else set()
        if role == index:
            return {"role_sub"}
        return {"role_sub_below"} if role in self.roles_below(index) else set()

    def access(self, user: int | None, contact: int) -> tuple[bool, bool]:
        """(read, edit) for user index ``user`` (None: the admin).

        Also notes in ``self.grants`` which kinds of grant opened something the
        permission sets and the default did not (the test checks every kind was exercised).
        """
        if user is None:
            return True, True
        letters = contact_letters(self.spec.users[user][1])
        if "R" not in letters:
            return False, False
        if "M" in letters:
            return True, True
        default = self.spec.default
        read = "V" in letters or default in ("public_read", "public_read_write")
        edit = default == "public_read_write"
        opened = read and edit  # nothing more to gain
        owner_kind, owner = self.spec.contacts[contact]
        # Last share per (record, grantee) wins: sharing again changes the level.
        shares: dict[tuple[str, int], str] = {}
        for record, kind, index, level in self.spec.shares:
            if record == contact:
                shares[(kind, index)] = level
        # The user, and everyone below them in the role hierarchy, whose access the user inherits.
        for person in self.subordinates_or_self(user):
            tag = "below:" if person != user else ""
            grants: set[str] = set()
            if owner_kind == "user" and owner == person:
                read = edit = True
                grants.add("owner")
            if owner_kind == "queue":
                routes = self.routes(person, self.spec.groups + owner)
                if routes:
                    read = edit = True
                    grants |= {f"queue:{r}" for r in routes}
            for (kind, index), level in shares.items():
                routes = self.share_routes(person, kind, index)
                if routes:
                    read = True
                    edit = edit or level == "edit"
                    grants |= {f"share:{kind}:{level}:{r}" for r in routes}
            if not opened:
                self.grants |= {tag + g for g in grants}
        return read, read and edit and "E" in letters


# -- building an example org in the test's database ------------------------------------------


@dataclass
class BuiltOrg:
    user_ids: list[str]
    contact_ids: list[str]
    note_parents: dict[str, str]  # a Note on each Contact: note id -> contact id


def wipe(app, admin_id: str) -> None:
    """Delete everything an example created (the system user and the admin stay)."""
    schema = app.schema
    users = schema.table("User")
    assignments = schema.internal["permset_assignment"]
    setting = schema.internal["setting"]
    with app.connect() as conn, conn.begin():
        conn.execute(schema.internal["share"].delete())
        for name in ("Note", "Contact", "GroupMember", "Group", "Queue"):
            conn.execute(schema.table(name).delete())
        conn.execute(assignments.delete().where(assignments.c.user_id != admin_id))
        conn.execute(users.delete().where(users.c.id.not_in([SYSTEM_USER_ID, admin_id])))
        conn.execute(schema.table("Role").delete())
        conn.execute(setting.delete().where(setting.c.key.like("sharing.default.%")))


def build(app, spec: OrgSpec) -> BuiltOrg:
    with app.system_session() as s:
        role_ids: list[str] = []
        for i, parent in enumerate(spec.role_parents):
            values = {"name": f"Role {i}", "parent": role_ids[parent] if parent is not None else None}
            role_ids.append(s.create("Role", values)["id"])
        users = s.create_many(
            "User",
            [
                {
                    "username": f"u{i}",
                    "name": f"User {i}",
                    "role": role_ids[role] if role is not None else None,
                }
                for i, (role, _) in enumerate(spec.users)
            ],
        )
        user_ids = [u["id"] for u in users]
        for user_id, (_, permsets) in zip(user_ids, spec.users, strict=True):
            for permset in permsets:
                assign_permission_set(s, user_id, permset)
        group_ids = [g["id"] for g in s.create_many("Group", [{"name": f"G{i}"} for i in range(spec.groups)])]
        queue_ids = [
            q["id"]
            for q in s.create_many(
                "Queue", [{"name": f"Q{i}", "objects": "Contact"} for i in range(spec.queues)]
            )
        ]
        containers = group_ids + queue_ids
        member_ids = {"user": user_ids, "role": role_ids, "role_sub": role_ids, "group": group_ids}
        s.create_many(
            "GroupMember",
            [
                {
                    "group": containers[c],
                    "member": member_ids[kind][i],
                    "include_subordinates": kind == "role_sub",
                }
                for c, kind, i in spec.members
            ],
        )
        owner_ids = {"user": user_ids, "queue": queue_ids}
        contacts = s.create_many(
            "Contact",
            [
                {"last_name": f"C{i}", "owner_id": owner_ids[kind][o]}
                for i, (kind, o) in enumerate(spec.contacts)
            ],
        )
        contact_ids = [c["id"] for c in contacts]
        notes = s.create_many("Note", [{"title": f"N{i}", "parent": c} for i, c in enumerate(contact_ids)])
        grantee_ids = {
            "user": user_ids,
            "group": group_ids,
            "role": role_ids,
            "role_and_subordinates": role_ids,
        }
        for record, kind, index, level in spec.shares:
            grantee = resolve_grantee(s, kind, grantee_ids[kind][index])
            share_record(s, contact_ids[record], grantee, level)
        # After the shares: sharing refuses a share below the default, but a default
        # may be raised over existing shares.
        set_sharing_default(s, "Contact", spec.default)
    return BuiltOrg(user_ids, contact_ids, {n["id"]: n["parent"] for n in notes})


def observed(
    app, user_id: str, rows: list[dict], built: BuiltOrg
) -> tuple[set[str], int, dict[str, tuple[bool, bool]]]:
    """(a) query ids and count as the user, (b) record_access per row; and reads by id agree."""
    contact = app.registry.object("Contact")
    with app.session(user_id) as s:
        try:
            ids = {r["id"] for r in s.query("Contact", fields=["id"]).records}
            count = s.count("Contact")
            assert set(s.get_many(built.contact_ids)) == ids, "get_many vs query on Contact"
        except AccessDenied:
            ids, count = set(), 0
        if s.policy.access(s).can("Note", "R"):
            notes_by_id = set(s.get_many(list(built.note_parents)))
            notes_queried = {r["id"] for r in s.query("Note", fields=["id"]).records}
            on_readable = {n for n, parent in built.note_parents.items() if parent in ids}
            assert notes_by_id == notes_queried == on_readable, (
                "Note (controlled by parent) by id and by query"
            )
        decisions = {}
        for row in rows:
            decision = app.access_policy.record_access(s, contact, row)
            decisions[row["id"]] = (decision.read, decision.edit)
    return ids, count, decisions


def test_sql_filter_record_access_and_reference_agree(make_app):
    app = make_app(plugins=["visibility_sets"], extra_plugins={"visibility_sets": visibility_sets()})
    users = app.schema.table("User")
    with app.connect() as conn:
        admin_id = conn.execute(sa.select(users.c.id).where(users.c.username == "admin")).scalar_one()
    contacts_table = app.schema.table("Contact")
    cases = [0]
    grants_seen: set[str] = set()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(spec=org_specs())
    @example(spec=SHOWCASE)
    @example(spec=dataclasses.replace(SHOWCASE, default="public_read"))
    def check(spec: OrgSpec) -> None:
        wipe(app, admin_id)
        built = build(app, spec)
        with app.connect() as conn:
            rows = [dict(r) for r in conn.execute(sa.select(contacts_table)).mappings()]
        assert len(rows) == len(spec.contacts)
        reference = Reference(spec)
        index_of = {contact_id: i for i, contact_id in enumerate(built.contact_ids)}
        people = [(i, user_id) for i, user_id in enumerate(built.user_ids)] + [(None, admin_id)]
        for user, user_id in people:
            ids, count, decisions = observed(app, user_id, rows, built)
            expected = {contact_id: reference.access(user, index_of[contact_id]) for contact_id in index_of}
            readable = {contact_id for contact_id, (read, _) in expected.items() if read}
            who = f"user u{user}" if user is not None else "admin"
            for contact_id, (read, edit) in expected.items():
                c = index_of[contact_id]
                where = f"{who} on contact C{c} (owner {spec.contacts[c]})"
                assert (contact_id in ids) == read, f"SQL filter vs reference: {where}: expected read={read}"
                assert decisions[contact_id][0] == read, (
                    f"record_access vs reference: {where}: expected read={read}"
                )
                assert decisions[contact_id][1] == edit, (
                    f"record_access vs reference: {where}: expected edit={edit}"
                )
                cases[0] += 1
            assert ids == readable
            assert count == len(readable)
        grants_seen.update(reference.grants)

    check()
    assert cases[0] >= 2000, f"only {cases[0]} (user, record) cases were checked"
    missing = REQUIRED_GRANTS - grants_seen
    assert not missing, f"no example exercised {sorted(missing)}"
