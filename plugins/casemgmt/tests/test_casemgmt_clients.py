"""The client record: derived fields, client IDs, alerts, the card and its tabs."""

from __future__ import annotations

import datetime as dt
import threading
import types

import pytest

from missionbase.core import Generator, UnknownName, ValidationError, hookimpl, store_file
from missionbase.core.testing import PluginConformance
from missionbase.plugins.casemgmt.clients import age_category, age_on, client_card, client_record

from .conftest import engage, make_client

YEAR = dt.date.today().year


class TestCasemgmtConformance(PluginConformance):
    plugins = ["pmm", "casemgmt"]


def test_declarations_target_types_feed_and_permission_sets(cm_app):
    registry = cm_app.registry
    assert {"Incident", "CasePlan"} <= set(registry.target_types)
    assert registry.target_types["Incident"] == "casemgmt"
    assert all(registry.objects[n].feed for n in ("ClientNote", "CasePlan", "Incident", "Assessment"))
    assert {
        "Case Management: Caseworker",
        "Case Management: Supervisor",
        "Case Management: Read Only",
    } <= set(registry.permission_sets)
    assert registry.object("Contact").field("client_id").plugin == "casemgmt"


def test_enabling_casemgmt_without_pmm_is_a_clear_error(make_app):
    from missionbase.core import ConfigError

    with pytest.raises(ConfigError, match="requires 'pmm'"):
        make_app(plugins=["casemgmt"])


def test_age_and_category_follow_birthdate_and_configurable_bounds():
    bounds = {"Child": 0, "Youth": 13, "Adult": 18, "Senior": 65}
    today = dt.date(2026, 6, 15)
    assert age_on(dt.date(2008, 6, 16), today) == 17 and age_on(dt.date(2008, 6, 15), today) == 18
    assert [age_category(a, bounds) for a in (0, 12, 13, 17, 18, 64, 65)] == [
        "Child",
        "Child",
        "Youth",
        "Youth",
        "Adult",
        "Adult",
        "Senior",
    ]
    assert age_on(None, today) is None and age_category(None, bounds) is None


def test_new_client_gets_derived_fields_and_a_generated_id(cm_app):
    with cm_app.session("ana") as s:
        born = dt.date.today().replace(year=dt.date.today().year - 70, day=1)
        carol = make_client(s, "Carol", "Smith", birthdate=born, watch_list=True)
        donor = s.create("Contact", {"first_name": "Dan", "last_name": "Donor", "roles": ["Donor"]})
        assert carol["client_id"] == f"{YEAR}-000001"
        assert carol["age"] == 70 and carol["age_category"] == "Senior"
        assert carol["roles"] == ["Client"] and carol["watch_list_date"] == dt.date.today()
        assert donor["client_id"] is None and donor["roles"] == ["Donor"] and not donor["is_client"]
        # Adding the Client role makes the contact a client (and numbers it); unflagging clears the date.
        donor = s.update(donor["id"], {"roles": ["Donor", "Client"]})
        assert donor["is_client"] and donor["client_id"] == f"{YEAR}-000002"
        carol = s.update(carol["id"], {"watch_list": False})
        assert carol["watch_list_date"] is None


def test_an_imported_client_id_is_kept_and_generation_skips_ids_in_use(cm_app):
    with cm_app.session("ana") as s:
        imported = make_client(s, "Ida", "Import", client_id=f"{YEAR}-000001")
        fresh = make_client(s, "Fred", "Fresh")
    assert imported["client_id"] == f"{YEAR}-000001" and fresh["client_id"] == f"{YEAR}-000002"
    with cm_app.session("ana") as s, pytest.raises(ValidationError, match=r"client_id.*already exists"):
        make_client(s, "Dup", "Licate", client_id=f"{YEAR}-000002")


def test_the_format_is_a_setting_with_a_counter_per_prefix(cm_app):
    with cm_app.session("admin") as s:
        s.set_setting("casemgmt.client_id_format", "C{YY}{MM}-{SEQ:4}")
        first = make_client(s, "A", "One")
        s.set_setting("casemgmt.client_id_format", "no counter")
        with pytest.raises(ValidationError, match=r"needs exactly one counter such as \{SEQ:6\}"):
            make_client(s, "B", "Two")
    assert first["client_id"] == f"C{dt.date.today():%y%m}-0001"


def test_concurrent_creation_never_duplicates_a_client_id(cm_app):
    made: list[str] = []  # the year's counter does not exist yet: the first writers race to create it
    errors: list[BaseException] = []

    def create(worker: int) -> None:
        try:
            for n in range(5):
                with cm_app.session("ana") as s:
                    made.extend(
                        c["client_id"]
                        for c in s.create_many(
                            "Contact",
                            [{"last_name": f"W{worker}-{n}-{k}", "is_client": True} for k in range(3)],
                        )
                    )
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(made) == 60 and len(set(made)) == 60
    assert sorted(made) == [f"{YEAR}-{n:06d}" for n in range(1, 61)]


def _generator_plugin():
    module = types.ModuleType("hud_ids")

    def hud(session, rows):
        first = session.reserve_numbers("hud", len(rows))
        return [f"HUD-{first + i}" for i in range(len(rows))]

    @hookimpl
    def missionbase_register_objects(registry):
        registry.add(Generator("hud.sequence", generate=hud))

    module.missionbase_register_objects = missionbase_register_objects
    return module


def test_another_plugin_can_register_the_generator(make_app):
    app = make_app(plugins=["pmm", "casemgmt", "hud_ids"], extra_plugins={"hud_ids": _generator_plugin()})
    with app.session("admin") as s:
        s.set_setting("casemgmt.client_id_generator", "hud.sequence")
        assert make_client(s, "Hugo", "Hud")["client_id"] == "HUD-1"
        s.set_setting("casemgmt.client_id_generator", "nope")
        with pytest.raises(
            UnknownName, match=r"unknown client ID generator 'nope'.*casemgmt\.format, hud\.sequence"
        ):
            make_client(s, "No", "Pe")


def test_client_id_assign_and_regenerate_from_the_cli(cm_app, cli, in_org, users):
    with cm_app.system_session() as s:  # clients loaded before the plugin numbered anything
        s.set_setting("casemgmt.client_id_generator", "casemgmt.format")
        table = s.schema.table("Contact")
        carol = make_client(s, "Carol", "Smith", owner_id=users["ana"])
        s.conn.execute(table.update().values(client_id=None))
        other = s.create("Contact", {"last_name": "NotClient", "owner_id": users["ana"]})
    result = cli("casemgmt", "client-id", "assign", "--as", "ana", "--json")
    assert result.exit_code == 0, result.err
    assert result.json() == [{"id": carol["id"], "name": "Carol Smith", "client_id": f"{YEAR}-000002"}]
    assert "every client already has an ID" in cli("casemgmt", "client-id", "assign", "--as", "ana").out
    result = cli("casemgmt", "client-id", "regenerate", carol["id"], "--as", "ana", "--json")
    assert result.json()[0]["client_id"] == f"{YEAR}-000003"
    bad = cli("casemgmt", "client-id", "regenerate", other["id"], "--as", "ana")
    assert bad.exit_code != 0 and bad.err.strip().splitlines() == [
        f"error: Contact field 'is_client': {other['id']} is not a client (is_client is not set)"
    ]
    with cm_app.session("ana") as s:
        assert s.get(other["id"])["client_id"] is None


def test_alerts_active_first_and_only_active_ones_on_the_card(cm_app):
    today = dt.date.today()
    with cm_app.session("ana") as s:
        carol = make_client(s, "Carol", "Smith")
        s.create_many(
            "ClientAlert",
            [
                {"contact": carol["id"], "name": "Old", "active": False},
                {"contact": carol["id"], "name": "Expired", "expires_on": today - dt.timedelta(days=1)},
                {"contact": carol["id"], "name": "Peanut allergy"},
                {
                    "contact": carol["id"],
                    "name": "Until tomorrow",
                    "expires_on": today + dt.timedelta(days=1),
                },
            ],
        )
        card = client_card(s, carol["id"])
        assert [a["alert"] for a in card["alerts"]] == ["Until tomorrow", "Peanut allergy"]


def test_sensitive_legal_name_is_seen_by_caseworkers_not_by_read_only(cm_app, users):
    with cm_app.session("ana") as s:
        carol = make_client(s, "Carol", "Smith", legal_name="Caroline Smith-Jones", pronouns="she/her")
        assert client_card(s, carol["id"])["legal_name"] == "Caroline Smith-Jones"
    with cm_app.system_session() as s:
        from missionbase.core import Grantee, share_record

        share_record(s, carol["id"], Grantee("user", users["viewer"], "viewer"), "read")
    with cm_app.session("viewer") as s:
        card = client_card(s, carol["id"])
        assert "legal_name" not in card and card["pronouns"] == "she/her"


def test_client_show_prints_card_tabs_and_a_paged_timeline(cm_app, cli, in_org, program):
    with cm_app.session("ana") as s:
        photo = store_file(s, b"\x89PNG...", name="carol.png")
        carol = make_client(
            s,
            "Carol",
            "Smith",
            pronouns="she/her",
            roles=["Client", "Volunteer"],
            watch_list=True,
            birthdate=dt.date(1990, 1, 1),
            photo=photo["id"],
            email="carol@example.org",
        )
        s.create("ClientAlert", {"contact": carol["id"], "name": "Peanut allergy"})
        engagement = engage(s, program, carol["id"])
        s.create("ClientNote", {"client": carol["id"], "subject": "Intake", "status": "Complete"})
        for day in (1, 3, 5):
            s.create(
                "Task", {"subject": f"Call {day}", "who": carol["id"], "due_date": dt.date(2026, 3, day)}
            )
        s.create(
            "ServiceDelivery",
            {
                "service": program["service"],
                "contact": carol["id"],
                "quantity": 1,
                "program_engagement": engagement["id"],
                "delivery_date": dt.date(2026, 3, 2),
            },
        )
        record = client_record(s, carol["id"])
    # Newest first across tasks, events, notes and deliveries (the delivery of 2 March sits between calls).
    items = record["timeline"]["items"]
    assert [(i["kind"], i["when"]) for i in items[-4:]] == [
        ("Task", dt.date(2026, 3, 5)),
        ("Task", dt.date(2026, 3, 3)),
        ("ServiceDelivery", dt.date(2026, 3, 2)),
        ("Task", dt.date(2026, 3, 1)),
    ]
    assert record["tabs"]["case_notes"][0]["subject"] == "Intake"
    assert record["tabs"]["engagements"][0]["id"] == engagement["id"]
    result = cli("casemgmt", "client", "show", carol["id"], "--as", "ana")
    assert result.exit_code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Carol Smith (she/her)  [Client] [Volunteer]  ⚑ WATCH LIST since " + str(
        dt.date.today()
    )
    assert lines[1] == "  ! Peanut allergy"
    for tab in (
        "== engagements",
        "== case notes",
        "== case plans",
        "== assessments",
        "== files",
        "== incidents",
        "== activity timeline (page 1)",
    ):
        assert tab in lines
    assert "carol.png" in result.out and f"{YEAR}-000001" in result.out
    page = cli("casemgmt", "client", "show", carol["id"], "--as", "ana", "--json", "--page", "2").json()
    assert page["timeline"]["items"] == [] and page["card"]["age"] == age_on(
        dt.date(1990, 1, 1), dt.date.today()
    )
    missing = cli("casemgmt", "client", "show", "con_01J00000000000000000000000", "--as", "ana")
    assert missing.exit_code != 0 and missing.err.startswith("error: Contact record con_01J")


def test_the_daily_job_refreshes_stored_ages(cm_app, cli, in_org):
    with cm_app.session("ana") as s:
        carol = make_client(s, "Carol", "Smith", birthdate=dt.date(2000, 1, 1))
        s.conn.execute(
            s.schema.table("Contact").update().values(age=3, age_category="Child")
        )  # a year ago...
    result = cli("jobs", "run", "casemgmt.refresh_ages")
    assert result.exit_code == 0, result.err
    assert "refreshed the age of 1 contact(s)" in result.out
    with cm_app.session("ana") as s:
        assert s.get(carol["id"])["age_category"] == "Adult"
