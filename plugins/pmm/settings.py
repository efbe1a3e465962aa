"""PMM's org settings: status buckets and feature gates, automation, the schedule limit.

An admin changes them with ``missionbase settings set KEY VALUE``. The
rollup gates are **on** by default, unlike the upstream package, because a
new org expects counts to work without setup.
"""

from __future__ import annotations

from dataclasses import dataclass

from missionbase.core import Setting

PRESENT_STATUSES = "pmm.present_statuses"
ABSENT_STATUSES = "pmm.absent_statuses"
ACTIVE_STAGES = "pmm.active_stages"
ACTIVE_SERVICE_STATUSES = "pmm.active_service_statuses"
PENDING_SESSION_STATUSES = "pmm.pending_session_statuses"
STATUS_AFTER_ATTENDANCE = "pmm.session_status_after_attendance"
AUTOMATION = "pmm.naming_and_dates"
SESSION_LIMIT = "pmm.max_sessions_per_schedule"
BULK_ACTIVE_FILTER = "pmm.bulk_delivery_active_filter"
ROLLUP_GATE = "pmm.rollup_deliveries_to."  # + object name
PARTICIPANT_ROLLUP = "pmm.rollup_participants_to_schedule"

ROLLUP_TARGETS = ("Contact", "ProgramEngagement", "Service", "ServiceSession", "ServiceSchedule")

SETTINGS = [
    Setting(PRESENT_STATUSES, ["Present"], "Attendance statuses counted as present", type=list[str]),
    Setting(
        ABSENT_STATUSES,
        ["Excused Absence", "Unexcused Absence"],
        "Attendance statuses counted as absent",
        type=list[str],
    ),
    Setting(
        ACTIVE_STAGES,
        ["Enrolled", "Active"],
        "Engagement stages that count as active (participant candidates, reports)",
        type=list[str],
    ),
    Setting(ACTIVE_SERVICE_STATUSES, ["Active"], "Service statuses that count as active", type=list[str]),
    Setting(
        PENDING_SESSION_STATUSES,
        ["Pending"],
        "Session statuses that saving attendance moves on",
        type=list[str],
    ),
    Setting(STATUS_AFTER_ATTENDANCE, "Complete", "Session status after attendance is saved"),
    Setting(
        AUTOMATION,
        True,
        "Auto-name engagements, deliveries, sessions, participants; default engagement dates",
    ),
    Setting(SESSION_LIMIT, 5000, "Most sessions one schedule may generate (a safety limit)"),
    Setting(BULK_ACTIVE_FILTER, False, "Bulk delivery entry offers only active engagements and services"),
    *[
        Setting(ROLLUP_GATE + name, True, f"Roll service deliveries up to {name} on save")
        for name in ROLLUP_TARGETS
    ],
    Setting(PARTICIPANT_ROLLUP, True, "Count enrolled participants on their schedule on save"),
]


@dataclass(frozen=True)
class Buckets:
    """Which picklist values count as present, absent, active."""

    present: frozenset[str]
    absent: frozenset[str]
    active_stages: frozenset[str]
    active_service_statuses: frozenset[str]
    pending_session_statuses: frozenset[str]


def buckets(session) -> Buckets:
    return Buckets(
        present=frozenset(session.get_setting(PRESENT_STATUSES)),
        absent=frozenset(session.get_setting(ABSENT_STATUSES)),
        active_stages=frozenset(session.get_setting(ACTIVE_STAGES)),
        active_service_statuses=frozenset(session.get_setting(ACTIVE_SERVICE_STATUSES)),
        pending_session_statuses=frozenset(session.get_setting(PENDING_SESSION_STATUSES)),
    )


def rollup_targets_enabled(session) -> list[str]:
    return [name for name in ROLLUP_TARGETS if session.get_setting(ROLLUP_GATE + name)]
