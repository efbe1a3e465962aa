"""Core's demo data: people, households, activities.

The core plugin's ``missionbase_load_demo_data``; ``missionbase demo``
(core.cli.demo) loads it first, then each enabled plugin's.
"""

from __future__ import annotations

import datetime as dt
import random

from .demo_context import DemoContext
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
        "Call back about the rent assistance form",
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
