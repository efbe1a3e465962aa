"""Attendance rollups and enrolled counts: exact values, blank vs zero, and the
incremental path agreeing with a from-scratch recalc on random histories."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from missionbase.plugins.pmm.rollups import ROLLUP_INPUTS, rate_and_summary, recalculate
from missionbase.plugins.pmm.schedules import create_schedule

from .conftest import make_world

TARGET_FIELDS = {
    "Contact": [
        "num_present_deliveries",
        "num_absent_deliveries",
        "attendance_rate",
        "attendance_summary",
        "consecutive_absences",
        "last_service_date",
    ],
    "ProgramEngagement": [
        "num_present_deliveries",
        "num_absent_deliveries",
        "attendance_rate",
        "attendance_summary",
        "consecutive_absences",
        "last_service_date",
    ],
    "Service": ["num_present_deliveries", "num_absent_deliveries", "attendance_rate", "attendance_summary"],
    "ServiceSession": [
        "num_present_deliveries",
        "num_absent_deliveries",
        "attendance_rate",
        "attendance_summary",
    ],
    "ServiceSchedule": [
        "num_present_deliveries",
        "num_absent_deliveries",
        "attendance_rate",
        "attendance_summary",
        "participants_enrolled",
    ],
}


def snapshot(s) -> dict:
    return {
        name: {r["id"]: {f: r[f] for f in fields} for r in s.query(name, fields=fields)}
        for name, fields in TARGET_FIELDS.items()
    }


@pytest.fixture
def graph(pmm_app):
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=3)
        second = s.create("Service", {"name": "Mentoring", "program": w.program["id"]})
        schedules = []
        for name in ("Mon", "Thu"):
            made, sessions = create_schedule(
                s,
                {
                    "name": name,
                    "service": w.service["id"],
                    "frequency": "Daily",
                    "service_schedule_ends": "After",
                    "number_of_service_sessions": 2,
                    "first_session_start": "2025-01-06T10:00",
                    "first_session_end": "2025-01-06T11:00",
                },
            )
            schedules.append((made, sessions))
    return {"w": w, "services": [w.service, second], "schedules": schedules}


def delivery(graph, contact: int, **values) -> dict:
    w = graph["w"]
    return {
        "service": w.service["id"],
        "contact": w.contacts[contact]["id"],
        "program_engagement": w.engagements[contact]["id"],
        **values,
    }


def test_counts_rate_summary_consecutive_and_last_date(pmm_app, graph):
    w = graph["w"]
    ana = w.contacts[0]["id"]
    with pmm_app.session("worker") as s:
        assert s.get(ana)["num_present_deliveries"] is None  # blank, not 0, before any delivery
        s.create_many(
            "ServiceDelivery",
            [
                delivery(graph, 0, attendance_status="Present", delivery_date="2025-01-06", quantity=1),
                delivery(graph, 0, attendance_status="Present", delivery_date="2025-01-13", quantity=1),
                delivery(
                    graph, 0, attendance_status="Unexcused Absence", delivery_date="2025-01-13", quantity=0
                ),
                delivery(
                    graph, 0, attendance_status="Excused Absence", delivery_date="2025-01-20", quantity=0
                ),
                delivery(
                    graph, 0, attendance_status="Unexcused Absence", delivery_date="2025-01-27", quantity=0
                ),
            ],
        )
        contact = s.get(ana)
        assert (contact["num_present_deliveries"], contact["num_absent_deliveries"]) == (2, 3)
        assert contact["attendance_summary"] == "40% (2/5)" and float(contact["attendance_rate"]) == 40.0
        # The absence on the same day as the last present one does not count.
        assert contact["consecutive_absences"] == 2
        assert contact["last_service_date"] == dt.date(2025, 1, 13)
        engagement = s.get(w.engagements[0]["id"])
        assert (engagement["num_present_deliveries"], engagement["consecutive_absences"]) == (2, 2)
        assert s.get(w.service["id"])["attendance_summary"] == "40% (2/5)"


def test_blank_versus_zero(pmm_app, graph):
    w = graph["w"]
    bruno = w.contacts[1]["id"]
    with pmm_app.session("worker") as s:
        present = s.create("ServiceDelivery", delivery(graph, 1, attendance_status="Present", quantity=1))
        contact = s.get(bruno)
        assert (contact["num_absent_deliveries"], contact["consecutive_absences"]) == (0, 0)
        assert contact["attendance_summary"] == "100% (1/1)"
        # A delivery without a status counts nowhere but may still be a service delivered.
        s.create("ServiceDelivery", delivery(graph, 2, quantity=3, delivery_date="2025-03-01"))
        chloe = s.get(w.contacts[2]["id"])
        assert chloe["num_present_deliveries"] is None and chloe["last_service_date"] == dt.date(2025, 3, 1)
    with pmm_app.session("admin") as s:
        s.delete(present["id"])
        contact = s.get(bruno)
        assert [contact[f] for f in TARGET_FIELDS["Contact"]] == [None] * 6
        s.undelete(present["id"])
        assert s.get(bruno)["num_present_deliveries"] == 1


def test_rate_and_summary_round_half_up():
    assert rate_and_summary(2, 1)["attendance_summary"] == "67% (2/3)"
    assert rate_and_summary(1, 7)["attendance_summary"] == "13% (1/8)"  # 0.125 rounds up
    assert rate_and_summary(0, 0) == {"attendance_rate": None, "attendance_summary": None}


def test_moving_a_delivery_moves_its_counts_and_date_changes_update_last_service_date(pmm_app, graph):
    (schedule_a, sessions_a), (schedule_b, sessions_b) = graph["schedules"]
    with pmm_app.session("worker") as s:
        made = s.create(
            "ServiceDelivery",
            delivery(
                graph,
                0,
                attendance_status="Present",
                quantity=1,
                service_session=sessions_a[0]["id"],
                delivery_date="2025-01-06",
            ),
        )
        assert s.get(schedule_a["id"])["num_present_deliveries"] == 1
        s.update(made["id"], {"service_session": sessions_b[0]["id"]})
        assert s.get(schedule_a["id"])["num_present_deliveries"] is None
        assert s.get(sessions_b[0]["id"])["num_present_deliveries"] == 1
        assert s.get(schedule_b["id"])["num_present_deliveries"] == 1
        # Upstream skips a change of date alone; here the last service date follows it.
        s.update(made["id"], {"delivery_date": "2025-02-01"})
        assert s.get(graph["w"].contacts[0]["id"])["last_service_date"] == dt.date(2025, 2, 1)


def test_gates_switch_rollups_off_and_recalc_ignores_them(pmm_app, graph):
    ana = graph["w"].contacts[0]["id"]
    with pmm_app.session("admin") as s:
        s.set_setting("pmm.rollup_deliveries_to.Contact", False)
    with pmm_app.session("worker") as s:
        s.create("ServiceDelivery", delivery(graph, 0, attendance_status="Present", quantity=1))
        assert s.get(ana)["num_present_deliveries"] is None
        assert s.get(graph["w"].engagements[0]["id"])["num_present_deliveries"] == 1
    with pmm_app.session("admin") as s:
        assert recalculate(s, ["Contact"]) == {"Contact": 1}
        assert s.get(ana)["num_present_deliveries"] == 1


def test_buckets_are_org_settings(pmm_app, graph):
    with pmm_app.session("admin") as s:
        s.set_setting("pmm.absent_statuses", ["Unexcused Absence"])
    with pmm_app.session("worker") as s:
        s.create_many(
            "ServiceDelivery",
            [
                delivery(graph, 0, attendance_status="Excused Absence"),
                delivery(graph, 0, attendance_status="Unexcused Absence"),
            ],
        )
        assert s.get(graph["w"].contacts[0]["id"])["num_absent_deliveries"] == 1


def test_participants_enrolled(pmm_app, graph):
    w = graph["w"]
    schedule, _ = graph["schedules"][0]
    with pmm_app.session("worker") as s:
        made = s.create_many(
            "ServiceParticipant",
            [{"contact": c["id"], "service_schedule": schedule["id"]} for c in w.contacts],
        )
        assert s.get(schedule["id"])["participants_enrolled"] == 3
        s.update(made[0]["id"], {"status": "Withdrawn"})
        assert s.get(schedule["id"])["participants_enrolled"] == 2
    with pmm_app.session("admin") as s:
        s.delete(made[1]["id"])
        assert s.get(schedule["id"])["participants_enrolled"] == 1


STATUSES = st.sampled_from([None, "Present", "Unexcused Absence", "Excused Absence"])
DATES = st.sampled_from([None, dt.date(2025, 1, 6), dt.date(2025, 1, 7), dt.date(2025, 1, 8)])
QUANTITIES = st.sampled_from([None, 0, 1, 2])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("insert"),
            st.integers(0, 3),
            st.integers(0, 1),
            st.integers(0, 4),
            STATUSES,
            DATES,
            QUANTITIES,
        ),
        st.tuples(
            st.just("update"),
            st.integers(0, 30),
            st.sampled_from(ROLLUP_INPUTS),
            st.integers(0, 4),
            STATUSES,
            DATES,
            QUANTITIES,
        ),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("undelete"), st.integers(0, 30)),
        st.tuples(st.just("move_session"), st.integers(0, 3)),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_incremental_rollups_match_a_full_recalc(pmm_app, graph, operations):
    w = graph["w"]
    sessions = [sess["id"] for _, group in graph["schedules"] for sess in group] + [None]
    services = [svc["id"] for svc in graph["services"]]
    with pmm_app.session("worker") as s:
        savepoint = s.conn.begin_nested()
        made, deleted = [], []
        for op in operations:
            if op[0] == "insert":
                _, who, service, session, status, date, quantity = op
                values = {
                    "service": services[service],
                    "service_session": sessions[session],
                    "attendance_status": status,
                    "delivery_date": date,
                    "quantity": quantity,
                }
                if who < 3:  # 3: an anonymous delivery
                    values |= {
                        "contact": w.contacts[who]["id"],
                        "program_engagement": w.engagements[who]["id"],
                    }
                made.append(s.create("ServiceDelivery", values)["id"])
            elif op[0] == "update" and made:
                _, pick, field, who, status, date, quantity = op
                record = made[pick % len(made)]
                if record in deleted:
                    continue
                value = {
                    "attendance_status": status,
                    "delivery_date": date,
                    "quantity": quantity,
                    "service": services[who % 2],
                    "service_session": sessions[who % len(sessions)],
                    "contact": w.contacts[who % 3]["id"],
                    "program_engagement": w.engagements[who % 3]["id"],
                }[field]
                change = {field: value}
                if field in ("contact", "program_engagement"):  # the engagement must match the contact
                    change = {
                        "contact": w.contacts[who % 3]["id"],
                        "program_engagement": w.engagements[who % 3]["id"],
                    }
                s.update(record, change)
            elif op[0] == "delete" and made:
                record = made[op[1] % len(made)]
                if record not in deleted:
                    s.as_system().delete(record)
                    deleted.append(record)
            elif op[0] == "undelete" and deleted:
                record = deleted.pop(op[1] % len(deleted))
                s.as_system().undelete(record)
            elif op[0] == "move_session":  # to the other schedule: its deliveries go along
                moved = sessions[op[1]]
                current = s.get(moved)["service_schedule"]
                target = next(sched["id"] for sched, _ in graph["schedules"] if sched["id"] != current)
                s.update(moved, {"service_schedule": target})
        incremental = snapshot(s)
        changed = recalculate(s.as_system())
        assert changed == dict.fromkeys(TARGET_FIELDS, 0)
        assert snapshot(s) == incremental
        savepoint.rollback()


def test_cli_recalc_restores_rollups_and_needs_an_admin(org_dir, cli, pmm_app, graph):
    ana = graph["w"].contacts[0]["id"]
    assert cli("settings", "set", "pmm.rollup_deliveries_to.Contact", "false", "--as", "admin").exit_code == 0
    with pmm_app.session("worker") as s:
        s.create("ServiceDelivery", delivery(graph, 0, attendance_status="Present", quantity=1))
        assert s.get(ana)["num_present_deliveries"] is None
    denied = cli("pmm", "rollups", "recalc", "--as", "worker")
    assert denied.exit_code != 0 and "needs an administrator" in denied.err
    done = cli("pmm", "rollups", "recalc", "--object", "Contact", "--as", "admin", "--json")
    assert done.exit_code == 0, done.err
    assert done.json() == {"Contact": 1}
    with pmm_app.session("worker") as s:
        assert s.get(ana)["num_present_deliveries"] == 1
    unknown = cli("pmm", "rollups", "recalc", "--object", "Contacts", "--as", "admin")
    assert unknown.exit_code != 0 and "did you mean 'Contact'" in unknown.err


def test_deleting_or_moving_a_session_refreshes_its_schedule(pmm_app, graph):
    (schedule_a, sessions_a), (schedule_b, _) = graph["schedules"]
    with pmm_app.session("worker") as s:
        s.create_many(
            "ServiceDelivery",
            [
                delivery(graph, 0, attendance_status="Present", service_session=sessions_a[0]["id"]),
                delivery(
                    graph, 1, attendance_status="Unexcused Absence", service_session=sessions_a[1]["id"]
                ),
            ],
        )
        assert s.get(schedule_a["id"])["attendance_summary"] == "50% (1/2)"
    with pmm_app.session("admin") as s:
        s.delete(sessions_a[1]["id"])
        assert s.get(schedule_a["id"])["attendance_summary"] == "100% (1/1)"
        s.undelete(sessions_a[1]["id"])
        assert s.get(schedule_a["id"])["attendance_summary"] == "50% (1/2)"
        s.update(sessions_a[0]["id"], {"service_schedule": schedule_b["id"]})
        assert s.get(schedule_a["id"])["attendance_summary"] == "0% (0/1)"
        assert s.get(schedule_b["id"])["attendance_summary"] == "100% (1/1)"
        assert set(recalculate(s).values()) == {0}
