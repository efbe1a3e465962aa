"""Core's login and session settings (``missionbase settings set core.session_idle_minutes 30``).

Read outside a RecordService too (a cookie is checked before any session exists), so
``read_settings`` reads the settings table directly, with the declared defaults.
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field

from ..registry import Setting

SESSION_IDLE_MINUTES = "core.session_idle_minutes"
SESSION_MAX_HOURS = "core.session_max_hours"
FAILURES_PER_USER = "core.login_failures_per_user"
FAILURES_PER_ADDRESS = "core.login_failures_per_address"
FAILURE_WINDOW_MINUTES = "core.login_failure_window_minutes"
PASSWORD_MIN_LENGTH = "core.password_min_length"

# Passwords shorter than this are refused whatever the setting says: it can only be raised.
PASSWORD_FLOOR = 8

SETTINGS = [
    Setting(
        SESSION_IDLE_MINUTES,
        60,
        "A login session ends after this many minutes without a request",
        type=Annotated[int, Field(ge=1, le=60 * 24 * 30)],
    ),
    Setting(
        SESSION_MAX_HOURS,
        12,
        "A login session ends this many hours after the login, however active",
        type=Annotated[int, Field(ge=1, le=24 * 90)],
    ),
    Setting(
        FAILURES_PER_USER,
        5,
        "Failed logins for one username within the window before further tries are refused (429)",
        type=Annotated[int, Field(ge=1, le=1000)],
    ),
    Setting(
        FAILURES_PER_ADDRESS,
        20,
        "Failed logins from one client address within the window before further tries are refused",
        type=Annotated[int, Field(ge=1, le=100000)],
    ),
    Setting(
        FAILURE_WINDOW_MINUTES,
        15,
        "Minutes a failed login counts against its username and address",
        type=Annotated[int, Field(ge=1, le=60 * 24)],
    ),
    Setting(
        PASSWORD_MIN_LENGTH,
        12,
        f"Fewest characters a new password may have (at least {PASSWORD_FLOOR})",
        type=Annotated[int, Field(ge=PASSWORD_FLOOR, le=128)],
    ),
]


def read_settings(app, conn: sa.Connection, keys: list[str]) -> dict[str, Any]:
    """The values of these settings: what an admin set, else the declared defaults."""
    table = app.schema.internal["setting"]
    values = {key: app.registry.settings[key].default for key in keys}
    rows = conn.execute(sa.select(table.c.key, table.c.value).where(table.c.key.in_(keys)))
    values.update({key: value for key, value in rows if value is not None})
    return values
