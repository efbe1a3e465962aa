"""Templates and their versions: create, add items, publish, new version, obsolete, export, import.

The lifecycle of a version: a new template starts with a Draft version 1;
only a Draft is editable (its items and item values); Draft -> Published or
Obsolete; Published -> Obsolete; nothing leaves Obsolete. At most one version
of a template is Published: publishing a Draft retires the Published one (it
becomes Obsolete; plans made from it keep it). ``new_version`` clones the
latest version into Draft N+1.

The rules are enforced by triggers, so they hold for ``records create`` and
imports as much as for these functions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from missionbase.core import ID_PATTERN, UnknownName, ValidationError

from .objects import (
    DOCUMENT_KIND,
    ITEM_KINDS,
    ITEM_VALUE_FIELDS,
    TASK_KIND,
)
from .settings import MAX_ITEMS, MAX_OFFSET
from .transaction import one_operation

EXPORT_FORMAT = "missionbase.actionplans.template/1"
TEMPLATE_FIELDS = (
    "name",
    "unique_name",
    "description",
    "target_type",
    "allow_adhoc_items",
    "category",
    "estimated_completion_days",
)
ITEM_FIELDS = ("name", "kind", "display_order", "required", "active")
KIND_ALIASES = {
    "task": TASK_KIND,
    "document": DOCUMENT_KIND,
    "document checklist item": DOCUMENT_KIND,
    "dci": DOCUMENT_KIND,
}
ALLOWED_TRANSITIONS = {"Draft": ("Published", "Obsolete"), "Published": ("Obsolete",), "Obsolete": ()}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- finding things ------------------------------------------------------------------------


def find_template(session, ref: str) -> dict:
    """A template by id or unique name, as the session sees it."""
    if ID_PATTERN.match(ref or "") and ref.startswith("apt_"):
        return session.get(ref)
    found = session.query("ActionPlanTemplate", where={"unique_name": ref}, limit=1).records
    if not found:
        names = [
            t["unique_name"] for t in session.query("ActionPlanTemplate", fields=["unique_name"]).records
        ]
        raise UnknownName("action plan template", ref, names)
    return found[0]


def versions_of(session, template_id: str) -> list[dict]:
    return session.query(
        "ActionPlanTemplateVersion", where={"template": template_id}, order_by="version_number"
    ).records


def pick_version(session, template: dict, number: int | None = None, *, status: str | None = None) -> dict:
    """Version ``number`` of a template, or its only version with ``status``; one clear error otherwise."""
    versions = versions_of(session, template["id"])
    summary = ", ".join(f"v{v['version_number']} {v['status']}" for v in versions) or "none"
    if number is not None:
        for version in versions:
            if version["version_number"] == number:
                return version
        raise ValidationError(
            f"template {template['unique_name']} has no version {number} (versions: {summary})"
        )
    matching = [v for v in versions if v["status"] == status]
    if not matching:
        hint = {
            "Draft": "; run 'actionplans templates new-version' to start one",
            "Published": "; publish a version first",
        }.get(status or "", "")
        raise ValidationError(
            f"template {template['unique_name']} has no {status} version (versions: {summary}){hint}"
        )
    return matching[-1]


def published_version(session, template: dict) -> dict:
    return pick_version(session, template, status="Published")


def items_of(session, version_id: str, *, active_only: bool = False) -> list[dict]:
    where: dict[str, Any] = {"template_version": version_id}
    if active_only:
        where["active"] = True
    return session.query(
        "ActionPlanTemplateItem", where=where, order_by=["display_order", "created_at"]
    ).records


def values_of(session, item_ids: list[str]) -> dict[str, dict[str, str]]:
    """item id -> {field name: value}."""
    out: dict[str, dict[str, str]] = {item_id: {} for item_id in item_ids}
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start : start + 500]
        for value in session.query("ActionPlanTemplateItemValue", where={"item": {"in": chunk}}).records:
            out[value["item"]][value["field_name"]] = value["value"]
    return out


# -- creating and editing ------------------------------------------------------------------


def create_template(session, values: dict) -> dict:
    """Create a template; its Draft version 1 is created with it (a trigger)."""
    return session.create("ActionPlanTemplate", values)


def normalise_kind(kind: str) -> str:
    if kind in ITEM_KINDS:
        return kind
    try:
        return KIND_ALIASES[str(kind).strip().lower()]
    except KeyError:
        raise ValidationError(
            f"item kind {kind!r} is not one of: task, document",
            object_name="ActionPlanTemplateItem",
            field="kind",
        ) from None


@one_operation
def add_item(
    session, template: dict, item: dict, values: dict[str, Any], *, version_number: int | None = None
) -> dict:
    """Add an item with its values to the template's Draft version (or the numbered one, if Draft)."""
    version = (
        pick_version(session, template, version_number)
        if version_number is not None
        else pick_version(session, template, status="Draft")
    )
    item = {**item, "template_version": version["id"], "kind": normalise_kind(item.get("kind", TASK_KIND))}
    created = session.create("ActionPlanTemplateItem", item)
    rows = [
        {"item": created["id"], "field_name": name, "value": _text(value)}
        for name, value in values.items()
        if value is not None
    ]
    rows = [{**row, "value": resolve_value_names(session, row["field_name"], row["value"])} for row in rows]
    if rows:
        session.create_many("ActionPlanTemplateItemValue", rows)
    return created


def _text(value: Any) -> str:
    return str(value) if not isinstance(value, bool) else ("true" if value else "false")


def resolve_value_names(session, field_name: str, value: str) -> str:
    """People write names (user:ana, queue:Intake, a document type's name); values store ids."""
    if field_name == "owner":
        kind, _, ref = value.partition(":")
        if kind == "user" and ref and not ref.startswith("usr_"):
            return f"user:{_id_by(session, 'User', 'username', ref)}"
        if kind == "queue" and ref and not ref.startswith("que_"):
            return f"queue:{_id_by(session, 'Queue', 'name', ref)}"
    if field_name == "document_type" and value and not value.startswith("dty_"):
        return _id_by(session, "DocumentType", "name", value)
    return value


def _id_by(session, object_name: str, field: str, value: str) -> str:
    found = session.query(object_name, where={field: value}, fields=["id"], limit=1).records
    if not found:
        names = [r[field] for r in session.query(object_name, fields=[field], limit=200).records]
        raise UnknownName(
            object_name.lower() if object_name != "DocumentType" else "document type", value, names
        )
    return found[0]["id"]


@one_operation
def set_version_status(
    session, template: dict, new_status: str, version_number: int | None = None
) -> list[dict]:
    """Publish or retire a version; returns the versions changed (publishing may retire the old one)."""
    if version_number is not None:
        version = pick_version(session, template, version_number)
    else:
        version = pick_version(
            session, template, status="Draft" if new_status == "Published" else "Published"
        )
    changes: dict[str, dict] = {}
    if new_status == "Published":
        if version["status"] == "Draft" and not items_of(session, version["id"], active_only=True):
            raise ValidationError(
                f"template {template['unique_name']} v{version['version_number']} has no active items; "
                "add items before publishing"
            )
        for other in versions_of(session, template["id"]):
            if other["status"] == "Published" and other["id"] != version["id"]:
                changes[other["id"]] = {"status": "Obsolete", "inactivated_at": _now()}
        changes[version["id"]] = {"status": "Published", "activated_at": _now()}
    else:
        changes[version["id"]] = {"status": new_status, "inactivated_at": _now()}
    # Order: retire the old Published version before publishing the new one.
    ordered = sorted(changes, key=lambda vid: changes[vid]["status"] != "Obsolete")
    return [session.update(vid, {}, computed=changes[vid]) for vid in ordered]


@one_operation
def new_version(session, template: dict, *, copy_latest: bool = True) -> dict:
    """Clone the latest version (items and values) into a new Draft (an empty one without ``copy_latest``)."""
    versions = versions_of(session, template["id"])
    drafts = [v for v in versions if v["status"] == "Draft"]
    if drafts:
        raise ValidationError(
            f"template {template['unique_name']} already has a Draft (v{drafts[0]['version_number']}); "
            "edit and publish it, or mark it obsolete, before starting another"
        )
    latest = versions[-1]
    draft = session.create("ActionPlanTemplateVersion", {"template": template["id"]})
    if copy_latest:
        copy_items(session, latest["id"], draft["id"])
    return draft


def copy_items(session, from_version: str, to_version: str) -> None:
    items = items_of(session, from_version)
    values = values_of(session, [i["id"] for i in items])
    created = session.create_many(
        "ActionPlanTemplateItem",
        [{**{k: i[k] for k in ITEM_FIELDS}, "template_version": to_version} for i in items],
    )
    rows = [
        {"item": new["id"], "field_name": name, "value": value}
        for old, new in zip(items, created, strict=True)
        for name, value in values[old["id"]].items()
    ]
    if rows:
        session.create_many("ActionPlanTemplateItemValue", rows)


def list_templates(session) -> list[dict]:
    templates = session.query("ActionPlanTemplate", order_by="unique_name").records
    versions = session.query("ActionPlanTemplateVersion", order_by="version_number").records
    by_template: dict[str, list[dict]] = {}
    for version in versions:
        by_template.setdefault(version["template"], []).append(version)
    rows = []
    for template in templates:
        mine = by_template.get(template["id"], [])
        published = [v["version_number"] for v in mine if v["status"] == "Published"]
        rows.append(
            {
                "id": template["id"],
                "unique_name": template["unique_name"],
                "name": template["name"],
                "target_type": template["target_type"],
                "category": template.get("category"),
                "versions": ", ".join(f"v{v['version_number']} {v['status']}" for v in mine),
                "published": published[0] if published else None,
            }
        )
    return rows


# -- export and import ---------------------------------------------------------------------


def export_template(session, template: dict, version_number: int | None = None) -> dict:
    """A JSON-able description of one version (default: the Published one, else the latest).

    Users, queues and document types are written by name, so the file means
    the same thing in another org.
    """
    if version_number is None:
        versions = versions_of(session, template["id"])
        published = [v for v in versions if v["status"] == "Published"]
        version = published[-1] if published else versions[-1]
    else:
        version = pick_version(session, template, version_number)
    items = items_of(session, version["id"])
    values = values_of(session, [i["id"] for i in items])
    return {
        "format": EXPORT_FORMAT,
        "template": {k: template.get(k) for k in TEMPLATE_FIELDS},
        "version": {"version_number": version["version_number"], "status": version["status"]},
        "items": [
            {
                **{k: item[k] for k in ITEM_FIELDS},
                "values": {
                    name: _portable(session, name, value)
                    for name, value in sorted(values[item["id"]].items())
                },
            }
            for item in items
        ],
    }


def _portable(session, field_name: str, value: str) -> str:
    if field_name == "owner":
        kind, _, ref = value.partition(":")
        if kind in ("user", "queue") and ID_PATTERN.match(ref):
            record = session.get_many([ref]).get(ref)
            if record is not None:
                return f"{kind}:{record['username'] if kind == 'user' else record['name']}"
    if field_name == "document_type" and ID_PATTERN.match(value or ""):
        record = session.get_many([value]).get(value)
        if record is not None:
            return record["name"]
    return value


@one_operation
def import_template(session, data: Any) -> dict:
    """Create the template from an export as a Draft (a new template, or a new version of the same one).

    Returns the Draft version. Names of users, queues and document types
    must exist in this org.
    """
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ValidationError(f'not an action plan template export (expected "format": "{EXPORT_FORMAT}")')
    header = data.get("template")
    items = data.get("items")
    if not isinstance(header, dict) or not isinstance(items, list):
        raise ValidationError('a template export needs a "template" object and an "items" list')
    unknown = sorted(set(header) - set(TEMPLATE_FIELDS))
    if unknown:
        raise ValidationError(
            f"template field {unknown[0]!r} is unknown; allowed: {', '.join(TEMPLATE_FIELDS)}"
        )
    existing = session.query(
        "ActionPlanTemplate", where={"unique_name": header.get("unique_name")}, limit=1
    ).records
    if existing:
        template = existing[0]
        if template["target_type"] != header.get("target_type"):
            raise ValidationError(
                f"template {template['unique_name']} exists here for {template['target_type']}, "
                f"the file is for {header.get('target_type')}; the target type of a template cannot change"
            )
        draft = new_version(session, template, copy_latest=False)  # the file's items, not the old ones
    else:
        template = create_template(session, {k: v for k, v in header.items() if v is not None})
        draft = pick_version(session, template, status="Draft")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValidationError(f"item {index} must be an object", object_name="ActionPlanTemplateItem")
        values = item.get("values") or {}
        fields = {k: item[k] for k in ITEM_FIELDS if item.get(k) is not None}
        add_item(session, template, fields, values, version_number=draft["version_number"])
    return draft


# -- triggers ---------------------------------------------------------------------------------


def check_template_insert(ctx, rows) -> None:
    targets = ctx.session.registry.target_types
    for index, row in enumerate(rows):
        target_type = row.new.get("target_type")
        if target_type not in targets:
            raise ValidationError(
                f"{target_type!r} is not a target type; plans can target: {', '.join(sorted(targets)) or 'none'}",
                object_name="ActionPlanTemplate",
                row=index,
                field="target_type",
            )


def check_template_update(ctx, rows) -> None:
    for index, row in enumerate(rows):
        if row.changed("target_type"):
            raise ValidationError(
                f"cannot change from {row.old['target_type']} to {row.new['target_type']} once the template exists;"
                " create a new template instead",
                object_name="ActionPlanTemplate",
                row=index,
                field="target_type",
            )


def create_first_versions(ctx, rows) -> None:
    """A new template starts with a Draft version 1."""
    ctx.session.create_many("ActionPlanTemplateVersion", [{"template": row.new["id"]} for row in rows])


def number_new_versions(ctx, rows) -> None:
    """New versions are Draft N+1 of their template, whatever the caller passed."""
    session = ctx.session.as_system()
    templates = {row.new["template"] for row in rows}
    highest: dict[str, int] = {}
    names: dict[str, str] = {}
    for template_id in templates:
        versions = session.query(
            "ActionPlanTemplateVersion",
            where={"template": template_id},
            fields=["version_number"],
            order_by="-version_number",
            limit=1,
        ).records
        highest[template_id] = versions[0]["version_number"] if versions else 0
        template = session.get_many([template_id]).get(template_id)
        names[template_id] = template["name"] if template else template_id
    for row in rows:
        template_id = row.new["template"]
        highest[template_id] += 1
        row.new["version_number"] = highest[template_id]
        row.new["name"] = f"{names[template_id]} v{highest[template_id]}"[:255]
        row.new["status"] = "Draft"
        row.new["activated_at"] = row.new["inactivated_at"] = None


def check_version_update(ctx, rows) -> None:
    """Status moves only forward, and a template has at most one Published version."""
    for index, row in enumerate(rows):
        if row.changed("template"):
            raise ValidationError(
                "a version cannot move to another template",
                object_name="ActionPlanTemplateVersion",
                row=index,
                field="template",
            )
        old, new = row.old["status"], row.new["status"]
        if old != new and new not in ALLOWED_TRANSITIONS[old]:
            allowed = " or ".join(ALLOWED_TRANSITIONS[old]) or "nothing (it is final)"
            raise ValidationError(
                f"v{row.old['version_number']} is {old}; it can become {allowed}, not {new}",
                object_name="ActionPlanTemplateVersion",
                row=index,
                field="status",
            )
    published = [row.new for row in rows if row.new["status"] == "Published" and row.changed("status")]
    session = ctx.session.as_system()
    for version in published:
        others = session.query(
            "ActionPlanTemplateVersion",
            where={"template": version["template"], "status": "Published", "id": {"ne": version["id"]}},
        ).records
        if others:
            raise ValidationError(
                f"v{others[0]['version_number']} of this template is already Published; at most one version "
                "is Published at a time (retire it first)",
                object_name="ActionPlanTemplateVersion",
                field="status",
            )


def remember_deleted_versions(ctx, rows) -> None:
    """Items of a version deleted with it (a template delete) may go even if it was Published."""
    _deleting(ctx.session, "versions").update(row.old["id"] for row in rows)


def _deleting(session, kind: str) -> set:
    return session.__dict__.setdefault(f"_actionplans_deleting_{kind}", set())


def _version_statuses(session, version_ids) -> dict[str, dict]:
    system = session.as_system()
    return {v["id"]: v for v in system.get_many(sorted(set(version_ids))).values()}


def _require_draft(session, version_ids, object_name: str) -> None:
    versions = _version_statuses(session, version_ids)
    for version in versions.values():
        if version["status"] != "Draft":
            raise ValidationError(
                f"{version['name']} is {version['status']}; only a Draft version can be edited "
                "(run 'actionplans templates new-version' to change a published template)",
                object_name=object_name,
            )


def check_item_insert(ctx, rows) -> None:
    session = ctx.session
    _require_draft(session, [row.new["template_version"] for row in rows], "ActionPlanTemplateItem")
    limit = session.get_setting(MAX_ITEMS.key)
    system = session.as_system()
    per_version: dict[str, list] = {}
    for row in rows:
        per_version.setdefault(row.new["template_version"], []).append(row)
    for version_id, new_rows in per_version.items():
        existing = system.query(
            "ActionPlanTemplateItem", where={"template_version": version_id}, fields=["display_order"]
        ).records
        if len(existing) + len(new_rows) > limit:
            raise ValidationError(
                f"a template version holds at most {limit} items; this one would have "
                f"{len(existing) + len(new_rows)} (setting {MAX_ITEMS.key})",
                object_name="ActionPlanTemplateItem",
            )
        next_order = max((e["display_order"] or 0 for e in existing), default=0)
        for row in new_rows:
            if row.new.get("display_order") is None:
                next_order += 1
                row.new["display_order"] = next_order
            else:
                next_order = max(next_order, row.new["display_order"])


def check_item_update(ctx, rows) -> None:
    for index, row in enumerate(rows):
        if row.changed("template_version"):
            raise ValidationError(
                "an item cannot move to another version",
                object_name="ActionPlanTemplateItem",
                row=index,
                field="template_version",
            )
        if row.changed("kind"):
            raise ValidationError(
                "an item's kind cannot change; add a new item instead",
                object_name="ActionPlanTemplateItem",
                row=index,
                field="kind",
            )
    _require_draft(ctx.session, [row.new["template_version"] for row in rows], "ActionPlanTemplateItem")


def check_item_delete(ctx, rows) -> None:
    going = _deleting(ctx.session, "versions")
    _deleting(ctx.session, "items").update(row.old["id"] for row in rows)
    remaining = [row.old["template_version"] for row in rows if row.old["template_version"] not in going]
    _require_draft(ctx.session, remaining, "ActionPlanTemplateItem")


def check_value_write(ctx, rows) -> None:
    session = ctx.session
    system = session.as_system()
    items = system.get_many(sorted({row.new["item"] for row in rows}))
    _require_draft(session, [i["template_version"] for i in items.values()], "ActionPlanTemplateItemValue")
    limit = session.get_setting(MAX_OFFSET.key)
    task_obj = session.registry.object("Task")
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        item = items[row.new["item"]]
        name, value = row.new["field_name"], row.new.get("value")
        key = (item["id"], name)
        if key in seen:
            raise ValidationError(
                f"item {item['name']!r} sets {name} twice",
                object_name="ActionPlanTemplateItemValue",
                row=index,
                field="field_name",
            )
        seen.add(key)
        problem = value_problem(item["kind"], name, value, max_offset=limit, task_obj=task_obj)
        if problem:
            raise ValidationError(
                f"item {item['name']!r}: {problem}",
                object_name="ActionPlanTemplateItemValue",
                row=index,
                field=name,
            )
    if ctx.event == "before_insert":
        existing = system.query(
            "ActionPlanTemplateItemValue", where={"item": {"in": sorted({k[0] for k in seen})}}
        ).records
        for value in existing:
            if (value["item"], value["field_name"]) in seen:
                item = items[value["item"]]
                raise ValidationError(
                    f"item {item['name']!r} already sets {value['field_name']}; update that value",
                    object_name="ActionPlanTemplateItemValue",
                    field=value["field_name"],
                )


def check_value_delete(ctx, rows) -> None:
    going = _deleting(ctx.session, "items")
    remaining = [row.old["item"] for row in rows if row.old["item"] not in going]
    if remaining:
        items = ctx.session.as_system().get_many(sorted(set(remaining)))
        _require_draft(
            ctx.session, [i["template_version"] for i in items.values()], "ActionPlanTemplateItemValue"
        )


def value_problem(kind: str, name: str, value: str | None, *, max_offset: int, task_obj) -> str | None:
    """Why an item value is not acceptable, or None."""
    allowed = ITEM_VALUE_FIELDS[kind]
    if name not in allowed:
        return f"a {kind} item cannot set {name}; it can set {', '.join(allowed)}"
    if value is None or value == "":
        return None
    if name == "due_offset":
        try:
            days = int(value)
        except ValueError:
            return f"due offset {value!r} is not a whole number of days"
        if not 0 <= days <= max_offset:
            return f"due offset {days} is outside 0..{max_offset} days (setting {MAX_OFFSET.key})"
    elif name in ("priority", "status"):
        choices = task_obj.field(name).values
        if value not in choices:
            return f"{name} {value!r} is not one of {', '.join(choices)}"
    elif name == "owner":
        return assignee_problem(value)
    elif name == "document_type" and not (ID_PATTERN.match(value) and value.startswith("dty_")):
        return f"document type {value!r} is not a DocumentType id"
    elif name == "subject" and len(value) > 255:
        return "subject is longer than 255 characters"
    return None


def assignee_problem(value: str) -> str | None:
    kind, _, ref = value.partition(":")
    if kind == "creator" and not ref:
        return None
    if kind == "user" and ID_PATTERN.match(ref) and ref.startswith("usr_"):
        return None
    if kind == "queue" and ID_PATTERN.match(ref) and ref.startswith("que_"):
        return None
    if kind == "role" and ref.strip():
        return None
    return f"owner {value!r} must be creator, user:USER, queue:QUEUE or role:TEAM_ROLE"
