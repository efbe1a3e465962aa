"""The three follow-up lists and the caseworker's home view."""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.plugins.casemgmt.followup import all_follow_ups, follow_up, window_cutoff
from missionbase.plugins.casemgmt.home import home_view

from .conftest import deliver, engage, make_client

TODAY = dt.date(2026, 3, 20)  # a Friday
DAY = dt.timedelta(days=1)


@pytest.fixture
def caseload(cm_app, program, users):
    """ana's clients in every situation the rules distinguish; sam's client for contrast."""
    c = {}
    with cm_app.session("ana") as s:
        for key in (
            "absent_once",
            "absent_3",
            "present",
            "shared",
            "completed",
            "stale",
            "fresh",
            "never_old",
            "never_new",
        ):
            c[key] = make_client(s, key.replace("_", " ").title(), "Client")
        e = {key: engage(s, program, c[key]["id"]) for key in c if key not in ("completed", "never_new")}
        e["completed"] = engage(s, program, c["completed"]["id"], stage="Completed")
        e["never_old"] = s.update(e["never_old"]["id"], {"start_date": TODAY - 15 * DAY})
        e["never_new"] = engage(s, program, c["never_new"]["id"], start=TODAY - 14 * DAY)
        deliver(s, program, e["absent_once"], TODAY - 30 * DAY)
        deliver(s, program, e["absent_once"], TODAY - 2 * DAY, "Unexcused Absence")
        for back in (3, 2, 1):
            deliver(s, program, e["absent_3"], TODAY - back * DAY, "Excused Absence")
        for key in ("present", "shared"):
            deliver(s, program, e[key], TODAY - 1 * DAY)
        deliver(s, program, e["completed"], TODAY - 1 * DAY, "Unexcused Absence")
        deliver(s, program, e["stale"], TODAY - 15 * DAY)  # the day before LAST_N_DAYS:14
        deliver(s, program, e["fresh"], TODAY - 14 * DAY)  # the window's first day
    with cm_app.system_session() as s:
        # Another worker's engagement of ana's client "shared", absent: rule 1 lists the contact anyway.
        other = s.create(
            "ProgramEngagement",
            {
                "program": program["program"],
                "contact": c["shared"]["id"],
                "stage": "Enrolled",
                "owner_id": users["sam"],
            },
        )
        s.create(
            "ServiceDelivery",
            {
                "service": program["service"],
                "contact": c["shared"]["id"],
                "quantity": 0,
                "program_engagement": other["id"],
                "delivery_date": TODAY - 3 * DAY,
                "attendance_status": "Unexcused Absence",
            },
        )
        s.update(c["shared"]["id"], {"owner_id": users["ana"]})
        sams = s.create("Contact", {"last_name": "Sams", "is_client": True, "owner_id": users["sam"]})
        theirs = s.create(
            "ProgramEngagement",
            {
                "program": program["program"],
                "contact": sams["id"],
                "stage": "Active",
                "owner_id": users["sam"],
            },
        )
        s.create(
            "ServiceDelivery",
            {
                "service": program["service"],
                "contact": sams["id"],
                "quantity": 0,
                "program_engagement": theirs["id"],
                "delivery_date": TODAY - DAY,
                "attendance_status": "Unexcused Absence",
            },
        )
    c["sams"] = sams
    return c


def _names(rows) -> list[str]:
    return sorted({r["name"] for r in rows})


def test_the_window_is_today_and_the_14_days_before():
    assert window_cutoff(TODAY, 14) == TODAY - 15 * DAY


def test_absent_at_last_service_delivery(cm_app, caseload):
    with cm_app.session("ana") as s:
        rows = follow_up(s, "absent", TODAY)
    assert _names(rows) == ["Absent 3 Client", "Absent Once Client", "Shared Client"]
    shared = [r for r in rows if r["name"] == "Shared Client"]
    assert len(shared) == 2  # every engagement of the contact is listed, the absent one is sam's
    assert rows[0]["name"] == "Absent 3 Client" and rows[0]["consecutive_absences"] == 3


def test_consecutive_absences_with_a_configurable_threshold(cm_app, caseload):
    with cm_app.session("ana") as s:
        s.create("ClientAlert", {"contact": caseload["absent_3"]["id"], "name": "Needs an interpreter"})
        rows = follow_up(s, "absences", TODAY)
        assert _names(rows) == ["Absent 3 Client"] and rows[0]["alerts"] == ["Needs an interpreter"]
    with cm_app.session("admin") as s:
        s.set_setting("casemgmt.followup_consecutive_absences", 1)
    with cm_app.session("ana") as s:
        assert _names(follow_up(s, "absences", TODAY)) == [
            "Absent 3 Client",
            "Absent Once Client",
            "Shared Client",
        ]


def test_no_recent_service_delivery_with_a_configurable_window(cm_app, caseload):
    with cm_app.session("ana") as s:
        rows = follow_up(s, "no-service", TODAY)
        # absent_3 had only absences (quantity 0): no service delivered, ever; absent_once's last
        # delivered service was 30 days ago (the absence since delivered nothing).
        assert _names(rows) == ["Absent 3 Client", "Absent Once Client", "Never Old Client", "Stale Client"]
        assert {r["name"]: r["last_service_date"] for r in rows}["Stale Client"] == TODAY - 15 * DAY
    with cm_app.session("admin") as s:
        s.set_setting("casemgmt.followup_window_days", 13)
    with cm_app.session("ana") as s:
        assert "Fresh Client" in _names(follow_up(s, "no-service", TODAY))
        assert "Never New Client" in _names(follow_up(s, "no-service", TODAY))


def test_lists_are_scoped_to_the_users_own_engagements(cm_app, caseload):
    with cm_app.session("sam") as s:
        lists = all_follow_ups(s, TODAY)
    # sam's own engagements only: his client, and "shared" (his engagement there is the absent one),
    # whose name he cannot read (the contact is ana's): sharing still decides what he sees.
    assert {r["contact"] for r in lists["absent"]} == {caseload["sams"]["id"], caseload["shared"]["id"]}
    assert {r["name"] for r in lists["absent"]} == {"Sams", None}
    assert lists["no-service"] == [] or {r["contact"] for r in lists["no-service"]} <= {
        caseload["sams"]["id"]
    }
    with cm_app.session("viewer") as s:
        assert all_follow_ups(s, TODAY) == {"absent": [], "absences": [], "no-service": []}


def test_followup_from_the_cli(cm_app, caseload, cli, in_org):
    result = cli("casemgmt", "followup", "absences", "--as", "ana", "--date", str(TODAY))
    assert result.exit_code == 0, result.err
    assert "Absent 3 Client" in result.out and "Absent Once" not in result.out
    as_json = cli("casemgmt", "followup", "no-service", "--as", "ana", "--date", str(TODAY), "--json").json()
    assert {r["name"] for r in as_json} == {
        "Absent 3 Client",
        "Absent Once Client",
        "Never Old Client",
        "Stale Client",
    }
    bad = cli("casemgmt", "followup", "lost", "--as", "ana")
    assert bad.exit_code != 0 and "'lost' is not one of 'absent', 'absences', 'no-service'" in bad.err


def test_home_view_of_a_caseworker(cm_app, caseload, cli, in_org, users):
    with cm_app.session("ana") as s:
        who = caseload["present"]["id"]
        s.create_many(
            "Task",
            [
                {"subject": "Overdue call", "due_date": TODAY - 3 * DAY, "who": who},
                {"subject": "Today's form", "due_date": TODAY},
                {"subject": "Tomorrow's visit", "due_date": TODAY + DAY},
                {"subject": "Next week", "due_date": TODAY + 7 * DAY},
                {"subject": "Done", "due_date": TODAY, "status": "Completed"},
            ],
        )
        s.create_many(
            "Event",
            [
                {
                    "subject": "Home visit",
                    "start": dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC),
                    "end": dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC),
                    "who": who,
                },
                {
                    "subject": "Tomorrow",
                    "start": dt.datetime(2026, 3, 21, 9, tzinfo=dt.UTC),
                    "end": dt.datetime(2026, 3, 21, 10, tzinfo=dt.UTC),
                },
            ],
        )
        s.create("ClientNote", {"client": who, "subject": "Quick note"})
        s.create(
            "Incident",
            {
                "subject": "Fall",
                "incident_datetime": dt.datetime(2026, 3, 19, tzinfo=dt.UTC),
                "severity": "High",
                "contact": who,
            },
        )
        view = home_view(s, TODAY)
    assert {k: [t["subject"] for t in v] for k, v in view["open_tasks"].items()} == {
        "overdue": ["Overdue call"],
        "today": ["Today's form"],
        "tomorrow": ["Tomorrow's visit"],
    }
    assert [e["subject"] for e in view["todays_events"]] == ["Home visit"]
    assert len(view["my_engagements"]) == 8  # all but the Completed one
    assert [n["subject"] for n in view["my_recent_notes"]] == ["Quick note"]
    assert set(view["follow_up"]) == {"absent", "absences", "no-service"}
    result = cli("casemgmt", "home", "--as", "ana", "--date", str(TODAY))
    assert result.exit_code == 0, result.err
    for heading in (
        "== my active engagements",
        "== today's events",
        "== sessions this week",
        "== sessions last week",
        "== open incidents",
        "== my recent notes",
        "== tasks overdue",
        "== tasks today",
        "== tasks tomorrow",
        "== follow-up: absent at last service delivery",
        "== follow-up: consecutive absences",
        "== follow-up: no recent service delivery",
    ):
        assert heading in result.out
    assert "Overdue call" in result.out and "Fall" not in result.out  # incidents: linked clients only
    assert cli("casemgmt", "home", "--as", "ana", "--json", "--date", str(TODAY)).json()["user"] == "ana"


def test_recent_sessions_of_the_users_schedules(cm_app, caseload, program):
    from missionbase.plugins.casemgmt.home import recent_sessions

    with cm_app.session("ana") as s:
        mine = s.query("ProgramEngagement", {"owner_id": s.user.id}, fields=["contact"]).records
    with cm_app.system_session() as s:  # schedules and sessions are PMM: Manage's
        schedule = s.create(
            "ServiceSchedule",
            {"name": "Weekly group", "service": program["service"], "create_service_session_records": False},
        )
        s.create(
            "ServiceParticipant",
            {
                "service_schedule": schedule["id"],
                "program_engagement": mine[0]["id"],
                "contact": mine[0]["contact"],
            },
        )
        other = s.create(
            "ServiceSchedule",
            {"name": "Not ours", "service": program["service"], "create_service_session_records": False},
        )
        at = {
            label: dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
            for label, day in (
                ("this", TODAY - 2 * DAY),
                ("last", TODAY - 8 * DAY),
                ("older", TODAY - 20 * DAY),
            )
        }
        for label, start in at.items():
            s.create(
                "ServiceSession",
                {
                    "name": label,
                    "service_schedule": schedule["id"],
                    "session_start": start,
                    "session_end": start + dt.timedelta(hours=1),
                },
            )
        s.create(
            "ServiceSession",
            {
                "name": "theirs",
                "service_schedule": other["id"],
                "session_start": at["this"],
                "session_end": at["this"] + dt.timedelta(hours=1),
            },
        )
    with cm_app.session("ana") as s:
        sessions = recent_sessions(s, TODAY, mine)
    assert [r["session_start"] for r in sessions["this_week"]] == [at["this"]]  # not "theirs", not "older"
    assert [r["session_start"] for r in sessions["last_week"]] == [at["last"]]
