"""Errors a user can act on. Each renders as one line naming the field,
record or value and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable


class MissionbaseError(Exception):
    """Base class: the message is the one line shown to the user."""

    exit_code = 1


class ConfigError(MissionbaseError):
    """Bad configuration or plugin declarations, found at startup."""

    exit_code = 2


class UnknownName(MissionbaseError):
    """An unknown object, field, user, plugin... with the closest valid names."""

    def __init__(self, what: str, name: str, choices: Iterable[str], where: str = "") -> None:
        import difflib  # only when there is an error to explain

        choices = sorted(choices)
        self.what, self.name, self.choices = what, name, choices
        close = difflib.get_close_matches(name, choices, n=3, cutoff=0.6)
        location = f" on {where}" if where else ""
        message = f"unknown {what} {name!r}{location}"
        if close:
            message += f"; did you mean {' or '.join(repr(c) for c in close)}?"
        elif len(choices) <= 30:
            message += f"; valid: {', '.join(choices)}" if choices else "; there are none"
        super().__init__(message)


class ValidationError(MissionbaseError):
    """A record failed validation. ``row`` is its index in the batch (0 for the first); the
    message counts rows from 1, as people do."""

    def __init__(
        self, message: str, *, object_name: str = "", row: int | None = None, field: str | None = None
    ):
        self.object_name, self.row, self.field = object_name, row, field
        where = object_name
        if row is not None:
            where += f" row {row + 1}"
        if field:
            where += f" field {field!r}"
        self.reason = message
        where = where.strip()
        super().__init__(f"{where}: {message}" if where else message)


def without_row(exc: ValidationError) -> ValidationError:
    """The same error for a single record, where a row number means nothing."""
    return ValidationError(exc.reason, object_name=exc.object_name, field=exc.field)


class RecordNotFound(MissionbaseError):
    def __init__(self, record_id: str, object_name: str = "") -> None:
        self.record_id = record_id
        what = f"{object_name} record" if object_name else "record"
        super().__init__(f"{what} {record_id} not found (or you cannot see it)")


class StaleVersion(MissionbaseError):
    def __init__(self, record_id: str, given: int, current: int) -> None:
        super().__init__(
            f"record {record_id} was changed by someone else (you had version {given}, it is now {current}); "
            "reload it and apply your change again"
        )


class AccessDenied(MissionbaseError):
    pass


class DeleteBlocked(MissionbaseError):
    pass
