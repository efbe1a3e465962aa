"""Running declared reports: by name, as the calling user, with typed errors."""

from __future__ import annotations

import csv
import sys
from typing import Any

from .errors import UnknownName, ValidationError


def run_report(session, name: str, params: dict[str, Any] | None = None) -> list[dict]:
    report = session.registry.reports.get(name)
    if report is None:
        raise UnknownName("report", name, session.registry.reports)
    try:
        return list(report.run(session, **(params or {})))
    except TypeError as exc:
        if "argument" in str(exc):
            raise ValidationError(f"report {name!r}: {exc}") from None
        raise


def write_csv(rows: list[dict], out=None) -> None:
    from .dataio import export_value

    out = out or sys.stdout
    if not rows:
        return
    writer = csv.writer(out)
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow([export_value(v) for v in row.values()])
