"""``DemoContext``: what the ``missionbase_load_demo_data`` hook receives.

Beside the hook rather than beside the command that loads the demo, so a
plugin's demo code and core's own demo data can name it without importing
the app or the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .records import RecordService


@dataclass
class DemoContext:
    """What ``missionbase_load_demo_data`` receives."""

    session: RecordService
    users: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[str]] = field(default_factory=dict)
    app: Any = None
