"""Public holidays from the ``holidays`` library (pip install 'missionbase[holidays]').

The library knows each country's (and region's) public holidays, including
the moving ones (Easter Monday, Ascension, Pentecost) that a fixed recurring
date cannot express, so they are loaded as dated, non-recurring Holidays for
one year at a time.
"""

from __future__ import annotations

from missionbase.core import ID_PATTERN, MissionbaseError, ValidationError


def public_holidays(country: str, year: int, subdiv: str | None = None) -> list[tuple]:
    """(date, name) of a country's public holidays in a year, in date order."""
    try:
        import holidays
    except ImportError:
        raise MissionbaseError(
            "loading public holidays needs the 'holidays' package: pip install 'missionbase[holidays]'"
        ) from None
    if not 1900 <= year <= 2200:
        raise ValidationError(f"year {year} is outside 1900..2200", field="year")
    try:
        calendar = holidays.country_holidays(country.upper(), subdiv=subdiv, years=year)
    except NotImplementedError:
        known = ", ".join(sorted(holidays.list_supported_countries()))
        raise ValidationError(
            f"country {country!r} is not known to the holidays library; known: {known}"
        ) from None
    except Exception as exc:  # the library's message names the bad subdivision
        raise ValidationError(f"{country} {subdiv or ''}: {exc}".strip()) from None
    return sorted(calendar.items())


def load_public_holidays(
    session, country: str, year: int, *, subdiv: str | None = None, business_hours: str | None = None
) -> list[dict]:
    """Create Holiday records (as the caller) for holidays not yet recorded on their date; returns them."""
    hours_id = None
    if business_hours:
        if ID_PATTERN.match(business_hours):
            hours_id = session.get(business_hours)["id"]
        else:
            found = session.query("BusinessHours", where={"name": business_hours}, limit=1).records
            if not found:
                names = [r["name"] for r in session.query("BusinessHours", fields=["name"]).records]
                raise ValidationError(
                    f"business hours {business_hours!r} do not exist; there are: "
                    f"{', '.join(names) or 'none'}",
                    object_name="Holiday",
                    field="business_hours",
                )
            hours_id = found[0]["id"]
    wanted = public_holidays(country, year, subdiv)
    dates = [day for day, _ in wanted]
    existing = (
        session.query(
            "Holiday", where={"date": {"in": dates}, "business_hours": hours_id}, fields=["date"]
        ).records
        if dates
        else []
    )
    known = {record["date"] for record in existing}
    rows = [
        {"name": name[:80], "date": day, "is_recurring": False, "business_hours": hours_id}
        for day, name in wanted
        if day not in known
    ]
    return session.create_many("Holiday", rows) if rows else []
