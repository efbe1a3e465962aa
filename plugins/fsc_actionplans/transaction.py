"""One logical operation made of several writes: all of them or none.

A RecordService call is atomic on its own; an operation such as "add an item
with its values" or "create plans with their tasks and items" makes several
calls, so it runs inside a savepoint of the caller's transaction. If it
fails, none of its writes stay, even when the caller catches the error and
carries on in the same session.
"""

from __future__ import annotations

import contextlib
import functools


@contextlib.contextmanager
def atomic(session):
    savepoint = session.conn.begin_nested()
    try:
        yield
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    savepoint.commit()


def one_operation(func):
    """Run ``func(session, ...)`` inside ``atomic(session)``."""

    @functools.wraps(func)
    def wrapper(session, *args, **kwargs):
        with atomic(session):
            return func(session, *args, **kwargs)

    return wrapper
