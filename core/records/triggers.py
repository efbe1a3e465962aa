"""Running the triggers plugins attach to record events, with recursion bounded."""

from __future__ import annotations

from ..errors import MissionbaseError
from ..registry import ObjectType
from .model import Scope, TriggerContext, TriggerRow

MAX_TRIGGER_DEPTH = 8


class TriggerRunner:
    """Calls each trigger of an event once per batch, as ``handler(TriggerContext, rows)``.

    ``stack`` names the events being handled: a trigger's own writes run triggers again, and
    a chain deeper than MAX_TRIGGER_DEPTH is an error. Sessions sharing a transaction on
    the caller's behalf (the system view) share the stack, so recursion stays bounded across them.
    """

    def __init__(self, scope: Scope, stack: list[str] | None = None) -> None:
        self.registry = scope.registry
        self.session = scope.session  # the handlers' ctx.session
        self.stack: list[str] = [] if stack is None else stack

    def has(self, obj: ObjectType, event: str) -> bool:
        return bool(self.registry.triggers_for(obj.name, event))

    def run(self, obj: ObjectType, event: str, rows: list[TriggerRow]) -> None:
        if not rows:
            return
        for trigger in self.registry.triggers_for(obj.name, event):
            label = f"{obj.name}.{event}"
            if len(self.stack) >= MAX_TRIGGER_DEPTH:
                chain = " -> ".join([*self.stack, label])
                raise MissionbaseError(f"triggers recursed more than {MAX_TRIGGER_DEPTH} levels: {chain}")
            self.stack.append(label)
            try:
                trigger.handler(TriggerContext(self.session, obj, event), rows)
            finally:
                self.stack.pop()
