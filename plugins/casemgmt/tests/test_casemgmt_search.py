"""Client search and global search: prefix matching, every text field, ranking, sharing, FLS."""

from __future__ import annotations

import types

import pytest

from missionbase.core import AccessDenied, Grantee, UnknownName, ValidationError, hookimpl, share_record
from missionbase.core import fields as f
from missionbase.plugins.casemgmt.search import global_search, rebuild_index, search_clients

from .conftest import make_client


def _nickname_plugin():
    """A third plugin adding a text field to Contact: client search must cover it."""
    module = types.ModuleType("nicknames")

    @hookimpl
    def missionbase_register_objects(registry):
        registry.extend("Contact", [f.Text("nickname", max_length=40)])

    module.missionbase_register_objects = missionbase_register_objects
    return module


@pytest.fixture
def search_app(make_app):
    from missionbase.core import assign_permission_set

    app = make_app(plugins=["pmm", "casemgmt", "nicknames"], extra_plugins={"nicknames": _nickname_plugin()})
    with app.system_session() as s:
        for username, sets in (
            ("ana", ["Standard User", "Case Management: Caseworker"]),
            ("sam", ["Standard User", "Case Management: Caseworker"]),
            ("viewer", ["Read Only", "Case Management: Read Only"]),
        ):
            user = s.create("User", {"username": username, "name": username.title()})
            for name in sets:
                assign_permission_set(s, user["id"], name)
    return app


@pytest.fixture
def people(search_app):
    with search_app.session("ana") as s:
        out = {
            "carol": make_client(s, "Carol", "Smith", email="carol.smith@example.org"),
            "city": make_client(s, "Bruno", "Martin", mailing_city="Carpentras"),
            "chloe": make_client(s, "Chloé", "Durand", nickname="Coco"),
            "legal": make_client(s, "Lee", "Wong", legal_name="Carmen Wong"),
            "donor": s.create("Contact", {"first_name": "Carla", "last_name": "Donor"}),
        }
        s.create("ClientAlert", {"contact": out["carol"]["id"], "name": "Peanut allergy"})
    with search_app.session("sam") as s:
        out["sams"] = make_client(s, "Carolina", "Hidden")
    return out


def _names(rows) -> list[str]:
    return [r["name"] for r in rows]


def test_prefix_matching_over_every_text_field_names_first(search_app, people):
    with search_app.session("ana") as s:
        rows = search_clients(s, "car")
        # Name hits (Carol, and Carmen: ana may read the legal name) before the city hit; no donor, no sam's client.
        assert _names(rows[:2]) == ["Carol Smith", "Lee Wong"] or _names(rows[:2]) == [
            "Lee Wong",
            "Carol Smith",
        ]
        assert _names(rows[2:]) == ["Bruno Martin"]
        assert rows[2]["matched"] == "mailing_city" and rows[2]["value"] == "Carpentras"
        assert _names(search_clients(s, "carp")) == ["Bruno Martin"]  # results narrow as the user types
        assert _names(search_clients(s, "coco")) == ["Chloé Durand"]  # a field another plugin added
        assert _names(search_clients(s, "chloe")) == ["Chloé Durand"]  # accents do not matter
        assert _names(search_clients(s, "example smi")) == ["Carol Smith"]  # every word, any field
        assert search_clients(s, "carol")[0]["alerts"] == ["Peanut allergy"]
        assert _names(search_clients(s, str(people["city"]["client_id"]))) == ["Bruno Martin"]


def test_sharing_and_field_level_security_decide_what_matches(search_app, people, users_of):
    with search_app.session("sam") as s:
        assert _names(search_clients(s, "car")) == ["Carolina Hidden"]
    viewer = users_of(search_app)["viewer"]
    with search_app.session("ana") as s:
        share_record(s, people["legal"]["id"], Grantee("user", viewer, "viewer"), "read")
    with search_app.session("viewer") as s:  # reads Lee Wong, but not the sensitive legal name
        assert search_clients(s, "carmen") == []
        assert _names(search_clients(s, "lee")) == ["Lee Wong"]


@pytest.fixture
def users_of():
    def load(app):
        with app.system_session() as s:
            return {u["username"]: u["id"] for u in s.query("User", fields=["username"]).records}

    return load


def test_the_index_follows_updates_deletes_and_undeletes(search_app, people):
    carol = people["carol"]["id"]
    with search_app.session("ana") as s:
        s.update(carol, {"last_name": "Jones"})
        assert [r["matched"] for r in search_clients(s, "smith")] == ["email"]  # the old name is gone
        assert _names(search_clients(s, "jones")) == ["Carol Jones"]
        s.delete(carol)
        assert search_clients(s, "jones") == []
        s.undelete(carol)
        assert _names(search_clients(s, "jones")) == ["Carol Jones"]
    with search_app.system_session() as s:
        count = rebuild_index(s)
        assert count > 0
    with search_app.session("ana") as s:
        assert _names(search_clients(s, "jones")) == ["Carol Jones"]


def test_global_search_groups_by_object(search_app, people):
    with search_app.session("ana") as s:
        account = s.create("Account", {"name": "Carrefour Foundation"})
        s.create("Task", {"subject": "Call Carol about rent"})
        grouped = global_search(s, "car")
        assert set(grouped) >= {"Account", "Contact", "Task"}
        assert [r["id"] for r in grouped["Account"]] == [account["id"]]
        assert "Carla Donor" in _names(grouped["Contact"])  # global search is not limited to clients
        assert list(global_search(s, "carrefour", objects=["Account"])) == ["Account"]
        with pytest.raises(UnknownName, match="unknown object 'Acount'"):
            global_search(s, "car", objects=["Acount"])
    with search_app.system_session() as s:
        s.create("Program", {"name": "Carpool rides", "status": "Active"})
    with search_app.session("viewer") as s:  # no Read on Program: skipped, or an error when asked for
        assert "Program" not in global_search(s, "carp")
        with pytest.raises(AccessDenied):
            global_search(s, "carp", objects=["Program"])


def test_bad_search_input_is_one_clear_error(search_app, people):
    with search_app.session("ana") as s:
        for text in ("", "a", "  -- "):
            with pytest.raises(ValidationError, match="search needs at least 2 letters or digits"):
                search_clients(s, text)


def test_search_from_the_cli(search_app, people, cli, tmp_path, monkeypatch):
    for name in ("MISSIONBASE_DATABASE_URL", "MISSIONBASE_PLUGINS", "MISSIONBASE_USER", "MISSIONBASE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MISSIONBASE_DATABASE_URL", search_app.settings.database_url)
    monkeypatch.setenv("MISSIONBASE_PLUGINS", "pmm,casemgmt")  # the CLI runs without the test-only plugin
    monkeypatch.chdir(tmp_path)
    clients = cli("search", "car", "--clients", "--as", "ana")
    assert clients.exit_code == 0, clients.err
    assert "Carol Smith" in clients.out and "Peanut allergy" in clients.out and "Carla" not in clients.out
    grouped = cli("search", "car", "--as", "ana", "--json").json()
    assert "Carla Donor" in _names(grouped["Contact"])
    only = cli("search", "car", "--object", "Contact", "--as", "ana", "--json").json()
    assert list(only) == ["Contact"]
    assert cli("search", "zzzz", "--as", "ana").out.strip() == "nothing found for 'zzzz'"
    bad = cli("search", "x", "--as", "ana")
    assert (
        bad.exit_code != 0 and bad.err.strip() == "error: search needs at least 2 letters or digits (got 'x')"
    )
