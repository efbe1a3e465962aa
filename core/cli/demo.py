"""Loading the demo org: core's demo data, then each plugin's.

Every plugin's demo data is loaded once per org, in dependency order, each
in its own transaction (system context), and remembered in mb_demo_loaded
so ``missionbase demo`` can be run again after enabling another plugin.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from ..app import App
from ..clock import utcnow
from ..demo_context import DemoContext
from ..ids import SYSTEM_USER_ID
from ..plugins import callers_in_order


def context_from_db(app: App, session) -> DemoContext:
    """Rebuild the shared demo context when core's demo data was loaded by an earlier run."""
    ctx = DemoContext(session=session, app=app)
    for user in session.query("User", where={"id": {"ne": SYSTEM_USER_ID}}, fields=["username"]).records:
        ctx.users[user["username"]] = user["id"]
    ctx.records["contacts"] = [
        c["id"] for c in session.query("Contact", order_by="created_at", fields=["id"]).records
    ]
    ctx.records["accounts"] = [
        a["id"] for a in session.query("Account", order_by="created_at", fields=["id"]).records
    ]
    ctx.records["queues"] = [q["id"] for q in session.query("Queue", fields=["id"]).records]
    return ctx


def load_demo(app: App, echo: Callable[[str], None] = print) -> list[str]:
    """Load demo data for core and every enabled plugin that has none yet; returns their names."""
    table = app.schema.internal["demo_loaded"]
    with app.connect() as conn:
        done = set(conn.execute(sa.select(table.c.plugin)).scalars())
    loaded = []
    shared: DemoContext | None = None
    for name, load in callers_in_order(app.pm, "missionbase_load_demo_data", app.plugin_names):
        if name in done:
            continue
        with app.system_session() as s:
            ctx = (
                context_from_db(app, s)
                if shared is None
                else DemoContext(s, shared.users, shared.records, app)
            )
            load(ctx=ctx)
            s.conn.execute(table.insert().values(plugin=name, loaded_at=utcnow()))
            shared = ctx
        echo(f"  loaded demo data: {name}")
        loaded.append(name)
    return loaded


def what_to_try(app: App) -> list[str]:
    lines = [
        "Things to try (run them in this folder):",
        "  missionbase objects list",
        "  missionbase objects describe Contact",
        "  missionbase records query Contact --where 'mailing_city = Lyon' --order-by last_name",
        "  missionbase records query Task --as ana --where 'status != Completed' --fields subject,due_date,who.name",
        "  missionbase records query Contact --where 'account.name startswith Martin' --fields name,email,account.name",
        "  missionbase records create Contact --set first_name=Zoé --set last_name=Petit --set email=zoe@example.org",
        "  missionbase export Contact --format jsonl -o contacts.jsonl",
        "  missionbase import Contact contacts.csv --dry-run",
        "  missionbase users list",
        "  missionbase records query Contact --as sam --count      # a caseworker sees what they own, share or queue",
        "  missionbase records query Contact --as maria --count    # the director sees her whole team's",
        "  missionbase access explain --for sam <a Contact id from ana>   # why sam cannot see it",
        "  missionbase permsets list",
        "  missionbase plugins list",
    ]
    import click

    group = click.Group()
    app.call_hook("missionbase_register_commands", cli=group)
    for name in sorted(group.commands):
        lines.append(f"  missionbase {name} --help")
    return lines
