"""Passwords, the audit and tokens from the command line, and the login functions the web UI
calls (log_in, session_caller, end_session), on a real database."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from missionbase.core.auth import (
    BadCredentials,
    CsrfRefused,
    TooManyFailures,
    end_session,
    log_in,
    session_caller,
)
from missionbase.core.auth.passwords import set_password
from missionbase.core.errors import AccessDenied, ValidationError
from missionbase.core.testing import add_users


@pytest.fixture
def stdin(monkeypatch):
    """``stdin("text")``: what the next command reads from standard input."""

    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))

    return feed


@pytest.fixture
def org(make_app):
    app = make_app()
    add_users(app, {"ana": "Ana Caseworker", "ben": "Ben Volunteer"})
    return app


def stored_hashes(app) -> dict[str, str]:
    table = app.schema.internal["password"]
    with app.connect() as conn:
        return dict(conn.execute(sa.select(table.c.user_id, table.c.hash)).all())


def test_init_prints_the_first_admins_generated_password_once(tmp_path, monkeypatch, cli, database_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MISSIONBASE_DATABASE_URL", raising=False)
    result = cli("init", "--database-url", database_url)
    assert result.exit_code == 0, result.err
    (line,) = [x for x in result.out.splitlines() if x.startswith("Password of admin: ")]
    password = line.removeprefix("Password of admin: ")
    assert len(password) >= 16 and "shown only now" in result.out
    from missionbase.core.app import open_org

    app = open_org(tmp_path / "missionbase.toml")
    try:
        assert log_in(app, "admin", password, address="127.0.0.1").user["username"] == "admin"
        assert all(h.startswith("$argon2id$") and password not in h for h in stored_hashes(app).values())
    finally:
        app.dispose()


def test_init_takes_the_admins_password_from_stdin(tmp_path, monkeypatch, cli, database_url, stdin):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MISSIONBASE_DATABASE_URL", raising=False)
    stdin("short\n")
    refused = cli("init", "--database-url", database_url, "--admin-password-stdin")
    assert refused.exit_code != 0 and len(refused.err.strip().splitlines()) == 1
    assert "at least 12 characters" in refused.err and "short" not in refused.err
    assert not (tmp_path / "missionbase.toml").exists()  # nothing half-made
    stdin("the admin's chosen passphrase\n")
    result = cli("init", "--database-url", database_url, "--admin-password-stdin")
    assert result.exit_code == 0, result.err
    assert "Password of" not in result.out and "passphrase" not in result.out


def test_set_password_from_stdin_or_generated(org, cli_for, stdin):
    run = cli_for(org)
    stdin("ana's long passphrase\n")
    result = run("users", "set-password", "ana", "--password-stdin")
    assert result.exit_code == 0, result.err
    assert "passphrase" not in result.out + result.err
    assert log_in(org, "ana", "ana's long passphrase", address="127.0.0.1")
    generated = run("users", "set-password", "ben")
    assert generated.exit_code == 0, generated.err
    password = generated.out.strip()
    assert len(password) >= 16 and "not shown again" in generated.err
    assert log_in(org, "ben", password, address="127.0.0.1")


def test_set_password_refusals_are_one_line(org, cli_for, stdin):
    run = cli_for(org)
    stdin("short\n")
    too_short = run("users", "set-password", "ana", "--password-stdin")
    assert too_short.exit_code != 0 and "at least 12 characters (this one has 5)" in too_short.err
    assert len(too_short.err.strip().splitlines()) == 1 and "Traceback" not in too_short.err
    stdin("ana\n")
    assert (
        run("users", "set-password", "nobody", "--password-stdin").err.strip()
        == "error: unknown user 'nobody'; valid: admin, ana, ben"
    )
    stdin("a long enough password\n")
    others = run("users", "set-password", "ben", "--password-stdin", "--as", "ana")
    assert others.exit_code != 0 and "manage_users" in others.err
    run("settings", "set", "core.password_min_length", "20")
    stdin("nineteen characters\n")
    assert "at least 20" in run("users", "set-password", "ana", "--password-stdin").err
    stdin("exactly twenty chars\n")
    assert run("users", "set-password", "ana", "--password-stdin", "--as", "ana").exit_code == 0
    assert "Traceback" not in run("settings", "set", "core.password_min_length", "4").err
    assert len(stored_hashes(org)) == 1  # ana's; ben still has none


def test_the_auth_audit_is_for_admins(org, cli_for, stdin):
    run = cli_for(org)
    stdin("ana's long passphrase\n")
    run("users", "set-password", "ana", "--password-stdin")
    log_in(org, "ana", "ana's long passphrase", address="192.0.2.1")
    with pytest.raises(BadCredentials):
        log_in(org, "ana", "a wrong passphrase", address="192.0.2.2")
    rows = run("auth", "audit", "--user", "ana", "--json").json()
    assert [r["event"] for r in rows] == ["login_failed", "login", "password_set"]
    assert rows[0]["address"] == "192.0.2.2" and rows[2]["actor"] == "admin"
    table = run("auth", "audit", "--event", "login")
    assert table.exit_code == 0 and "192.0.2.1" in table.out and "192.0.2.2" not in table.out
    refused = run("auth", "audit", "--as", "ana")
    assert refused.exit_code != 0 and "manage_users" in refused.err
    assert "valid: login" in run("auth", "audit", "--event", "lunch").err


def test_tokens_can_be_limited_to_objects_from_the_cli(org, cli_for):
    run = cli_for(org)
    created = run(
        "tokens", "create", "contacts sync", "--objects", "Contact,Account", "--as", "ana", "--json"
    )
    assert created.exit_code == 0, created.err
    assert created.json()["objects"] == ["Account", "Contact"]
    listed = run("tokens", "list", "--as", "ana")
    assert "Account, Contact" in listed.out
    typo = run("tokens", "create", "x", "--objects", "Contcat", "--as", "ana")
    assert typo.exit_code != 0 and "did you mean 'Contact'" in typo.err


def test_the_web_ui_entry_points_log_in_check_csrf_and_log_out(org):
    with org.system_session() as s:
        set_password(s, "ana", "ana's long passphrase")
    result = log_in(org, "ana", "ana's long passphrase", address="192.0.2.1", user_agent="Firefox")
    cookie = result.cookie(secure=True)
    assert (
        cookie["httponly"]
        and cookie["secure"]
        and cookie["samesite"] == "lax"
        and cookie["key"] == "mb_session"
    )
    caller = session_caller(org, result.secret, method="GET")
    assert caller.user_id == result.user["id"] and caller.csrf_token == result.csrf_token
    with pytest.raises(CsrfRefused):
        session_caller(org, result.secret, method="POST")
    with pytest.raises(CsrfRefused):
        session_caller(org, result.secret, method="POST", csrf_token="forged")
    posting = session_caller(org, result.secret, method="POST", csrf_token=result.csrf_token)
    with org.session(posting.user_id) as s:  # the page's work, as the user
        assert s.user.username == "ana"
    end_session(org, posting)
    with pytest.raises(BadCredentials, match="log in again"):
        session_caller(org, result.secret, method="GET")
    with pytest.raises(BadCredentials):
        session_caller(org, "", method="GET")


def test_too_many_failures_raise_with_the_wait(org):
    with org.system_session() as s:
        s.set_setting("core.login_failures_per_user", 2)
        set_password(s, "ana", "ana's long passphrase")
    for _ in range(2):
        with pytest.raises(BadCredentials):
            log_in(org, "ana", "a wrong passphrase", address="192.0.2.1")
    with pytest.raises(BadCredentials, match="wrong username or password"):
        log_in(org, "ana", "x" * 100_000, address="192.0.2.3")  # refused before any hashing
    with pytest.raises(TooManyFailures) as refused:
        log_in(org, "ana", "ana's long passphrase", address="192.0.2.1")
    assert 0 < refused.value.retry_after <= 15 * 60


def test_only_admins_set_others_passwords_and_errors_never_quote_one(org):
    with pytest.raises(AccessDenied, match="manage_users"), org.session("ana") as s:
        set_password(s, "ben", "a long enough password")
    with pytest.raises(ValidationError, match="at least 12 characters") as refused, org.session("ana") as s:
        set_password(s, "ana", "hunter2")
    assert "hunter2" not in str(refused.value)
    assert stored_hashes(org) == {}


def test_the_purge_job_deletes_expired_sessions_and_old_failures(org, cli_for, clock):
    with org.system_session() as s:
        set_password(s, "ana", "ana's long passphrase")
    log_in(org, "ana", "ana's long passphrase", address="192.0.2.1")
    with pytest.raises(BadCredentials):
        log_in(org, "ben", "a wrong passphrase", address="192.0.2.1")
    run = cli_for(org)
    assert "deleted 0 expired login session(s) and 0 old" in run("jobs", "run", "core.purge_logins").out
    clock.shift(hours=13)
    assert "deleted 1 expired login session(s) and 1 old" in run("jobs", "run", "core.purge_logins").out


def test_sessions_are_listed_and_ended_from_the_cli(org, cli_for):
    with org.system_session() as s:
        set_password(s, "ana", "ana's long passphrase")
    result = log_in(org, "ana", "ana's long passphrase", address="192.0.2.9", user_agent="Firefox")
    run = cli_for(org)
    listed = run("auth", "sessions", "--all", "--json").json()
    assert [(r["username"], r["address"], r["user_agent"]) for r in listed] == [
        ("ana", "192.0.2.9", "Firefox")
    ]
    assert "secret_hash" not in listed[0]
    assert run("auth", "sessions", "--as", "ana").out.count("192.0.2.9") == 1
    assert "manage_users" in run("auth", "sessions", "--all", "--as", "ben").err
    assert "not found" in run("auth", "revoke-session", listed[0]["id"], "--as", "ben").err
    assert run("auth", "revoke-session", listed[0]["id"]).exit_code == 0
    with pytest.raises(BadCredentials):
        session_caller(org, result.secret, method="GET")
    assert run("auth", "sessions", "--all", "--json").json() == []
