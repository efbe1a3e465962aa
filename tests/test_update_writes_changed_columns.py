"""An update rewrites only the columns its batch changes (so the indexes on the others are left alone)."""

from __future__ import annotations

import re

from sqlalchemy import event


def test_update_sets_only_changed_columns_and_the_version_stamp(app):
    with app.session("admin") as s:
        made = s.create_many(
            "Contact",
            [
                {"first_name": "Ana", "last_name": "Silva", "email": "ana@example.org"},
                {"first_name": "Ben", "last_name": "Okafor"},
            ],
        )
    statements: list[str] = []

    def remember(conn, cursor, statement, params, context, executemany):
        if statement.startswith("UPDATE contact"):
            statements.append(statement)

    event.listen(app.engine, "before_cursor_execute", remember)
    try:
        with app.session("admin") as s:
            s.update_many(
                [{"id": made[0]["id"], "first_name": "Anna"}, {"id": made[1]["id"], "mailing_city": "Lyon"}]
            )
    finally:
        event.remove(app.engine, "before_cursor_execute", remember)
    assert len(statements) == 1
    assigned = set(re.findall(r"(\w+)=", statements[0].split(" WHERE ")[0]))
    assert assigned == {"first_name", "name", "mailing_city", "version", "modified_at", "modified_by"}
    with app.session("admin") as s:
        anna, ben = s.get(made[0]["id"]), s.get(made[1]["id"])
    assert (anna["name"], anna["email"], anna["mailing_city"], anna["version"]) == (
        "Anna Silva",
        "ana@example.org",
        None,
        2,
    )
    assert (ben["name"], ben["mailing_city"], ben["version"]) == ("Ben Okafor", "Lyon", 2)
