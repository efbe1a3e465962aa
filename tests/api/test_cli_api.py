"""``missionbase tokens`` and ``missionbase serve`` from the command line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from starlette.testclient import TestClient

from missionbase.core.api.app import create_api
from missionbase.core.testing import add_users


@pytest.fixture
def org(make_app):
    """An org the CLI can open from its config file (installed plugins only)."""
    app = make_app(plugins=["housing"])
    add_users(app, {"ana": "Ana", "ben": "Ben"})
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


def test_serve_answers_over_http_with_a_token_made_on_the_cli(org, cli_for, tmp_path):
    import json
    import os
    import socket
    import time
    import urllib.error
    import urllib.request
    from pathlib import Path

    run = cli_for(org)  # writes missionbase.toml in tmp_path, the server's working directory
    secret = run("tokens", "create", "probe", "--as", "ana").out.strip()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISSIONBASE_")}
    command = [str(Path(sys.executable).with_name("missionbase")), "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(100):
            try:
                root = json.loads(urllib.request.urlopen(base + "/", timeout=2).read())
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer")
        assert root["links"]["docs"] == "/api/docs"
        request = urllib.request.Request(
            base + "/objects/HousingUnit/records?limit=5", headers={"Authorization": f"Bearer {secret}"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:  # ana has no housing permission set
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 403
        assert refused.value.headers["content-type"] == "application/problem+json"
        me = json.loads(urllib.request.urlopen(
            urllib.request.Request(base + "/me", headers={"Authorization": f"Bearer {secret}"}), timeout=5
        ).read())  # fmt: skip
        assert me["username"] == "ana"
    finally:
        server.terminate()
        server.wait(timeout=10)
