"""Reports and jobs of the housing plugin."""

from __future__ import annotations

from .settings import VACANCY_ALERT_BELOW

STATUSES = ("Available", "Occupied", "Maintenance")


def occupancy(session) -> list[dict]:
    """Units per status, counted through the caller's session (only units they may read)."""
    return [
        {"status": status, "units": session.count("HousingUnit", {"status": status})} for status in STATUSES
    ]


def check_vacancies(org) -> str:
    """The daily vacancy check: counts every unit (system context) and warns below the setting."""
    with org.system_session() as session:
        available = session.count("HousingUnit", {"status": "Available"})
        threshold = session.get_setting(VACANCY_ALERT_BELOW)
    if available < threshold:
        return f"only {available} housing unit(s) available (alert below {threshold})"
    return f"{available} housing unit(s) available"
