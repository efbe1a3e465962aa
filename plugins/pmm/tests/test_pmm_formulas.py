"""PMM's formula fields: computed when read, never stored, filterable."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from .conftest import make_world


def test_formulas_have_no_column(pmm_app):
    with pmm_app.connect() as conn:
        inspector = sa.inspect(conn)
        columns = {
            table: {c["name"] for c in inspector.get_columns(table)}
            for table in ("program_engagement", "service_delivery", "service_session")
        }
    assert "current_user_owner" not in columns["program_engagement"]
    assert "unit_of_measurement" not in columns["service_delivery"]
    assert "service_link" not in columns["service_session"]
    assert pmm_app.pending_schema_changes() == []
    described = {fld["name"]: fld for fld in pmm_app.registry.object("ServiceSession").describe()["fields"]}
    assert described["service_link"]["kind"] == "formula"
    assert described["service_link"]["result"] == "lookup" and described["service_link"]["targets"] == [
        "Service"
    ]


def test_current_user_owner_is_the_running_user(pmm_app, world):
    engagement = world.engagements[0]
    with pmm_app.session("manager") as s:
        assert s.get(engagement["id"])["current_user_owner"] is True
        mine = s.query("ProgramEngagement", where={"current_user_owner": True})  # "My Program Engagements"
        assert len(mine) == len(world.engagements)
    with pmm_app.session("worker") as s:
        assert s.get(engagement["id"])["current_user_owner"] is False
        assert s.count("ProgramEngagement", where={"current_user_owner": True}) == 0
        worker_id = s.user.id
        own = s.create(
            "ProgramEngagement",
            {"program": world.program["id"], "contact": world.contacts[0]["id"], "stage": "Applied"},
        )
        assert own["current_user_owner"] is True
        assert [r["id"] for r in s.query("ProgramEngagement", where={"current_user_owner": True})] == [
            own["id"]
        ]
    with pmm_app.session("manager") as s:
        s.update(engagement["id"], {"owner_id": worker_id})
        assert s.get(engagement["id"])["current_user_owner"] is False
    with pmm_app.session("worker") as s:
        assert s.count("ProgramEngagement", where={"current_user_owner": True}) == 2


def test_delivery_unit_of_measurement_is_the_services_current_unit(pmm_app, world):
    with pmm_app.session("worker") as s:
        delivery = s.create(
            "ServiceDelivery",
            {
                "service": world.service["id"],
                "contact": world.contacts[0]["id"],
                "quantity": "1.5",
                "attendance_status": "Present",
            },
        )
        assert delivery["unit_of_measurement"] == "Hours"
        assert (
            s.query("ServiceDelivery", where={"unit_of_measurement": "Hours"}).records[0]["id"]
            == delivery["id"]
        )
        version = delivery["version"]
    with pmm_app.session("manager") as s:
        s.update(world.service["id"], {"unit_of_measurement": "Sessions"})
    with pmm_app.session("viewer") as s:
        again = s.get(delivery["id"])
        assert (
            again["unit_of_measurement"] == "Sessions" and again["version"] == version
        )  # no delivery rewrite
        assert s.count("ServiceDelivery", where={"unit_of_measurement": "Hours"}) == 0
        assert s.get(delivery["id"], fields=["unit_of_measurement"]) == {
            "id": delivery["id"],
            "unit_of_measurement": "Sessions",
        }


def test_session_service_link_follows_the_schedule(pmm_app, world):
    with pmm_app.session("manager") as s:
        other = s.create("Service", {"name": "Meals", "program": world.program["id"]})
        schedule = s.create("ServiceSchedule", {"name": "Tuesdays", "service": world.service["id"]})
        session = s.create(
            "ServiceSession",
            {"service_schedule": schedule["id"], "session_start": dt.datetime(2025, 3, 4, 9, tzinfo=dt.UTC)},
        )
        loose = s.create("ServiceSession", {"name": "Drop-in"})
        assert session["service_link"] == world.service["id"] and loose["service_link"] is None
        assert [r["id"] for r in s.query("ServiceSession", where={"service_link": world.service["id"]})] == [
            session["id"]
        ]
        s.update(schedule["id"], {"service": other["id"]})
        assert s.get(session["id"])["service_link"] == other["id"]
        s.delete(other["id"])  # clears the schedule's service (in SQL, no trigger)
        assert s.get(session["id"])["service_link"] is None
        assert s.count("ServiceSession", where={"service_link": {"is_null": True}}) == 2
        s.undelete(other["id"])
        assert s.get(session["id"])["service_link"] == other["id"]


def test_formulas_appear_in_roster_sized_queries(pmm_app):
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=4)
        s.create_many(
            "ServiceDelivery",
            [{"service": w.service["id"], "contact": c["id"], "quantity": 1} for c in w.contacts],
        )
        records = s.query("ServiceDelivery", order_by="unit_of_measurement").records
        assert [r["unit_of_measurement"] for r in records] == ["Hours"] * 4
