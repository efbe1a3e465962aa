"""``missionbase auth``: the authentication audit trail and login sessions, for administrators."""

from __future__ import annotations

import click

from .context import as_user_option, echo_json, echo_table, json_option, pass_app


@click.group()
def auth():
    """The authentication audit (logins, tokens, passwords) and login sessions."""


@auth.command("audit")
@click.option("--user", "username", metavar="USER", help="Only rows about this user (as actor or subject).")
@click.option("--event", help="Only this kind: login, login_failed, logout, token_created...")
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=100,
    show_default=True,
    help="Most events to show, newest first.",
)
@as_user_option
@json_option
@pass_app
def auth_audit(app, username, event, limit, as_user, as_json):
    """Logins (and failed ones), logouts, sessions ended, tokens and passwords set, newest first.

    Needs the manage_users permission.
    """
    from ..auth.audit import list_events

    with app.session(as_user) as s:
        rows = list_events(s, user=username, event=event, limit=limit)
        tz = s.user.time_zone
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["at", "event", "actor", "user", "address", "detail"], time_zone=tz, max_width=50)


@auth.command("sessions")
@click.option("--user", "username", metavar="USER", help="Another user's sessions (manage_users).")
@click.option("--all", "everyone", is_flag=True, help="Everyone's sessions (manage_users).")
@as_user_option
@json_option
@pass_app
def auth_sessions(app, username, everyone, as_user, as_json):
    """Live login sessions: when they started, were last used and will end."""
    from ..auth.sessions import list_sessions

    with app.session(as_user) as s:
        rows = list_sessions(s, username, everyone=everyone)
        tz = s.user.time_zone
    columns = ["id", "username", "created_at", "last_seen_at", "expires_at", "address", "user_agent"]
    echo_json(rows) if as_json else echo_table(rows, columns, time_zone=tz)


@auth.command("revoke-session")
@click.argument("session_id", metavar="ID")
@as_user_option
@pass_app
def auth_revoke_session(app, session_id, as_user):
    """End a login session at once (its next request gets 401)."""
    from ..auth.sessions import revoke_session

    with app.session(as_user) as s:
        revoke_session(s, session_id)
    click.echo(f"Ended session {session_id}.")
