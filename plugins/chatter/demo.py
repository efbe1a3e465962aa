"""Chatter demo data: groups, posts and comments on the demo's clients and accounts,
follows and mentions, each written by the demo user who would write it.

Every write goes through a session as that user (``ctx.session.as_user``), so
the plugin's rules and core security apply exactly as for real use: a
caseworker posts on the clients she owns, her manager (above her in the role
hierarchy) comments on them, the fundraiser posts on the accounts she owns.
"""

from __future__ import annotations

from missionbase.core import assign_permission_set

from . import follows, groups, posting

DEMO_USERS = ("maria", "ben", "ana", "sam", "dina", "vic")


def load_demo(ctx) -> None:
    system = ctx.session
    users = {name: ctx.users[name] for name in DEMO_USERS if name in ctx.users}
    for user_id in users.values():
        assign_permission_set(system, user_id, "Chatter: User")
    if not {"maria", "ben", "ana", "sam", "dina"} <= users.keys():
        return  # core's demo people are missing: nothing realistic to say

    def as_(name):
        return system.as_user(users[name])

    maria, ben, ana, sam, dina = (as_(n) for n in ("maria", "ben", "ana", "sam", "dina"))
    # Groups: a public one everybody joins, a private one for the leadership, a broadcast channel.
    staff = groups.create_group(maria, "All Staff", description="News and questions for the whole team")
    groups.create_group(maria, "Leadership", visibility="Private", description="Budget and board preparation")
    groups.create_group(ben, "Program Updates", broadcast=True, description="Announcements from the programs")
    for session in (ben, ana, sam, dina, *([as_("vic")] if "vic" in users else [])):
        groups.join(session, "All Staff")
    for session in (ana, sam):
        groups.join(session, "Program Updates")
    request = groups.request_to_join(dina, "Leadership")
    groups.decide(maria, request["id"], accept=True)
    groups.set_frequency(ben, "All Staff", "Every post")

    posting.post(
        maria,
        staff["id"],
        "Welcome to the new feed! Post questions here, and follow the clients and accounts you work with.",
    )
    posting.post(
        ben,
        groups.find_group(ben, "Program Updates")["id"],
        "The weekly reading club moves to room 2 from next week.",
        type="Announcement",
    )
    lead = posting.post(
        maria,
        groups.find_group(maria, "Leadership")["id"],
        "Draft budget for next year is ready; @[Dina Haddad] can you check the grant lines?",
    ).record
    posting.comment(dina, lead["id"], "On it, I will send comments by Friday.")

    # Record feeds: caseworkers on the clients they own; their manager follows and comments.
    for session, name in ((ana, "ana"), (sam, "sam")):
        owned = session.query(
            "Contact", where={"owner_id": users[name]}, fields=["id", "name"], order_by="created_at", limit=3
        ).records
        for index, contact in enumerate(owned):
            note = (
                "Housing form submitted; waiting for the council's answer."
                if index == 0
                else "Missed Tuesday's session, called and rescheduled."
                if index == 1
                else "Started the job search workshop, very motivated."
            )
            post = posting.post(
                session, contact["id"], note + (" @[Ben Carter] FYI." if index == 0 else "")
            ).record
            if index == 0:
                follows.follow(ben, contact["id"])
                posting.comment(ben, post["id"], "Thanks, let me know if the council needs a letter from us.")
                posting.like(ben, post["id"])
    accounts = dina.query(
        "Account", where={"owner_id": users["dina"]}, fields=["id", "name"], limit=2
    ).records
    for account in accounts:
        posting.post(dina, account["id"], f"Renewal call with {account['name']} scheduled for next month.")
        follows.follow(maria, account["id"])
    follows.follow(sam, users["ana"])  # follow a colleague's profile
    posting.post(ana, users["ana"], "Back on Monday: @[Sam Okafor] covers my urgent cases until then.")
