"""Security commands: permsets, roles, groups, sharing, access explain."""

from __future__ import annotations

import click

from .context import as_user_option, echo_json, echo_table, json_option, pass_app


# -- permission sets -------------------------------------------------------------------
@click.group()
def permsets():
    """List permission sets and assign them to users."""


@permsets.command("list")
@json_option
@pass_app
def permsets_list(app, as_json):
    rows = [
        {
            "name": p.name,
            "plugin": p.plugin,
            "objects": len(p.objects),
            "system": p.system,
            "description": p.description,
        }
        for p in sorted(app.registry.permission_sets.values(), key=lambda p: p.name)
    ]
    echo_json(rows) if as_json else echo_table(rows, max_width=70)


@permsets.command("show")
@click.argument("name")
@json_option
@pass_app
def permsets_show(app, name, as_json):
    """Object letters (C R E D V M), field levels and system permissions of one set."""
    from ..errors import UnknownName

    permset = app.registry.permission_sets.get(name)
    if permset is None:
        raise UnknownName("permission set", name, app.registry.permission_sets)
    data = {
        "name": permset.name,
        "plugin": permset.plugin,
        "description": permset.description,
        "objects": permset.objects,
        "fields": permset.fields,
        "system": permset.system,
    }
    if as_json:
        echo_json(data)
        return
    click.echo(f"{permset.name} (plugin {permset.plugin}): {permset.description}")
    echo_table([{"object": o, "access": letters} for o, letters in sorted(permset.objects.items())])
    if permset.fields:
        echo_table([{"field": k, "level": v} for k, v in sorted(permset.fields.items())])
    if permset.system:
        click.echo("system: " + ", ".join(permset.system))


@permsets.command("assign")
@click.argument("username")
@click.argument("name")
@as_user_option
@pass_app
def permsets_assign(app, username, name, as_user):
    from ..security.sharing import assign_permission_set

    with app.session(as_user) as s:
        user = app.resolve_user(s.conn, username)
        added = assign_permission_set(s, user.id, name)
    click.echo(f"{username} {'now has' if added else 'already had'} {name}.")


@permsets.command("unassign")
@click.argument("username")
@click.argument("name")
@as_user_option
@pass_app
def permsets_unassign(app, username, name, as_user):
    from ..security.sharing import unassign_permission_set

    with app.session(as_user) as s:
        user = app.resolve_user(s.conn, username)
        unassign_permission_set(s, user.id, name)
    click.echo(f"{username} no longer has {name}.")


@permsets.command("of")
@click.argument("username")
@as_user_option
@json_option
@pass_app
def permsets_of(app, username, as_user, as_json):
    """The permission sets a user has."""
    from ..security.sharing import assigned_permission_sets

    with app.session(as_user) as s:
        user = app.resolve_user(s.conn, username)
        names = assigned_permission_sets(s, user.id)
    echo_json(names) if as_json else click.echo("\n".join(names) or "(none)")


# -- roles ------------------------------------------------------------------------------------
@click.group()
def roles():
    """The role hierarchy: managers see and edit what their reports own."""


@roles.command("list")
@as_user_option
@json_option
@pass_app
def roles_list(app, as_user, as_json):
    with app.session(as_user) as s:
        rows = s.query("Role", fields=["name", "parent.name"], order_by="name").records
    if as_json:
        echo_json(rows)
        return
    children: dict = {}
    for row in rows:
        children.setdefault(row["parent.name"], []).append(row["name"])

    def show(parent, depth):
        for name in children.get(parent, []):
            click.echo("  " * depth + name)
            show(name, depth + 1)

    show(None, 0)


@roles.command("create")
@click.argument("name")
@click.option("--parent", help="The role above it.")
@as_user_option
@pass_app
def roles_create(app, name, parent, as_user):
    with app.session(as_user) as s:
        values = {"name": name}
        if parent:
            values["parent"] = _by_name(s, "Role", parent)
        s.create("Role", values)
    click.echo(f"Created role {name}.")


@roles.command("set-parent")
@click.argument("name")
@click.argument("parent", required=False)
@as_user_option
@pass_app
def roles_set_parent(app, name, parent, as_user):
    """Move a role under PARENT (or to the top without it)."""
    with app.session(as_user) as s:
        s.update(_by_name(s, "Role", name), {"parent": _by_name(s, "Role", parent) if parent else None})
    click.echo(f"{name} is now under {parent or 'nobody'}.")


@roles.command("assign")
@click.argument("username")
@click.argument("role", required=False)
@as_user_option
@pass_app
def roles_assign(app, username, role, as_user):
    """Give a user a role (or none)."""
    with app.session(as_user) as s:
        user = app.resolve_user(s.conn, username)
        s.update(user.id, {"role": _by_name(s, "Role", role) if role else None})
    click.echo(f"{username} now has role {role or '(none)'}.")


# -- groups and queues -------------------------------------------------------------------------
@click.group()
def groups():
    """Public groups and queues, and their members (users, roles, groups)."""


@groups.command("list")
@as_user_option
@json_option
@pass_app
def groups_list(app, as_user, as_json):
    with app.session(as_user) as s:
        rows = [
            {"name": g["name"], "kind": "group", "id": g["id"]}
            for g in s.query("Group", order_by="name").records
        ]
        rows += [
            {"name": q["name"], "kind": "queue", "id": q["id"]}
            for q in s.query("Queue", order_by="name").records
        ]
        for row in rows:
            members = s.query(
                "GroupMember", where={"group": row["id"]}, fields=["member", "include_subordinates"]
            ).records
            row["members"] = [
                _label(s, m["member"]) + (" and subordinates" if m["include_subordinates"] else "")
                for m in members
            ]
    echo_json(rows) if as_json else echo_table(rows, ["name", "kind", "members"], max_width=80)


@groups.command("create")
@click.argument("name")
@click.option("--queue", is_flag=True, help="Create a queue (a shared record owner) instead of a group.")
@as_user_option
@pass_app
def groups_create(app, name, queue, as_user):
    with app.session(as_user) as s:
        s.create("Queue" if queue else "Group", {"name": name})
    click.echo(f"Created {'queue' if queue else 'group'} {name}.")


@groups.command("add-member")
@click.argument("group")
@click.option("--user", "username")
@click.option("--role")
@click.option("--role-and-subordinates", "role_subs")
@click.option("--group", "member_group")
@as_user_option
@pass_app
def groups_add_member(app, group, username, role, role_subs, member_group, as_user):
    """Add one member to a group or queue (a user, a role, a role with its subordinates, or a group)."""
    given = [v for v in (username, role, role_subs, member_group) if v]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --user, --role, --role-and-subordinates, --group")
    with app.session(as_user) as s:
        group_id = _group_or_queue(s, group)
        if username:
            member = app.resolve_user(s.conn, username).id
        elif member_group:
            member = _by_name(s, "Group", member_group)
        else:
            member = _by_name(s, "Role", role or role_subs)
        s.create(
            "GroupMember", {"group": group_id, "member": member, "include_subordinates": bool(role_subs)}
        )
    click.echo(f"Added {given[0]} to {group}.")


@groups.command("remove-member")
@click.argument("group")
@click.argument("member")
@as_user_option
@pass_app
def groups_remove_member(app, group, member, as_user):
    """Remove a member (username, role name or group name) from a group or queue."""
    from ..errors import UnknownName

    with app.session(as_user) as s:
        group_id = _group_or_queue(s, group)
        rows = s.query("GroupMember", where={"group": group_id}, fields=["member"]).records
        matches = [r["id"] for r in rows if _label(s, r["member"]).split(" ", 1)[-1] == member]
        if not matches:
            raise UnknownName(
                "member", member, [_label(s, r["member"]).split(" ", 1)[-1] for r in rows], where=group
            )
        s.delete_many(matches)
    click.echo(f"Removed {member} from {group}.")


# -- sharing -------------------------------------------------------------------------------------
@click.group()
def sharing():
    """Org-wide defaults and manual shares."""


@sharing.command("defaults")
@as_user_option
@json_option
@pass_app
def sharing_defaults_command(app, as_user, as_json):
    """Every object's org-wide default."""
    from ..security.sharing import sharing_defaults

    with app.session(as_user) as s:
        defaults = sharing_defaults(s)
    if as_json:
        echo_json(defaults)
    else:
        echo_table([{"object": k, "default": v} for k, v in defaults.items()])


@sharing.command("set-default")
@click.argument("object_name", metavar="OBJECT")
@click.argument(
    "level", type=click.Choice(["private", "public_read", "public_read_write", "controlled_by_parent"])
)
@as_user_option
@pass_app
def sharing_set_default(app, object_name, level, as_user):
    """Change an object's org-wide default; takes effect at once, nothing to rebuild."""
    from ..security.sharing import set_sharing_default

    with app.session(as_user) as s:
        set_sharing_default(s, object_name, level)
    click.echo(f"{object_name} is now {level}.")


def _grantee_options(func):
    for option in (
        click.option("--user", "username"),
        click.option("--group", "group_name"),
        click.option("--role", "role_name"),
        click.option("--role-and-subordinates", "role_subs"),
    ):
        func = option(func)
    return func


def _grantee(s, username, group_name, role_name, role_subs):
    from ..security.sharing import resolve_grantee

    given = [
        (t, v)
        for t, v in (
            ("user", username),
            ("group", group_name),
            ("role", role_name),
            ("role_and_subordinates", role_subs),
        )
        if v
    ]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --user, --group, --role, --role-and-subordinates")
    return resolve_grantee(s, *given[0])


@sharing.command("add")
@click.argument("record_id", metavar="ID")
@_grantee_options
@click.option("--level", type=click.Choice(["read", "edit"]), default="read", show_default=True)
@as_user_option
@json_option
@pass_app
def sharing_add(app, record_id, username, group_name, role_name, role_subs, level, as_user, as_json):
    """Share a record (owner, users above the owner, or Modify All only)."""
    from ..security.sharing import share_record

    with app.session(as_user) as s:
        share = share_record(s, record_id, _grantee(s, username, group_name, role_name, role_subs), level)
    echo_json(share) if as_json else click.echo(f"Shared {record_id} with {share['grantee']} ({level}).")


@sharing.command("remove")
@click.argument("record_id", metavar="ID")
@_grantee_options
@as_user_option
@pass_app
def sharing_remove(app, record_id, username, group_name, role_name, role_subs, as_user):
    from ..security.sharing import unshare_record

    with app.session(as_user) as s:
        grantee = _grantee(s, username, group_name, role_name, role_subs)
        unshare_record(s, record_id, grantee)
    click.echo(f"{record_id} is no longer shared with {grantee.type} {grantee.label}.")


@sharing.command("list")
@click.argument("record_id", metavar="ID")
@as_user_option
@json_option
@pass_app
def sharing_list(app, record_id, as_user, as_json):
    from ..security.sharing import record_shares

    with app.session(as_user) as s:
        rows = record_shares(s, record_id)
        for row in rows:
            row["grantee"] = _label(s, row["grantee_id"])
    echo_json(rows) if as_json else echo_table(rows, ["grantee_type", "grantee", "level", "created_at"])


# -- access explain ---------------------------------------------------------------------------------
@click.group()
def access():
    """Explain who can see what, and why."""


@access.command("explain")
@click.argument("record_id", metavar="ID")
@click.option("--for", "for_user", metavar="USER", help="Whose access to explain (default: --as USER).")
@as_user_option
@json_option
@pass_app
def access_explain(app, record_id, for_user, as_user, as_json):
    """Why a user can or cannot read, edit, delete and share a record.

    Your own access to a record you can read, or, as an administrator (manage_users or
    view_all_data), anyone's: missionbase access explain --for sam ID. A record you
    cannot read is "not found".
    """
    from ..security.explain import explain

    asker = as_user or app.settings.default_user
    result = explain(app, for_user or asker, record_id, asked_by=asker)
    if as_json:
        echo_json(result)
        return
    click.echo(f"{result['user']} on {result['object']} {record_id} ({result['name'] or 'no name'}):")
    for action in ("read", "edit", "delete", "share"):
        click.echo(f"  {action:<6} {'yes' if result[action] else 'no'}")
    click.echo(
        f"object permissions: {result['object_permissions'] or 'none'} (from {', '.join(result['permission_sets']) or 'no permission set'})"
    )
    click.echo("because:")
    for reason in result["reasons"]:
        click.echo(f"  - {reason}")
    if result["hidden_fields"]:
        click.echo("hidden fields: " + ", ".join(result["hidden_fields"]))


def _by_name(s, object_name, name):
    from ..errors import UnknownName

    found = s.query(object_name, where={"name": name}, fields=["name"], limit=1).records
    if not found:
        raise UnknownName(
            object_name.lower(), name, [r["name"] for r in s.query(object_name, fields=["name"]).records]
        )
    return found[0]["id"]


def _group_or_queue(s, name):
    from ..errors import UnknownName

    for object_name in ("Group", "Queue"):
        found = s.query(object_name, where={"name": name}, fields=["name"], limit=1).records
        if found:
            return found[0]["id"]
    names = [r["name"] for o in ("Group", "Queue") for r in s.query(o, fields=["name"]).records]
    raise UnknownName("group or queue", name, names)


def _label(s, record_id):
    obj = s.registry.object_for_id(record_id)
    if obj is None:
        return record_id
    try:
        record = s.get(record_id)
    except Exception:
        return record_id  # not readable: the id only, never the name
    return f"{obj.name.lower()} {record.get('username') or record.get(obj.name_field) or record_id}"
