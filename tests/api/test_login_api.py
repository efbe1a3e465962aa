"""Logging in with a password: the session cookie, CSRF, logout and expiry, failed-login
limits and the audit trail, as a browser or a script talking to the API sees them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from missionbase.core.auth.passwords import set_password

API = "/api/v1"
PASSWORDS = {
    "ana": "ana's long passphrase",
    "ben": "ben's long passphrase",
    "admin": "the admin's passphrase",
}


@pytest.fixture
def org(served):
    with served.app.system_session() as s:
        for username, password in PASSWORDS.items():
            set_password(s, username, password)
    return served


def browser(org, *, address: str = "203.0.113.7", https: bool = False) -> TestClient:
    base = "https://testserver" if https else "http://testserver"
    return TestClient(org.api, base_url=base, client=(address, 50000), raise_server_exceptions=False)


def log_in(client: TestClient, username: str, password: str | None = None):
    return client.post(
        f"{API}/auth/login", json={"username": username, "password": password or PASSWORDS[username]}
    )


def logged_in(org, username: str, **options) -> tuple[TestClient, str]:
    """A browser with the session cookie of ``username``, and the session's CSRF token."""
    client = browser(org, **options)
    response = log_in(client, username)
    assert response.status_code == 200, response.text
    return client, response.json()["csrf_token"]


def count(org, object_name: str) -> int:
    with org.app.system_session() as s:
        return len(s.query(object_name, limit=1000).records)


def audit_events(org) -> list[tuple[str, str | None]]:
    table = org.app.schema.internal["auth_audit"]
    with org.app.connect() as conn:
        rows = conn.execute(sa.select(table.c.event, table.c.user_id).order_by(table.c.at, table.c.id)).all()
    return [(row.event, row.user_id) for row in rows]


def set_setting(org, key: str, value) -> None:
    with org.app.system_session() as s:
        s.set_setting(key, value)


def test_login_sets_an_httponly_samesite_cookie_and_answers_who_and_the_csrf_token(org):
    client = browser(org)
    response = log_in(client, "ana")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["username"] == "ana" and body["csrf_token"]
    assert body["session"]["id"].startswith("ses_") and "secret_hash" not in body["session"]
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("mb_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP (a development server): a Secure cookie would never come back
    assert "Max-Age=43200" in cookie  # the 12-hour absolute limit
    me = client.get(f"{API}/me").json()
    assert me["username"] == "ana" and me["token"] is None
    assert me["session"] == {"id": body["session"]["id"], "csrf_token": body["csrf_token"]}


def test_over_https_the_cookie_is_secure(org):
    response = log_in(browser(org, https=True), "ana")
    assert "Secure" in response.headers["set-cookie"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_401(org):
    client = browser(org)
    wrong = org.problem(log_in(client, "ana", "not ana's passphrase"), 401)
    unknown = org.problem(log_in(client, "nobody", "not anyone's passphrase"), 401)
    assert wrong["detail"] == unknown["detail"] == "wrong username or password"
    # a user without a password and a deactivated one are told the same
    no_password = org.problem(log_in(client, "rita", "whatever it might be"), 401)
    with org.app.system_session() as s:
        s.update(org.ids["ben"], {"is_active": False})
    deactivated = org.problem(log_in(client, "ben"), 401)
    assert no_password["detail"] == deactivated["detail"] == wrong["detail"]
    assert "mb_session" not in client.cookies
    events = audit_events(org)
    assert events.count(("login_failed", org.ids["ana"])) == 1
    assert ("login_failed", None) in events  # the unknown name: the audit keeps it, the answer does not


def test_bad_login_bodies_are_clear_problems(org):
    client = browser(org)
    org.problem(client.post(f"{API}/auth/login", json={"username": "ana"}), 422, "password")
    org.problem(client.post(f"{API}/auth/login", json={"username": "ana", "password": 5}), 422, "password")
    org.problem(
        client.post(f"{API}/auth/login", json={**dict.fromkeys(["username", "password"], "x"), "otp": 1}),
        422,
        "otp",
    )
    org.problem(client.post(f"{API}/auth/login", content=b"username=ana"), 415)
    org.problem(
        client.post(f"{API}/auth/login", content=b"{", headers={"content-type": "application/json"}), 400
    )


def test_a_cookie_change_without_the_csrf_token_is_403_and_writes_nothing(org):
    client, csrf = logged_in(org, "ana")
    before = count(org, "CaseFile")
    refused = org.problem(client.post(org.url("CaseFile"), json={"name": "Forged"}), 403, "X-CSRF-Token")
    assert refused["type"].endswith("/csrf")
    org.problem(
        client.post(org.url("CaseFile"), json={"name": "Forged"}, headers={"X-CSRF-Token": "guess"}), 403
    )
    assert count(org, "CaseFile") == before
    # reads need no token; with the right one the change goes through
    assert client.get(org.url("CaseFile")).status_code == 200
    created = client.post(org.url("CaseFile"), json={"name": "Real"}, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    deleted = client.delete(org.url("CaseFile", created.json()["id"]))
    org.problem(deleted, 403, "csrf_token")
    assert count(org, "CaseFile") == before + 1


def test_an_html_form_sends_the_csrf_token_as_a_field(org):
    client, csrf = logged_in(org, "ana")
    org.problem(client.post(f"{API}/auth/logout", data={"csrf_token": "wrong"}), 403)
    assert client.post(f"{API}/auth/logout", data={"csrf_token": csrf}).status_code == 204
    org.problem(client.get(f"{API}/me"), 401, "login session")


def test_a_bearer_token_needs_no_csrf_token_and_wins_over_a_cookie(org):
    client, _ = logged_in(org, "ana")
    token = org.token("ben")
    created = client.post(
        org.url("CaseFile"), json={"name": "Scripted"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["owner_id"] == org.ids["ben"]


def test_logout_ends_the_session_and_clears_the_cookie(org):
    client, csrf = logged_in(org, "ana")
    cookie = client.cookies["mb_session"]
    response = client.post(f"{API}/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert 'mb_session=""' in response.headers["set-cookie"] and "Max-Age=0" in response.headers["set-cookie"]
    # the old cookie, kept by someone, opens nothing
    replay = browser(org)
    replay.cookies.set("mb_session", cookie)
    org.problem(replay.get(f"{API}/me"), 401, "ended")
    org.problem(replay.post(org.url("CaseFile"), json={"name": "x"}, headers={"X-CSRF-Token": csrf}), 401)
    assert ("logout", org.ids["ana"]) in audit_events(org)
    # logging out with a token is a mistake worth naming
    org.problem(org.client("ana").post(f"{API}/auth/logout"), 400, "revoke")


def test_users_list_and_revoke_their_own_sessions_and_admins_anyones(org):
    laptop, laptop_csrf = logged_in(org, "ana")
    phone, _ = logged_in(org, "ana", address="198.51.100.4")
    other, _ = logged_in(org, "ben")
    listed = laptop.get(f"{API}/auth/sessions").json()["sessions"]
    assert len(listed) == 2 and [s["current"] for s in listed] == [True, False]
    assert {s["address"] for s in listed} == {"203.0.113.7", "198.51.100.4"}
    assert all("secret_hash" not in s and s["expires_at"] for s in listed)
    phone_id = listed[1]["id"]
    assert (
        laptop.delete(f"{API}/auth/sessions/{phone_id}", headers={"X-CSRF-Token": laptop_csrf}).status_code
        == 204
    )
    org.problem(phone.get(f"{API}/me"), 401)
    # someone else's session is not found (ids are not confirmed), nor may one list theirs
    ben_session = other.get(f"{API}/me").json()["session"]["id"]
    org.problem(
        laptop.delete(f"{API}/auth/sessions/{ben_session}", headers={"X-CSRF-Token": laptop_csrf}), 404
    )
    org.problem(laptop.get(f"{API}/auth/sessions", params={"user": "ben"}), 403, "manage_users")
    assert other.get(f"{API}/me").status_code == 200
    admin, admin_csrf = logged_in(org, "admin")
    assert [
        s["id"] for s in admin.get(f"{API}/auth/sessions", params={"user": "ben"}).json()["sessions"]
    ] == [ben_session]
    assert (
        admin.delete(f"{API}/auth/sessions/{ben_session}", headers={"X-CSRF-Token": admin_csrf}).status_code
        == 204
    )
    org.problem(other.get(f"{API}/me"), 401)
    assert events_of(org, "session_revoked") == [org.ids["ana"], org.ids["ben"]]


def events_of(org, event: str) -> list[str | None]:
    return [user for name, user in audit_events(org) if name == event]


def test_a_session_ends_after_the_idle_time_and_at_the_absolute_limit(org, clock):
    set_setting(org, "core.session_idle_minutes", 30)
    set_setting(org, "core.session_max_hours", 2)
    idle, _ = logged_in(org, "ana")
    clock.shift(minutes=25)
    assert idle.get(f"{API}/me").status_code == 200  # activity moves the idle clock on
    clock.shift(minutes=25)
    assert idle.get(f"{API}/me").status_code == 200
    clock.shift(minutes=31)
    org.problem(idle.get(f"{API}/me"), 401, "30 minutes without activity")
    busy, _ = logged_in(org, "ben")
    for _ in range(4):  # a request every 25 minutes for 100 minutes: never idle
        clock.shift(minutes=25)
        assert busy.get(f"{API}/me").status_code == 200
    clock.shift(minutes=25)  # 125 minutes since the login
    org.problem(busy.get(f"{API}/me"), 401, "2-hour limit")


def test_failed_logins_per_user_are_limited_with_retry_after(org, clock):
    set_setting(org, "core.login_failures_per_user", 3)
    client = browser(org)
    for _ in range(3):
        org.problem(log_in(client, "ana", "a wrong guess here"), 401)
    refused = log_in(client, "ana")  # even the right password is not checked now
    body = org.problem(refused, 429, "too many failed logins")
    assert body["type"].endswith("/too_many_failures")
    retry_after = int(refused.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60
    org.problem(
        log_in(browser(org, address="192.0.2.50"), "ANA ", PASSWORDS["ana"]), 429
    )  # another address, same name
    assert log_in(client, "ben").status_code == 200  # another user from the same address
    # an unknown name is limited alike: the 429 tells nothing about which names exist
    for _ in range(3):
        org.problem(log_in(client, "nobody", "a wrong guess here"), 401)
    org.problem(log_in(client, "nobody", "a wrong guess here"), 429)
    clock.shift(seconds=retry_after + 1)
    assert log_in(client, "ana").status_code == 200


def test_failed_logins_per_address_are_limited(org):
    set_setting(org, "core.login_failures_per_address", 4)
    guesser = browser(org, address="198.51.100.66")
    for username in ("ana", "ben", "rita", "hal"):
        org.problem(log_in(guesser, username, "a wrong guess here"), 401)
    org.problem(log_in(guesser, "admin"), 429, "from your address")
    assert log_in(browser(org, address="198.51.100.67"), "admin").status_code == 200


def test_a_success_forgives_the_users_failures(org):
    set_setting(org, "core.login_failures_per_user", 3)
    client = browser(org)
    for _ in range(2):
        org.problem(log_in(client, "ana", "a wrong guess here"), 401)
    assert log_in(client, "ana").status_code == 200
    for _ in range(2):
        org.problem(log_in(client, "ana", "a wrong guess here"), 401)
    assert log_in(client, "ana").status_code == 200


def test_a_new_password_ends_the_users_sessions(org):
    client, _ = logged_in(org, "ana")
    with org.app.session("ana") as s:
        set_password(s, "ana", "ana's new long passphrase")
    org.problem(client.get(f"{API}/me"), 401)
    org.problem(log_in(browser(org), "ana"), 401)
    assert log_in(browser(org), "ana", "ana's new long passphrase").status_code == 200


def test_the_audit_is_for_admins_and_records_logins_tokens_and_passwords(org):
    client, csrf = logged_in(org, "ana")
    org.problem(log_in(browser(org), "ana", "a wrong guess here"), 401)
    created = client.post(f"{API}/tokens", json={"name": "sheet"}, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    assert (
        client.delete(f"{API}/tokens/{created.json()['id']}", headers={"X-CSRF-Token": csrf}).status_code
        == 204
    )
    assert client.post(f"{API}/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    admin = org.client("admin")
    rows = admin.get(f"{API}/auth/audit", params={"user": "ana"}).json()["events"]
    assert [r["event"] for r in rows] == [
        "logout", "token_revoked", "token_created", "login_failed", "login", "password_set"
    ]  # fmt: skip
    failed = rows[3]
    assert (
        failed["user"] == "ana"
        and failed["address"] == "203.0.113.7"
        and failed["detail"] == "wrong password"
    )
    only = admin.get(f"{API}/auth/audit", params={"user": "ana", "event": "login"}).json()["events"]
    assert [r["event"] for r in only] == ["login"]
    org.problem(admin.get(f"{API}/auth/audit", params={"event": "lunch"}), 422, "login_failed")
    org.problem(org.client("ana").get(f"{API}/auth/audit"), 403, "manage_users")


def test_passwords_and_secrets_are_never_stored_in_plain_text(org):
    client, csrf = logged_in(org, "ana")
    cookie = client.cookies["mb_session"]
    token = client.post(f"{API}/tokens", json={"name": "sheet"}, headers={"X-CSRF-Token": csrf}).json()[
        "token"
    ]
    with org.app.connect() as conn:
        stored = repr([conn.execute(sa.select(t)).all() for t in org.app.schema.metadata.sorted_tables])
        hashes = conn.execute(sa.select(org.app.schema.internal["password"].c.hash)).scalars().all()
    for secret in (*PASSWORDS.values(), cookie, csrf, token):
        assert secret not in stored
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    # the User record and its API answer carry no hash
    user = org.client("admin").get(org.url("User", org.ids["ana"])).json()
    assert "argon2" not in repr(user)


def test_openapi_documents_the_login_routes_and_both_credentials(org):
    document = browser(org).get(f"{API}/openapi.json").json()
    for path in (
        "/auth/login",
        "/auth/logout",
        "/auth/sessions",
        "/auth/sessions/{session_id}",
        "/auth/audit",
    ):
        assert f"{API}{path}" in document["paths"]
    schemes = document["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}
    assert any(s.get("in") == "cookie" and s.get("name") == "mb_session" for s in schemes.values())
    login = document["paths"][f"{API}/auth/login"]["post"]
    assert "429" in login["responses"] and "security" not in login
