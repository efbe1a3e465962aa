"""``missionbase files``: store and fetch file bytes."""

from __future__ import annotations

import shutil
import sys

import click

from .context import as_user_option, echo_json, echo_record, json_option, pass_app


@click.group()
def files():
    """Store files (bytes on disk, a File record in the database) and get them back."""


@files.command("add")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--parent", metavar="ID", help="The record the file belongs to.")
@click.option("--name", help="Name to store it under (default: the file's name).")
@as_user_option
@json_option
@pass_app
def add(app, path, parent, name, as_user, as_json):
    """Store a file, optionally attached to a record."""
    from ..files import store_file

    with app.session(as_user) as s:
        record = store_file(s, path, name=name, parent=parent)
    echo_json(record) if as_json else echo_record(record)


@files.command("get")
@click.argument("file_id", metavar="ID")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="Default: standard output.",
)
@as_user_option
@pass_app
def get(app, file_id, output, as_user):
    """Write a stored file's bytes to a file or standard output."""
    from ..files import file_bytes_path

    with app.session(as_user) as s:
        source = file_bytes_path(s, file_id)
    with open(source, "rb") as handle:
        if output == "-":
            shutil.copyfileobj(handle, sys.stdout.buffer)
        else:
            with open(output, "wb") as out:
                shutil.copyfileobj(handle, out)
