"""Validation a user would expect: rich text is sanitised on write; settings paste back as printed."""

from __future__ import annotations

import pytest

from missionbase.core import fields as f
from missionbase.core.testing import add_users


@pytest.fixture
def casework(make_app, cli_for):
    app = make_app(plugins=["pmm", "casemgmt"])
    add_users(app, {"cara": "Cara Caseworker"}, ("Standard User", "Case Management: Caseworker"))
    with app.session("cara") as s:
        client = s.create("Contact", {"first_name": "Ana", "last_name": "Silva"})
    return app, cli_for(app), client


def test_rich_text_is_sanitised_on_write(casework):
    _app, run, client = casework
    written = run(
        "casemgmt", "notes", "write", client["id"], "--subject", "Visit", "--as", "cara", "--json", "--content",
        '<p onclick="steal()">Met <b>Ana</b><script>alert(1)</script> '
        '<a href="javascript:alert(2)">x</a> <a href="https://example.org" onmouseover="y()">site</a>'
        '<img src=x onerror="z()"><iframe src="https://evil"></iframe></p>',
    )  # fmt: skip
    assert written.exit_code == 0, written.err
    stored = written.json()["content"]
    assert stored == '<p>Met <b>Ana</b> <a>x</a> <a href="https://example.org">site</a></p>'
    updated = run(
        "records",
        "update",
        written.json()["id"],
        "--set",
        "content=<h2 style='x'>Plan</h2><style>p{}</style>",
        "--as",
        "cara",
        "--json",
    )
    assert updated.json()["content"] == "<h2>Plan</h2>"
    described = run("objects", "describe", "ClientNote", "--json").json()
    content = next(fl for fl in described["fields"] if fl["name"] == "content")
    assert content["kind"] == "rich_text" and content["allowed_tags"] == sorted(f.RICH_TEXT_TAGS)


def test_settings_print_as_they_paste_back(make_app, cli_for):
    run = cli_for(make_app(plugins=["pmm"]))
    listed = run("settings", "list").out
    line = next(row for row in listed.splitlines() if row.startswith("pmm.present_statuses"))
    assert '["Present"]' in line
    assert run("settings", "get", "pmm.present_statuses").out.strip() == '["Present"]'
    for typed, stored in (
        ('["Present", "Late"]', '["Present", "Late"]'),
        ("Present, Late Arrival", '["Present", "Late Arrival"]'),
    ):
        result = run("settings", "set", "pmm.present_statuses", typed)
        assert result.exit_code == 0, result.err
        assert result.out.strip() == f"pmm.present_statuses = {stored}"
        assert run("settings", "get", "pmm.present_statuses").out.strip() == stored
    # Text prints without quotes and pastes back as text, even when it looks like a number.
    assert run("settings", "set", "pmm.session_status_after_attendance", "Complete").out.strip() == (
        "pmm.session_status_after_attendance = Complete"
    )
    pasted = run("settings", "get", "pmm.max_sessions_per_schedule").out.strip()
    assert run("settings", "set", "pmm.max_sessions_per_schedule", pasted).exit_code == 0
    assert run("settings", "set", "pmm.rollup_deliveries_to.Contact", "false").out.strip().endswith("= false")
    bad = run("settings", "set", "pmm.max_sessions_per_schedule", "lots")
    assert bad.exit_code == 1 and "pmm.max_sessions_per_schedule" in bad.err
