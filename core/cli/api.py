"""``missionbase serve`` and ``missionbase tokens``: the REST API and its credentials."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .context import CliState, as_user_option, echo_json, echo_table, json_option, pass_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on."
)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Processes.")
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
@click.pass_context
def serve(ctx, host, port, workers, reload):
    """Serve the REST API (/api/v1, docs at /api/docs) with uvicorn."""
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ModuleNotFoundError:
        raise click.ClickException(
            "the API server is not installed: pip install 'missionbase[server]'"
        ) from None
    state = ctx.find_object(CliState)
    settings = state.settings()  # fails here, with the CLI's message, when there is no config
    if settings.config_path is not None:
        # Each worker opens the org itself, from this file (core/api/server.py).
        os.environ["MISSIONBASE_CONFIG"] = str(Path(settings.config_path).resolve())
    if state.app().pending_schema_changes():
        click.echo("warning: the database needs 'missionbase db upgrade' for the enabled plugins", err=True)
    click.echo(f"missionbase API on http://{host}:{port}/api/v1/ (docs: /api/docs)", err=True)
    uvicorn.run(
        "missionbase.core.api.server:create",
        factory=True,
        host=host,
        port=port,
        workers=workers if not reload else None,
        reload=reload,
        proxy_headers=True,
    )


@click.group()
def tokens():
    """API tokens for scripts: create (shown once), list, revoke."""


@tokens.command("create")
@click.argument("name")
@click.option("--read-only", is_flag=True, help="Only reads; every write is refused.")
@click.option(
    "--days", type=click.IntRange(1, 3650), default=90, show_default=True, help="Days until it expires."
)
@click.option("--for", "for_user", metavar="USER", help="Another user's token (administrators).")
@click.option(
    "--objects",
    metavar="NAMES",
    help="Only these objects, comma-separated (Contact,CaseFile); every other object is refused.",
)
@as_user_option
@json_option
@pass_app
def tokens_create(app, name, read_only, days, for_user, objects, as_user, as_json):
    """Create a token NAME (what will use it); prints the secret once."""
    from ..auth.tokens import create_token

    with app.session(as_user) as s:
        secret, row = create_token(
            s,
            name,
            scope="read" if read_only else "read_write",
            days=days,
            for_user=for_user,
            objects=objects,
        )
    if as_json:
        echo_json({**row, "token": secret})
        return
    click.echo(secret)
    only = f", only {', '.join(row['objects'])}" if row["objects"] else ""
    click.echo(
        f"Token {row['id']} ({row['scope']}{only}, expires {row['expires_at']:%Y-%m-%d}). "
        "Copy it now: it is not shown again. Send it as 'Authorization: Bearer <token>'.",
        err=True,
    )


@tokens.command("list")
@click.option("--all", "everyone", is_flag=True, help="Everyone's tokens (administrators).")
@as_user_option
@json_option
@pass_app
def tokens_list(app, everyone, as_user, as_json):
    """Your tokens with their scope, expiry and last use (never the secrets)."""
    from ..auth.tokens import list_tokens

    with app.session(as_user) as s:
        rows = list_tokens(s, everyone=everyone)
        tz = s.user.time_zone
    columns = ["id", "name", "hint", "scope", "objects", "status", "expires_at", "last_used_at"]
    for row in rows if not as_json else []:
        row["objects"] = ", ".join(row["objects"]) if row["objects"] else "(all)"
    echo_json(rows) if as_json else echo_table(
        rows, columns + (["user_id"] if everyone else []), time_zone=tz
    )


@tokens.command("revoke")
@click.argument("token_id", metavar="ID")
@as_user_option
@pass_app
def tokens_revoke(app, token_id, as_user):
    """Revoke a token at once (requests with it get 401)."""
    from ..auth.tokens import revoke_token

    with app.session(as_user) as s:
        revoke_token(s, token_id)
    click.echo(f"Revoked {token_id}.")
