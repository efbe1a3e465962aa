"""Record values as JSON can hold them: the one conversion every writer of JSON uses.

Dates and date-times become ISO 8601 text and decimals their exact text
(a float would round currency); dicts, lists and tuples are converted
item by item. Only the standard library is imported, so the command line,
the query cursor and field history can all use it without import cycles.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any


def to_jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value
