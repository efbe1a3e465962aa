"""Who gets an item's Task or document, resolved once when the plan is created.

An item's ``owner`` value is one of:

- ``creator`` (or no value): the user creating the plan;
- ``user:ID``: that user (a deactivated user cannot take new work: the creator gets it);
- ``queue:ID``: the queue owns the record and its members work it;
- ``role:NAME``: the one active holder of that role on the target's team
  (RecordTeamMember); no holder or several holders -> the creator.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Assignees:
    """What resolving owners needs, loaded once for a batch of plans."""

    creator_id: str
    active_users: set[str] = field(default_factory=set)
    queues: set[str] = field(default_factory=set)
    team: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (record, role) -> active users

    def resolve(self, owner: str | None, target_id: str) -> str:
        if not owner or owner == "creator":
            return self.creator_id
        kind, _, ref = owner.partition(":")
        if kind == "user":
            return ref if ref in self.active_users else self.creator_id
        if kind == "queue":
            return ref if ref in self.queues else self.creator_id
        if kind == "role":
            holders = self.team.get((target_id, ref), set())
            return next(iter(holders)) if len(holders) == 1 else self.creator_id
        return self.creator_id


def load_assignees(session, owners: Iterable[str | None], target_ids: list[str]) -> Assignees:
    """Look up the users, queues and team roles the owners name (a few queries, not one per plan)."""
    owners = {o for o in owners if o}
    users = sorted(o.partition(":")[2] for o in owners if o.startswith("user:"))
    queues = sorted(o.partition(":")[2] for o in owners if o.startswith("queue:"))
    roles = sorted(o.partition(":")[2] for o in owners if o.startswith("role:"))
    out = Assignees(creator_id=session.user.id)
    system = session.as_system()  # names and memberships, not record data: the plan creator needs them all
    if users:
        out.active_users = {
            u["id"]
            for u in system.query(
                "User", where={"id": {"in": users}, "is_active": True}, fields=["id"]
            ).records
        }
    if queues:
        out.queues = {
            q["id"] for q in system.query("Queue", where={"id": {"in": queues}}, fields=["id"]).records
        }
    if roles and target_ids:
        members = []
        for start in range(0, len(target_ids), 500):
            members += system.query(
                "RecordTeamMember",
                where={
                    "record": {"in": target_ids[start : start + 500]},
                    "role": {"in": roles},
                    "active": True,
                },
                fields=["record", "role", "user"],
            ).records
        member_users = sorted({m["user"] for m in members})
        active = (
            {
                u["id"]
                for u in system.query(
                    "User", where={"id": {"in": member_users}, "is_active": True}, fields=["id"]
                ).records
            }
            if member_users
            else set()
        )
        team: dict[tuple[str, str], set[str]] = defaultdict(set)
        for member in members:
            if member["user"] in active:
                team[(member["record"], member["role"])].add(member["user"])
        out.team = dict(team)
    return out
