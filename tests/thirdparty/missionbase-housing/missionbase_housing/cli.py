"""``missionbase housing ...``: the plugin's commands.

Commands reach the org through ``pass_app`` and act as ``--as USER`` through
a RecordService, so the user's permissions and sharing apply; heavy imports
stay inside the functions so ``missionbase --help`` stays fast.
"""

from __future__ import annotations

import click

from missionbase.core import as_user_option, json_option, pass_app


@click.group(help="Housing units: vacancies and placements.")
def housing() -> None:
    pass


@housing.command(help="List the available housing units you can see.")
@as_user_option
@json_option
@pass_app
def vacancies(app, as_user, as_json) -> None:
    from missionbase.core import echo_json, echo_table

    with app.session(as_user) as session:
        units = session.query(
            "HousingUnit", where={"status": "Available"}, order_by="name", fields=["name", "monthly_rent"]
        ).records
    if as_json:
        echo_json(units)
    else:
        echo_table(units, ["name", "monthly_rent"])


@housing.command(help="Place a contact (id) in a housing unit (name or id).")
@click.argument("unit")
@click.argument("contact")
@as_user_option
@pass_app
def place(app, unit, contact, as_user) -> None:
    from missionbase.core import RecordNotFound, run_action

    with app.session(as_user) as session:
        where = {"id": unit} if unit.startswith("hsu_") else {"name": unit}
        found = session.query("HousingUnit", where=where, fields=["id", "name"], limit=2).records
        if len(found) != 1:
            raise RecordNotFound(unit, "HousingUnit")
        run_action(session, "HousingUnit.place", {"contact": contact}, record_id=found[0]["id"])
    click.echo(f"placed {contact} in {found[0]['name']}")
