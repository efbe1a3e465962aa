"""The demo org: core's people, households, activities; then each plugin's data.

Every plugin's demo data is loaded once per org, in dependency order, each
in its own transaction (system context), and remembered in mb_demo_loaded
so ``missionbase demo`` can be run again after enabling another plugin.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import sqlalchemy as sa

from .app import App, DemoContext
from .ids import SYSTEM_USER_ID
from .plugins import CORE_PLUGIN
from .records import utcnow
from .security.sharing import assign_permission_set

FIRST_NAMES = [
    "Ana",
    "Bruno",
    "Chloé",
    "David",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Inès",
    "Jules",
    "Karim",
    "Léa",
    "Malik",
    "Nora",
    "Omar",
    "Paula",
    "Quentin",
    "Rosa",
    "Samir",
    "Tess",
    "Ugo",
    "Valérie",
    "Wen",
    "Yanis",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "Nguyen",
    "Diallo",
    "Haddad",
]
CITIES = ["Lyon", "Marseille", "Lille", "Nantes", "Bordeaux"]

DEMO_USERS = [
    # username, name, role, time zone, permission sets
    ("maria", "Maria Lopez", "Executive Director", "Europe/Paris", ["Standard User"]),
    ("ben", "Ben Carter", "Program Manager", "Europe/Paris", ["Standard User"]),
    ("ana", "Ana Silva", "Caseworker", "Europe/Paris", ["Standard User"]),
    ("sam", "Sam Okafor", "Caseworker", "Europe/London", ["Standard User"]),
    ("dina", "Dina Haddad", "Fundraiser", "America/New_York", ["Standard User"]),
    ("vic", "Victor Lambert", None, "Europe/Paris", ["Read Only"]),
]
DEMO_ROLES = [
    ("Executive Director", None),
    ("Program Manager", "Executive Director"),
    ("Caseworker", "Program Manager"),
    ("Development Director", "Executive Director"),
    ("Fundraiser", "Development Director"),
]


def load_core_demo(ctx: DemoContext) -> None:
    s = ctx.session
    rng = random.Random(2024)
    roles: dict[str, str] = {}
    for name, parent in DEMO_ROLES:
        roles[name] = s.create("Role", {"name": name, "parent": roles.get(parent) if parent else None})["id"]
    for username, name, role, zone, permsets in DEMO_USERS:
        user = s.create(
            "User",
            {
                "username": username,
                "name": name,
                "role": roles.get(role),
                "time_zone": zone,
                "email": f"{username}@demo.missionbase.org",
            },
        )
        ctx.users[username] = user["id"]
        for permset in permsets:
            assign_permission_set(s, user["id"], permset)
    team = s.create("Group", {"name": "Youth Team", "description": "Caseworkers of the youth programs"})
    intake = s.create("Queue", {"name": "Intake", "objects": "Task"})
    s.create_many(
        "GroupMember",
        [
            {"group": team["id"], "member": ctx.users["ana"]},
            {"group": team["id"], "member": ctx.users["sam"]},
            {"group": intake["id"], "member": roles["Caseworker"], "include_subordinates": True},
        ],
    )
    ctx.records["queues"] = [intake["id"]]
    hours = s.create(
        "BusinessHours",
        {
            "name": "Office hours",
            "time_zone": "Europe/Paris",
            "is_default": True,
            **{f"{d}_start": "09:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
            **{f"{d}_end": "17:30" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        },
    )
    year = dt.date.today().year
    s.create_many(
        "Holiday",
        [
            {
                "name": "New Year",
                "date": dt.date(year, 1, 1),
                "is_recurring": True,
                "business_hours": hours["id"],
            },
            {
                "name": "Labour Day",
                "date": dt.date(year, 5, 1),
                "is_recurring": True,
                "business_hours": hours["id"],
            },
            {
                "name": "Christmas",
                "date": dt.date(year, 12, 25),
                "is_recurring": True,
                "business_hours": hours["id"],
            },
        ],
    )
    accounts = s.create_many(
        "Account",
        [
            {
                "name": "Lyon Community Foundation",
                "type": "Foundation",
                "billing_city": "Lyon",
                "owner_id": ctx.users["dina"],
            },
            {
                "name": "City of Lille",
                "type": "Government",
                "billing_city": "Lille",
                "owner_id": ctx.users["maria"],
            },
            {
                "name": "Bakery Moreau",
                "type": "Organization",
                "billing_city": "Nantes",
                "owner_id": ctx.users["dina"],
            },
        ]
        + [
            {
                "name": f"{last} Household",
                "type": "Household",
                "billing_city": CITIES[i % len(CITIES)],
                "owner_id": rng.choice([ctx.users["ana"], ctx.users["sam"]]),
            }
            for i, last in enumerate(LAST_NAMES[:10])
        ],
    )
    households = [a for a in accounts if a["type"] == "Household"]
    contacts = []
    for i in range(40):
        household = households[i % len(households)]
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = household["name"].removesuffix(" Household")
        contacts.append(
            {
                "first_name": first,
                "last_name": last,
                "account": household["id"],
                "email": f"{first.lower().replace('é', 'e').replace('è', 'e')}.{last.lower()}{i}@example.org",
                "phone": f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                "birthdate": dt.date(rng.randint(1950, 2015), rng.randint(1, 12), rng.randint(1, 28)),
                "mailing_city": household["billing_city"],
                "owner_id": household["owner_id"],
            }
        )
    contacts = s.create_many("Contact", contacts)
    ctx.records["contacts"] = [c["id"] for c in contacts]
    ctx.records["accounts"] = [a["id"] for a in accounts]
    today = dt.date.today()
    subjects = [
        "Call back about housing form",
        "Send intake documents",
        "Follow up on missed session",
        "Check benefits appointment",
        "Thank-you call",
    ]
    s.create_many(
        "Task",
        [
            {
                "subject": subjects[i % len(subjects)],
                "who": contacts[i]["id"],
                "what": contacts[i]["account"],
                "due_date": today + dt.timedelta(days=rng.randint(-5, 14)),
                "owner_id": contacts[i]["owner_id"],
                "status": "Completed" if i % 4 == 0 else "Not Started",
                "priority": rng.choice(["High", "Normal", "Low"]),
            }
            for i in range(20)
        ]
        + [{"subject": "Triage new referral", "owner_id": intake["id"], "due_date": today}],
    )
    start = dt.datetime.combine(today + dt.timedelta(days=2), dt.time(9, 0), tzinfo=dt.UTC)
    s.create_many(
        "Event",
        [
            {
                "subject": f"Home visit: {contacts[i]['name']}",
                "who": contacts[i]["id"],
                "start": start + dt.timedelta(days=i),
                "end": start + dt.timedelta(days=i, hours=1),
                "location": contacts[i]["mailing_city"],
                "owner_id": contacts[i]["owner_id"],
            }
            for i in range(5)
        ],
    )
    s.create_many(
        "Note",
        [
            {
                "title": "First meeting",
                "body": "Met at the drop-in centre; wants help with a job search.",
                "parent": contacts[i]["id"],
                "owner_id": contacts[i]["owner_id"],
            }
            for i in range(5)
        ],
    )


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
    impls = {impl.plugin_name for impl in app.pm.hook.missionbase_load_demo_data.get_hookimpls()}
    shared: DemoContext | None = None
    for name in [CORE_PLUGIN, *app.plugin_names]:
        if name in done or name not in impls:
            continue
        with app.system_session() as s:
            ctx = (
                context_from_db(app, s)
                if shared is None
                else DemoContext(s, shared.users, shared.records, app)
            )
            impl = next(
                i for i in app.pm.hook.missionbase_load_demo_data.get_hookimpls() if i.plugin_name == name
            )
            impl.function(ctx=ctx)
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
        "  missionbase access explain --as sam <a Contact id from ana>",
        "  missionbase permsets list",
        "  missionbase plugins list",
    ]
    import click

    group = click.Group()
    app.call_hook("missionbase_register_commands", cli=group)
    for name in sorted(group.commands):
        lines.append(f"  missionbase {name} --help")
    return lines
