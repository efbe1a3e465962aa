"""``missionbase tokens`` and ``missionbase serve`` from the command line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from starlette.testclient import TestClient

from missionbase.core.api import create_api
from missionbase.core.security.sharing import assign_permission_set


@pytest.fixture
def org(make_app):
    """An org the CLI can open from its config file (installed plugins only)."""
    app = make_app(plugins=["housing"])
    with app.system_session() as s:
        for username in ("ana", "ben"):
            user = s.create("User", {"username": username, "name": username.title()})
            assign_permission_set(s, user["id"], "Standard User")
    return app


def test_tokens_create_list_revoke_from_the_cli(org, cli_for):
    run = cli_for(org)
    client = TestClient(create_api(org))
    created = run("tokens", "create", "spreadsheet sync", "--read-only", "--days", "30", "--as", "ana")
    assert created.exit_code == 0, created.err
    secret = created.out.strip()
    assert secret.startswith("mb_") and "not shown again" in created.err
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["username"] == "ana" and me.json()["token"]["scope"] == "read"

    listed = run("tokens", "list", "--as", "ana", "--json").json()
    assert [(t["name"], t["scope"], t["status"]) for t in listed] == [("spreadsheet sync", "read", "active")]
    assert listed[0]["last_used_at"] is not None and secret not in run("tokens", "list", "--as", "ana").out
    assert run("tokens", "list", "--as", "ben", "--json").json() == []
    refused = run("tokens", "revoke", listed[0]["id"], "--as", "ben")
    assert refused.exit_code == 1 and "not found" in refused.err

    assert run("tokens", "revoke", listed[0]["id"], "--as", "ana").exit_code == 0
    gone = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert gone.status_code == 401
    assert run("tokens", "list", "--as", "ana", "--json").json()[0]["status"] == "revoked"
    bad = run("tokens", "create", "x", "--days", "0", "--as", "ana")
    assert bad.exit_code != 0


def test_help_lists_serve_and_tokens_without_importing_the_server():
    code = (
        "import sys\n"
        "from missionbase.core.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in sys.modules if m.startswith(('fastapi', 'starlette', 'uvicorn', 'missionbase.plugins'))]\n"
        "print('IMPORTED', bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "IMPORTED []" in out
    assert "serve" in out and "tokens" in out


def test_serve_help_shows_its_options(cli):
    result = cli("serve", "--help")
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers", "--reload"):
        assert option in result.out
