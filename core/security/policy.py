"""Record security: object permissions, field-level security and sharing.

Two views of one rule, which must always agree (a property test checks
them against a plain reference model):

- ``record_access(session, obj, row)``: can this user read / edit / delete
  / share this stored record, and why (``access explain`` prints the why);
- ``readable_filter(session, object, table)``: the same "read" rule as a SQL
  condition placed inside every query, count, export and lookup check.

Read comes from: view_all_data / modify_all_data; View All / Modify All on
the object; an org-wide default of Public Read Only or Public Read/Write;
ownership by the user, by a user below them in the role hierarchy, or by a
queue one of those belongs to; a manual share to any of them (directly, by
role, role-and-subordinates or group). Controlled-by-parent objects follow
their parent record. Edit needs the object's Edit permission and the same
sources at edit level; delete needs Delete and ownership (or Modify All).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .. import fields as f
from ..errors import AccessDenied
from .model import UserAccess, load_user_access

ACTION_LETTER = {"read": "R", "create": "C", "edit": "E", "delete": "D"}
LEVELS = ("private", "public_read", "public_read_write", "controlled_by_parent")
LEVEL_LABEL = {
    "private": "Private",
    "public_read": "Public Read Only",
    "public_read_write": "Public Read/Write",
    "controlled_by_parent": "Controlled by Parent",
}
SHARING_SETTING_PREFIX = "sharing.default."


@dataclass
class RecordAccess:
    read: bool = False
    edit: bool = False
    delete: bool = False
    share: bool = False
    reasons: list[str] = field(default_factory=list)


class SecurityPolicy:
    """The AccessPolicy core installs: permission sets, FLS and sharing."""

    # -- per-session state (session.security) --------------------------------------
    def access(self, session) -> UserAccess:
        state = session.security
        if state.user_access is None:
            # The sharing defaults come in the same statement unless this session already has them.
            prefix = SHARING_SETTING_PREFIX if state.sharing_defaults is None else None
            loaded = load_user_access(
                session.conn, session.schema, session.registry, session.user.id, settings_prefix=prefix
            )
            state.user_access = loaded
            if loaded.settings is not None:
                state.sharing_defaults = _defaults_from(loaded.settings)
        return state.user_access

    def sharing_default(self, session, object_name: str) -> str:
        state = session.security
        if state.sharing_defaults is None:
            table = session.schema.internal["setting"]
            rows = session.conn.execute(
                sa.select(table.c.key, table.c.value).where(table.c.key.like(SHARING_SETTING_PREFIX + "%"))
            )
            state.sharing_defaults = _defaults_from(dict(rows.all()))
        return state.sharing_defaults.get(object_name) or session.registry.object(object_name).sharing

    def invalidate_sharing_defaults(self, session) -> None:
        session.security.sharing_defaults = None  # a new dict is read next, which resets the memo too

    def is_admin(self, session) -> bool:
        return (
            "customize_application" in self.access(session).system
            or "modify_all_data" in self.access(session).system
        )

    def has_system_permission(self, session, name: str) -> bool:
        return name in self.access(session).system

    # -- object and field permissions ---------------------------------------------
    def check_object(self, session, object_name: str, action: str) -> None:
        access = self.access(session)
        letter = ACTION_LETTER[action]
        if not access.can(object_name, letter):
            granting = sorted(
                name
                for name, ps in session.registry.permission_sets.items()
                if letter in _letters_of(ps, object_name)
            )
            hint = f"; permission sets that grant it: {', '.join(granting)}" if granting else ""
            raise AccessDenied(
                f"{session.user.username} has no {action.capitalize()} permission on {object_name}{hint}"
            )

    def field_access(self, session, object_name: str, field_name: str) -> str:
        return self.access(session).field_level(session.registry, object_name, field_name)

    # -- records ---------------------------------------------------------------------
    def readable_filter(self, session, object_name: str, table) -> Any | None:
        # Built once per session, object and table: the condition only depends on the session's
        # access and sharing defaults (both kept in session.security; a new defaults dict resets it).
        filters = self.memo(session)
        key = (object_name, table)
        if key not in filters:
            filters[key] = self._filter(session, object_name, table, "read", depth=0)
        return filters[key]

    def memo(self, session) -> dict:
        """SQL already built for this user's access (shared by their sessions): read conditions,
        and what callers build from them (a dict they may add their own keys to).

        A condition depends only on the user, their access and the sharing defaults (what it
        reads -- shares, memberships -- is read by the SQL when it runs), so sessions with the
        same inputs reuse it; any change of those inputs is a new key.
        """
        access = self.access(session)
        self.sharing_default(session, "User")  # loads the session's defaults (if access did not)
        state = session.security
        defaults = state.sharing_defaults
        memo = state.readable_filters
        if memo is not None and memo[0] is defaults and memo[1] is access:
            return memo[2]
        key = (
            id(session.schema),
            access.user_id,
            tuple(access.hierarchy),
            tuple(access.queues),
            access.principal_keys,
            access.system,
            frozenset(access.object_letters.items()),
            frozenset(defaults.items()),
        )
        cache = self.__dict__.setdefault("_filter_cache", {})
        entry = cache.get(key)
        if entry is None or entry[0] is not session.schema:
            if len(cache) >= 256:
                cache.pop(next(iter(cache)))
            entry = cache[key] = (session.schema, {})
        state.readable_filters = (defaults, access, entry[1])
        return entry[1]

    def _filter(self, session, object_name: str, table, level: str, depth: int):
        granted = self._granted_filter(session, object_name, table, level, depth)
        restricted = self.restriction_filter(session, object_name, table)
        if restricted is None or isinstance(granted, sa.sql.elements.False_):
            return granted
        return restricted if granted is None else sa.and_(granted, restricted)

    def restriction_filter(self, session, object_name: str, table):
        """The object's restriction rules as SQL (None: nothing restricts this user); part of
        ``readable_filter``, on its own for reads that check the rest apart."""
        parts = []
        system = self.access(session).system
        for restriction in session.registry.object(object_name).restrictions:
            if restriction.exempt and restriction.exempt in system:
                continue
            member_object, id_field, user_field = restriction.membership
            members = session.schema.table(member_object)
            member_of = sa.select(members.c[id_field]).where(
                members.c[user_field] == session.user.id, members.c.is_deleted == sa.false()
            )
            column = table.c[restriction.field]
            parts.append(sa.or_(column.is_(None), column.in_(member_of)))
        return sa.and_(*parts) if parts else None

    def _failed_restriction(self, session, obj, row: dict) -> str | None:
        """Why a restriction rule hides this stored row from the user (None: it does not)."""
        system = self.access(session).system
        for restriction in obj.restrictions:
            value = row.get(restriction.field)
            if value is None or (restriction.exempt and restriction.exempt in system):
                continue
            member_object, id_field, user_field = restriction.membership
            members = session.schema.table(member_object)
            found = session.conn.execute(
                sa.select(members.c.id).where(
                    members.c[id_field] == value,
                    members.c[user_field] == session.user.id,
                    members.c.is_deleted == sa.false(),
                )
            ).first()
            if found is None:
                exempt = f" (or {restriction.exempt})" if restriction.exempt else ""
                return (
                    f"restricted by {restriction.field} to members of {value} in {member_object}{exempt}; "
                    "you are not one"
                )
        return None

    def _granted_filter(self, session, object_name: str, table, level: str, depth: int):
        access = self.access(session)
        letters = access.letters(object_name)
        if "R" not in letters:
            return sa.false()
        if "M" in letters or (level == "read" and "V" in letters):
            return None
        default = self.sharing_default(session, object_name)
        if default == "public_read_write" or (default == "public_read" and level == "read"):
            return None
        if default == "controlled_by_parent":
            return self._parent_filter(session, object_name, table, level, depth)
        owners = [*access.hierarchy, *access.queues]
        shares = session.schema.internal["share"]
        share_match = sa.and_(
            shares.c.record_id == table.c.id, shares.c.grantee_key.in_(sorted(access.principal_keys))
        )
        if level == "edit":
            share_match = sa.and_(share_match, shares.c.level == "edit")
        return sa.or_(table.c.owner_id.in_(owners), sa.exists(sa.select(sa.literal(1)).where(share_match)))

    def _parent_filter(self, session, object_name: str, table, level: str, depth: int):
        obj = session.registry.object(object_name)
        lookup = obj.field(obj.parent_field)
        if depth > 4:
            return sa.false()  # a chain of controlled-by-parent objects this deep is a modelling error
        column = table.c[lookup.name]
        open_prefixes, options = [], []
        for target in parent_targets(session.registry, lookup):
            parent_table = _alias(
                session.schema.table(target), f"p{depth}_{session.registry.object(target).prefix}"
            )
            condition = self._filter(session, target, parent_table, level, depth + 1)
            if isinstance(condition, sa.sql.elements.False_):
                continue
            if condition is None:  # every record of that object is open to the user
                open_prefixes.append(session.registry.object(target).prefix)
                continue
            # Correlated on the child's parent id: one primary-key probe per child row, so a page of
            # children never enumerates every readable parent (an IN (subquery) would, on SQLite).
            parent_readable = sa.select(sa.literal(1)).where(
                parent_table.c.id == column, parent_table.c.is_deleted == sa.false(), condition
            )
            options.append(sa.exists(parent_readable))
        if open_prefixes:
            options.append(sa.func.substr(column, 1, 3).in_(open_prefixes))
        return sa.or_(*options) if options else sa.false()

    def parent_decides(self, session, object_name: str) -> bool:
        """Whether this user reads the object's records exactly when they can read the records'
        parents (Controlled by Parent, without View All or Modify All on the object); reads by
        id then check the parents apart (``readable_parents``)."""
        letters = self.access(session).letters(object_name)
        return (
            "R" in letters
            and "M" not in letters
            and "V" not in letters
            and self.sharing_default(session, object_name) == "controlled_by_parent"
        )

    def readable_parents(self, session, object_name: str, parent_ids: set[str]) -> set[str]:
        """The ids among ``parent_ids`` whose records open their ``object_name`` children to
        this user for reading: ``_parent_filter``'s rule, asked of each parent object for these
        ids only (one statement; none when every parent object is wholly open or closed)."""
        obj = session.registry.object(object_name)
        by_prefix = {
            session.registry.object(t).prefix: t
            for t in parent_targets(session.registry, obj.field(obj.parent_field))
        }
        wanted: dict[str, list[str]] = {}
        for parent_id in parent_ids:
            target = by_prefix.get(str(parent_id)[:3])
            if target is not None:
                wanted.setdefault(target, []).append(parent_id)
        readable: set[str] = set()
        checked: dict[str, list[str]] = {}
        for target, ids in sorted(wanted.items()):
            condition = self.readable_filter(session, target, session.schema.table(target))
            if condition is None:  # every record of that object is open (as in _parent_filter)
                readable.update(ids)
            elif not isinstance(condition, sa.sql.elements.False_):
                checked[target] = ids
        if checked:
            statement = self._parents_statement(session, tuple(checked))
            params = {f"ids_{i}": ids for i, ids in enumerate(checked.values())}
            readable.update(session.conn.execute(statement, params).scalars())
        return readable

    def _parents_statement(self, session, targets: tuple[str, ...]):
        memo = self.memo(session)
        key = ("readable_parents", targets)
        if key not in memo:
            checks = []
            for index, target in enumerate(targets):
                table = session.schema.table(target)
                ids = sa.bindparam(f"ids_{index}", expanding=True, type_=sa.String)
                checks.append(
                    sa.select(table.c.id).where(
                        table.c.id.in_(ids),
                        table.c.is_deleted == sa.false(),
                        self.readable_filter(session, target, table),
                    )
                )
            memo[key] = checks[0] if len(checks) == 1 else sa.union_all(*checks)
        return memo[key]

    def check_rows(self, session, object_name: str, action: str, rows: list[dict]) -> None:
        obj = session.registry.object(object_name)
        for row in rows:
            decision = self.record_access(session, obj, row)
            allowed = {
                "read": decision.read,
                "edit": decision.edit,
                "delete": decision.delete,
                "create": True,
            }[action]
            if not allowed:
                raise AccessDenied(
                    f"{session.user.username} cannot {action} {object_name} {row['id']} "
                    f"('missionbase access explain --as {session.user.username} {row['id']}' says why)"
                )

    def record_access(self, session, obj, row: dict, depth: int = 0) -> RecordAccess:
        """The single-record decision, with the reasons ``access explain`` prints."""
        access = self.access(session)
        letters = access.letters(obj.name)
        out = RecordAccess()
        if "R" not in letters:
            out.reasons.append(f"no Read permission on {obj.name} in any assigned permission set")
            return out
        grant_read = grant_edit = owner_like = False
        if "modify_all_data" in access.system or "M" in letters:
            grant_read = grant_edit = owner_like = True
            out.reasons.append("Modify All on " + obj.name if "M" in letters else "modify_all_data")
        elif "view_all_data" in access.system or "V" in letters:
            grant_read = True
            out.reasons.append("View All on " + obj.name if "V" in letters else "view_all_data")
        default = self.sharing_default(session, obj.name)
        if default == "public_read":
            grant_read = True
            out.reasons.append("org-wide default Public Read Only")
        elif default == "public_read_write":
            grant_read = grant_edit = True
            out.reasons.append("org-wide default Public Read/Write")
        elif default == "controlled_by_parent":
            parent_id = row.get(obj.parent_field)
            parent_obj = session.registry.object_for_id(parent_id) if parent_id else None
            allowed = parent_targets(session.registry, obj.field(obj.parent_field))
            if parent_obj is not None and parent_obj.name in allowed and depth <= 4:
                parent_row = _load_row(session, parent_obj, parent_id)
                if parent_row is not None:
                    parent = self.record_access(session, parent_obj, parent_row, depth + 1)
                    grant_read |= parent.read
                    grant_edit |= parent.edit
                    out.reasons.append(
                        f"controlled by parent {parent_obj.name} {parent_id}: "
                        f"{'edit' if parent.edit else 'read' if parent.read else 'no access'}"
                    )
        else:
            out.reasons.append("org-wide default Private")
        owner = row.get("owner_id")
        if default != "controlled_by_parent":  # a detail record's owner and shares do not count
            if owner == access.user_id:
                grant_read = grant_edit = owner_like = True
                out.reasons.append("owner")
            elif owner in access.hierarchy:
                grant_read = grant_edit = owner_like = True
                out.reasons.append(f"owner {owner} is below in the role hierarchy")
            elif owner in access.queues:
                grant_read = grant_edit = True
                out.reasons.append(
                    f"owned by queue {owner}, of which you (or someone below you) are a member"
                )
            for grantee_key, level in _shares_of(session, row["id"]):
                if grantee_key in access.principal_keys:
                    grant_read = True
                    grant_edit |= level == "edit"
                    out.reasons.append(f"shared with {grantee_key} ({level})")
        restricted = self._failed_restriction(session, obj, row) if grant_read and obj.restrictions else None
        if restricted:
            grant_read = grant_edit = owner_like = False
            out.reasons.append(restricted)
        out.read = grant_read
        out.edit = grant_read and grant_edit and "E" in letters
        out.delete = (
            out.edit and "D" in letters and (owner_like or (default == "controlled_by_parent" and grant_edit))
        )
        out.share = owner_like
        if not out.read:
            out.reasons.append("no ownership, hierarchy, queue or share grants access")
        elif grant_edit and "E" not in letters:
            out.reasons.append(f"no Edit permission on {obj.name}, so read only")
        return out


def _defaults_from(settings: dict[str, str]) -> dict[str, str]:
    return {
        key[len(SHARING_SETTING_PREFIX) :]: value
        for key, value in settings.items()
        if key.startswith(SHARING_SETTING_PREFIX)
    }


def parent_targets(registry, lookup) -> list[str]:
    """Objects whose records can decide a controlled-by-parent record's access.

    A parent lookup to any object ("*", like a Note's) does not follow a
    parent that is itself controlled by its parent: a note on a note is
    readable only with View All, which keeps the access filter one level deep.
    """
    targets = registry.lookup_target_names(lookup)
    if f.ANY_OBJECT in lookup.targets:
        targets = [t for t in targets if registry.objects[t].sharing != "controlled_by_parent"]
    return targets


# table -> alias name -> alias: reused, so building a filter does not set up fresh column
# proxies (and their operator lookups) for every parent object on every query.
_ALIASES: weakref.WeakKeyDictionary[sa.Table, dict[str, Any]] = weakref.WeakKeyDictionary()


def _alias(table: sa.Table, name: str):
    by_name = _ALIASES.setdefault(table, {})
    alias = by_name.get(name)
    if alias is None:
        alias = by_name[name] = table.alias(name)
    return alias


def _letters_of(permset, object_name):
    from .model import set_letters

    return set_letters(permset, object_name)


def _load_row(session, obj, record_id: str) -> dict | None:
    table = session.schema.table(obj.name)
    row = (
        session.conn.execute(
            sa.select(table).where(table.c.id == record_id, table.c.is_deleted == sa.false())
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _shares_of(session, record_id: str) -> list[tuple[str, str]]:
    shares = session.schema.internal["share"]
    return list(
        session.conn.execute(
            sa.select(shares.c.grantee_key, shares.c.level).where(shares.c.record_id == record_id)
        )
    )
