"""Who a user is for access purposes, computed once per session.

Everything here grows with the number of users, roles and groups, never with
the number of records: a role or membership change is simply seen by the
next session, with nothing to rebuild.

- **Permission sets** (union of the assigned sets): object letters
  C R E D V M, field levels, system permissions.
- **Hierarchy set** H: the user and every user whose role is below theirs.
  A user gets the owner's access to what anyone in H owns or has been
  shared (Salesforce: "records owned by, or shared with, the subordinate").
- **Principal keys**: what a share can name that covers someone in H: the
  user, their role (``role:<id>``), every role above or equal to theirs as
  role-and-subordinates (``rs:<id>``), and every group or queue they belong
  to (directly, through their role, or through nested groups).
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa

from ..registry import PermissionSet, Registry

LEVEL_RANK = {"hidden": 0, "read": 1, "edit": 2}
OBJECT_LETTERS = "CREDVM"


def normalise_letters(letters: str) -> frozenset[str]:
    """What object letters imply: Create/Edit/Delete/View All read; Delete edits; Modify All does all."""
    out = set(letters)
    if out & set("CEDVM"):
        out.add("R")
    if "D" in out:
        out.add("E")
    if "M" in out:
        out |= set("EDV")
    return frozenset(out)


def role_key(role_id: str) -> str:
    return f"role:{role_id}"


def role_and_subordinates_key(role_id: str) -> str:
    return f"rs:{role_id}"


@dataclass
class OrgGraph:
    """Users, roles and group memberships of the whole org (small tables)."""

    user_role: dict[str, str | None]
    role_parent: dict[str, str | None]
    members: list[tuple[str, str, bool]]  # (group or queue id, member id, include_subordinates)

    # Lookups built once per graph (a graph serves every user checked in one transaction).
    @cached_property
    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = defaultdict(list)
        for child, parent in self.role_parent.items():
            if parent:
                children[parent].append(child)
        return children

    @cached_property
    def _users_by_role(self) -> dict[str | None, list[str]]:
        by_role: dict[str | None, list[str]] = defaultdict(list)
        for user, role in self.user_role.items():
            by_role[role].append(user)
        return by_role

    @cached_property
    def _groups_by_member(self) -> dict[str, list[tuple[str, bool]]]:
        by_member: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        for group, member, include_subordinates in self.members:
            by_member[member].append((group, include_subordinates))
        return by_member

    def ancestors_or_self(self, role_id: str | None) -> list[str]:
        path, seen = [], set()
        while role_id and role_id not in seen:
            seen.add(role_id)
            path.append(role_id)
            role_id = self.role_parent.get(role_id)
        return path

    def descendants(self, role_id: str | None) -> set[str]:
        """Roles strictly below ``role_id``."""
        if not role_id:
            return set()
        children = self._children
        out: set[str] = set()
        stack = list(children.get(role_id, []))
        while stack:
            role = stack.pop()
            if role not in out:
                out.add(role)
                stack.extend(children.get(role, []))
        return out

    def subordinate_users(self, user_id: str) -> list[str]:
        by_role = self._users_by_role
        return sorted(
            u
            for role in self.descendants(self.user_role.get(user_id))
            for u in by_role.get(role, ())
            if u != user_id
        )

    def groups_of(self, user_id: str) -> set[str]:
        """Groups and queues the user belongs to, directly, by role, or through nested groups."""
        role = self.user_role.get(user_id)
        by_member = self._groups_by_member
        found: set[str] = {g for g, _ in by_member.get(user_id, ())}
        if role is not None:
            found |= {
                g for g, _ in by_member.get(role, ())
            }  # the user's own role, with or without subordinates
            for above in self.ancestors_or_self(role):
                found |= {g for g, include_subordinates in by_member.get(above, ()) if include_subordinates}
        stack = list(found)
        while stack:  # groups that contain a group already found
            for group, _ in by_member.get(stack.pop(), ()):
                if group not in found:
                    found.add(group)
                    stack.append(group)
        return found

    def principal_keys(self, user_id: str) -> set[str]:
        role = self.user_role.get(user_id)
        keys = {user_id} | self.groups_of(user_id)
        if role:
            keys.add(role_key(role))
            keys |= {role_and_subordinates_key(r) for r in self.ancestors_or_self(role)}
        return keys


def load_graph(conn: sa.Connection, schema) -> OrgGraph:
    users, roles, members = schema.table("User"), schema.table("Role"), schema.table("GroupMember")
    alive = sa.false()
    user_role = dict(
        # Deactivated users stay in the hierarchy: their manager keeps the owner's access
        # to what they own (Private means "the owner and roles above").
        conn.execute(sa.select(users.c.id, users.c.role).where(users.c.is_deleted == alive)).all()
    )
    role_parent = dict(
        conn.execute(sa.select(roles.c.id, roles.c.parent).where(roles.c.is_deleted == alive)).all()
    )
    member_rows = conn.execute(
        sa.select(members.c.group, members.c.member, members.c.include_subordinates).where(
            members.c.is_deleted == alive
        )
    ).all()
    return OrgGraph(user_role, role_parent, [(g, m, bool(s)) for g, m, s in member_rows])


_GRAPH_KEY = "missionbase.org_graph"


def org_graph(conn: sa.Connection, schema) -> OrgGraph:
    """The org graph, loaded once per transaction (and savepoint) of ``conn`` and then reused.

    Checking many users in one run (``session.as_user`` for notifications and digests) then
    costs one load, not one per user. A write to a user, role or group membership through a
    RecordService forgets it (``forget_org_graph``, a core trigger), and a savepoint that ends
    is a new key, so a rolled-back change is never served from the cache.
    """
    transaction = conn.get_transaction()
    if transaction is None:
        return load_graph(conn, schema)
    key = (transaction, conn.get_nested_transaction(), schema)
    cached = conn.info.get(_GRAPH_KEY)
    if cached is not None and all(a is b for a, b in zip(cached[0], key, strict=True)):
        return cached[1]
    graph = load_graph(conn, schema)
    conn.info[_GRAPH_KEY] = (key, graph)
    return graph


def forget_org_graph(conn: sa.Connection) -> None:
    conn.info.pop(_GRAPH_KEY, None)


@dataclass
class UserAccess:
    """One user's rights, as the access policy needs them."""

    user_id: str
    permission_sets: list[PermissionSet]
    object_letters: dict[str, frozenset[str]]
    system: frozenset[str]
    hierarchy: list[str]  # the user first, then subordinates
    queues: list[str]  # queues of anyone in the hierarchy set
    principal_keys: frozenset[str]
    role_path: list[str] = field(default_factory=list)  # the user's role and those above it
    _field_cache: dict[tuple[str, str], str] = field(default_factory=dict)
    settings: dict[str, str] | None = None  # org settings read in the same statement, when asked

    def letters(self, object_name: str) -> frozenset[str]:
        return self.object_letters.get(object_name, frozenset())

    def can(self, object_name: str, letter: str) -> bool:
        return letter in self.letters(object_name)

    def field_level(self, registry: Registry, object_name: str, field_name: str) -> str:
        key = (object_name, field_name)
        level = self._field_cache.get(key)
        if level is None:
            level = compute_field_level(registry, self.permission_sets, object_name, field_name)
            self._field_cache[key] = level
        return level


def compute_field_level(
    registry: Registry, sets: list[PermissionSet], object_name: str, field_name: str
) -> str:
    """Union over the sets: an explicit entry, else the object's access (sensitive fields need an entry)."""
    obj = registry.objects.get(object_name)
    fld = obj.field(field_name) if obj else None
    best = "hidden"
    for permset in sets:
        explicit = permset.fields.get(f"{object_name}.{field_name}")
        letters = set_letters(permset, object_name)
        if explicit is not None:
            level = explicit
        elif fld is not None and fld.sensitive:
            continue
        elif "E" in letters:
            level = "edit"
        elif "R" in letters:
            level = "read"
        else:
            continue
        if LEVEL_RANK[level] > LEVEL_RANK[best]:
            best = level
    if best == "edit" and fld is not None and fld.read_only:
        best = "read"
    return best


def set_letters(permset: PermissionSet, object_name: str) -> frozenset[str]:
    if "modify_all_data" in permset.system:
        return frozenset(OBJECT_LETTERS)
    letters = permset.objects.get(object_name, "") + permset.objects.get("*", "")
    if "view_all_data" in permset.system:
        letters += "RV"
    return normalise_letters(letters)


def assigned_set_names(
    conn: sa.Connection, schema, user_id: str, settings_prefix: str | None = None
) -> tuple[list[str], dict[str, str] | None]:
    """The user's permission set names and, when ``settings_prefix`` is given, the org settings
    whose keys start with it (the sharing defaults): one statement, as a session needs both
    before its first read."""
    table, settings = schema.internal["permset_assignment"], schema.internal["setting"]
    assigned = sa.select(
        sa.literal("set").label("kind"),
        table.c.permset.label("key"),
        sa.literal(None, settings.c.value.type).label("value"),
    ).where(table.c.user_id == user_id)
    if settings_prefix is None:
        return [row.key for row in conn.execute(assigned)], None
    chosen = sa.select(sa.literal("setting").label("kind"), settings.c.key, settings.c.value).where(
        settings.c.key.like(settings_prefix + "%")
    )
    names, found = [], {}
    for row in conn.execute(sa.union_all(assigned, chosen)):
        if row.kind == "set":
            names.append(row.key)
        else:
            found[row.key] = row.value
    return names, found


# registry -> permission set names -> (object letters, field levels): both follow from the sets'
# declarations alone, so sessions of users with the same sets share them.
_BY_SETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def load_user_access(
    conn: sa.Connection, schema, registry: Registry, user_id: str, settings_prefix: str | None = None
) -> UserAccess:
    names, settings = assigned_set_names(conn, schema, user_id, settings_prefix)
    sets = [registry.permission_sets[n] for n in names if n in registry.permission_sets]
    system = frozenset(p for s in sets for p in s.system)
    by_sets = _BY_SETS.setdefault(registry, {})
    shared = by_sets.get(tuple(sorted(s.name for s in sets)))
    if shared is None:
        objects: dict[str, frozenset[str]] = {}
        for object_name in registry.objects:
            letters: set[str] = set()
            for permset in sets:
                letters |= set_letters(permset, object_name)
            objects[object_name] = frozenset(letters)
        if len(by_sets) >= 256:
            by_sets.pop(next(iter(by_sets)))
        shared = by_sets[tuple(sorted(s.name for s in sets))] = (objects, {})
    objects, field_levels = shared
    graph = org_graph(conn, schema)
    hierarchy = [user_id, *graph.subordinate_users(user_id)]
    keys: set[str] = set()
    queues: set[str] = set()
    for member in hierarchy:
        member_keys = graph.principal_keys(member)
        keys |= member_keys
        queues |= {k for k in member_keys if k.startswith("que_")}
    return UserAccess(
        user_id=user_id,
        permission_sets=sets,
        object_letters=objects,
        system=system,
        hierarchy=hierarchy,
        queues=sorted(queues),
        principal_keys=frozenset(keys),
        role_path=graph.ancestors_or_self(graph.user_role.get(user_id)),
        _field_cache=field_levels,
        settings=settings,
    )
