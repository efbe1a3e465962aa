"""Validation rules of the PMM objects as pure functions.

Each takes a record (the values it will have once saved) and the related
records it refers to, and returns ``(field, message)`` problems. A comparison
with a blank side never fails, as in upstream's formulas.
"""

from __future__ import annotations

import datetime as dt

Problem = tuple[str, str]


def _after(a: dt.date | None, b: dt.date | None) -> bool:
    return a is not None and b is not None and a > b


def start_before_end(record: dict, *, start: str = "start_date", end: str = "end_date") -> list[Problem]:
    if _after(record.get(start), record.get(end)):
        return [(start, f"Start Date must be before End Date ({record[start]} is after {record[end]})")]
    return []


def within_program(record: dict, program: dict | None) -> list[Problem]:
    """Start and end dates must lie within the program's dates (only filled bounds are checked)."""
    if not program:
        return []
    low, high = program.get("start_date"), program.get("end_date")
    span = f"{low or '...'} to {high or '...'}"
    for name in ("start_date", "end_date"):
        value = record.get(name)
        if _after(low, value) or _after(value, high):
            return [(name, f"{value} must lie within the program dates ({span})")]
    return []


def program_rules(program: dict) -> list[Problem]:
    return start_before_end(program)


def cohort_rules(cohort: dict, program: dict | None) -> list[Problem]:
    return start_before_end(cohort) or within_program(cohort, program)


def account_matches_contact(record: dict, contact: dict | None) -> list[Problem]:
    account = record.get("account")
    if account and contact and contact.get("account") != account:
        return [
            (
                "account",
                f"household account {account} must be the client's account "
                f"({contact.get('account') or 'none'})",
            )
        ]
    return []


def engagement_rules(
    engagement: dict, contact: dict | None, program: dict | None, cohort: dict | None
) -> list[Problem]:
    problems = account_matches_contact(engagement, contact)
    application, start, end = (engagement.get(k) for k in ("application_date", "start_date", "end_date"))
    if _after(application, start):
        problems.append(
            ("application_date", f"Application Date {application} must not be after the Start Date {start}")
        )
    elif _after(application, end):
        problems.append(
            ("application_date", f"Application Date {application} must not be after the End Date {end}")
        )
    problems += start_before_end(engagement)
    problems += within_program(engagement, program)
    if cohort and cohort.get("program") != engagement.get("program"):
        problems.append(
            (
                "program_cohort",
                f"cohort {cohort['id']} belongs to another program than "
                f"{engagement.get('program')}; the cohort must match the program",
            )
        )
    return problems


def delivery_rules(
    delivery: dict, contact: dict | None, engagement: dict | None, service: dict | None
) -> list[Problem]:
    problems = account_matches_contact(delivery, contact)
    if engagement and delivery.get("contact") and engagement.get("contact") != delivery["contact"]:
        problems.append(("program_engagement", "Contact must match the Contact in the Program Engagement."))
    if engagement and service and engagement.get("program") != service.get("program"):
        problems.append(
            (
                "program_engagement",
                f"engagement {engagement['id']} is in another program than "
                f"service {service['id']}; it must match the service's program",
            )
        )
    return problems
