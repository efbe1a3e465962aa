"""API tokens: what a script author notices (401s, scopes) and what an admin can check later."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from missionbase.core.api.tokens import list_tokens, revoke_token


def token_rows(served) -> list[dict]:
    table = served.app.schema.internal["api_token"]
    with served.app.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table)).mappings()]


def test_missing_malformed_and_unknown_credentials_are_401(served):
    anonymous = served.client()
    body = served.problem(anonymous.get("/api/v1/me"), 401, "Authorization: Bearer")
    assert body["errors"] == []
    response = anonymous.get(served.url("CaseFile"))
    served.problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    for header in ("Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer not-a-token", "Bearer mb_" + "A" * 40):
        served.problem(anonymous.get("/api/v1/me", headers={"Authorization": header}), 401)
    # the root is public: where to start, without a token
    root = anonymous.get("/api/v1/").json()
    assert root["version"] and root["links"]["openapi"] == "/api/v1/openapi.json"


def test_a_token_acts_as_its_user_and_is_stored_only_as_a_hash(served):
    secret = served.token("ana")
    assert secret.startswith("mb_") and len(secret) >= 3 + 40  # 240 random bits, base64url
    me = served.client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert me["username"] == "ana" and "Case Worker" in me["permission_sets"]
    assert me["token"]["scope"] == "read_write"
    rows = token_rows(served)
    assert secret not in repr(rows)
    assert rows[0]["last_used_at"] is not None
    assert rows[0]["expires_at"] - rows[0]["created_at"] == dt.timedelta(days=90)


def test_expired_and_revoked_tokens_are_401(served):
    expired = served.client("ana", days=1)
    assert expired.get("/api/v1/me").status_code == 200
    table = served.app.schema.internal["api_token"]
    with served.app.connect() as conn, conn.begin():  # a day and a bit later
        conn.execute(table.update().values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    served.problem(expired.get("/api/v1/me"), 401, "expired")

    revoked = served.client("ben")
    assert revoked.get(served.url("CaseFile")).status_code == 200
    with served.app.session("ben") as s:
        (mine,) = list_tokens(s)
        assert revoke_token(s, mine["id"])["status"] == "revoked"
    served.problem(revoked.get(served.url("CaseFile")), 401, "revoked")


def test_a_read_only_token_reads_and_is_refused_every_write(served):
    writer = served.client("ana")
    record = writer.post(served.url("CaseFile"), json={"name": "A"}).json()
    reader = served.client("ana", scope="read")
    assert reader.get(served.url("CaseFile", record["id"])).status_code == 200
    served.problem(reader.post(served.url("CaseFile"), json={"name": "B"}), 403, "read-only")
    served.problem(
        reader.patch(served.url("CaseFile", record["id"]), json={"status": "Closed"}), 403, "read-only"
    )
    served.problem(reader.delete(served.url("CaseFile", record["id"])), 403, "read-only")
    assert writer.get(served.url("CaseFile", record["id"])).json()["status"] == "Open"


def test_a_deactivated_users_tokens_stop_working(served):
    ben = served.client("ben")
    with served.app.system_session() as s:
        s.update(served.ids["ben"], {"is_active": False})
    served.problem(ben.get("/api/v1/me"), 401, "deactivated")


def test_users_see_and_revoke_only_their_own_tokens_and_it_is_audited(served):
    served.token("ana")
    served.token("ben")
    with served.app.session("ana") as s:
        (ana_token,) = list_tokens(s)
    with served.app.session("ben") as s:
        (ben_token,) = list_tokens(s)
        assert ben_token["user_id"] == served.ids["ben"] and "secret_hash" not in ben_token
    import pytest

    from missionbase.core.errors import AccessDenied, RecordNotFound

    with pytest.raises(RecordNotFound), served.app.session("ben") as s:
        revoke_token(s, ana_token["id"])
    with pytest.raises(AccessDenied), served.app.session("ben") as s:
        list_tokens(s, everyone=True)
    with served.app.session("admin") as s:
        assert len(list_tokens(s, everyone=True)) == 2
        revoke_token(s, ana_token["id"])  # an admin may revoke anyone's
    audit = served.app.schema.internal["auth_audit"]
    with served.app.connect() as conn:
        events = conn.execute(sa.select(audit.c.event, audit.c.token_id).order_by(audit.c.at)).all()
    assert [e for e, _ in events] == ["token_created", "token_created", "token_revoked"]
    assert events[-1].token_id == ana_token["id"]
