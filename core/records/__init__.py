"""Records: the RecordService and the collaborators it is made of.

``from missionbase.core.records import RecordService, TriggerRow, ...`` is
how plugins and the public face import these names; the modules below are
the package's own layout.
"""

from __future__ import annotations

from ..db import chunks
from ..ids import prefix_of
from ..query import Page
from .host import RecordServiceHost
from .model import BulkResult, TriggerContext, TriggerRow
from .service import RecordService
from .triggers import MAX_TRIGGER_DEPTH

__all__ = [
    "MAX_TRIGGER_DEPTH",
    "BulkResult",
    "Page",
    "RecordService",
    "RecordServiceHost",
    "TriggerContext",
    "TriggerRow",
    "chunks",
    "prefix_of",
]
