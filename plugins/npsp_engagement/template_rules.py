"""Rules for template steps: a parent in the same template, no cycles,
no step moved to another template away from its dependents."""

from __future__ import annotations

from missionbase.core import ValidationError, chunks


def _stored_steps(session, template_ids) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for chunk in chunks(sorted(set(template_ids))):
        for step in session.query(
            "EngagementPlanTask",
            where={"template": {"in": chunk}},
            fields=["template", "parent_task", "subject"],
        ).records:
            out[step["id"]] = step
    return out


def check_steps(ctx, rows) -> None:
    """Before insert and update of EngagementPlanTask."""
    session = ctx.session
    batch = {r.new["id"]: r.new for r in rows}
    parents = {r.new.get("parent_task") for r in rows} - {None} - set(batch)
    template_ids = {r.new["template"] for r in rows} | {r.old["template"] for r in rows if r.old}
    steps = _stored_steps(session, template_ids)
    missing = parents - set(steps)
    if missing:
        for record in session.get_many(sorted(missing)).values():
            steps[record["id"]] = record
    steps.update(batch)
    for index, row in enumerate(rows):
        step = row.new
        parent_id = step.get("parent_task")
        if parent_id:
            parent = steps.get(parent_id)
            if parent is None:
                raise ValidationError(
                    f"{parent_id} does not exist (or you cannot see it)",
                    object_name="EngagementPlanTask",
                    row=index,
                    field="parent_task",
                )
            if parent["template"] != step["template"]:
                raise ValidationError(
                    f"{parent.get('subject')!r} ({parent_id}) belongs to another template; "
                    "a parent step must be in the same template",
                    object_name="EngagementPlanTask",
                    row=index,
                    field="parent_task",
                )
        path = [step["id"]]
        current = parent_id
        while current:
            if current == step["id"]:
                names = " -> ".join(repr(steps[s].get("subject")) for s in [*path, current])
                raise ValidationError(
                    f"would make a cycle of dependent steps ({names})",
                    object_name="EngagementPlanTask",
                    row=index,
                    field="parent_task",
                )
            if current in path or current not in steps:
                break
            path.append(current)
            current = steps[current].get("parent_task")
        if row.old and row.changed("template"):
            left_behind = [
                s
                for s in steps.values()
                if s.get("parent_task") == step["id"] and s["template"] != step["template"]
            ]
            if left_behind:
                raise ValidationError(
                    f"cannot move to another template while {len(left_behind)} step(s) depend on it "
                    f"(e.g. {left_behind[0].get('subject')!r}); move or detach them first",
                    object_name="EngagementPlanTask",
                    row=index,
                    field="template",
                )
