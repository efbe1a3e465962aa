"""Client IDs: generated when a contact becomes a client, or taken from an import.

The generator is chosen by the setting ``casemgmt.client_id_generator`` among
the ``Generator`` declarations of every enabled plugin (``registry.add(Generator
("housing.hud_id", generate=fn))`` in a plugin's ``missionbase_register_objects``).
The built-in ``casemgmt.format`` renders ``casemgmt.client_id_format``, e.g.
``{YYYY}-{SEQ:6}`` -> ``2026-000042``: the counter is core's ``reserve_numbers``,
one per rendered prefix (a new year starts at 1), reserved inside the writing
transaction, so concurrent creations never share a number and a rolled-back
creation leaves no gap.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from missionbase.core import UnknownName, ValidationError

from .settings import CLIENT_ID_FORMAT, CLIENT_ID_GENERATOR

SEQUENCE = re.compile(r"\{SEQ:(\d{1,2})\}")
DATE_TOKENS = {"{YYYY}": "%Y", "{YY}": "%y", "{MM}": "%m"}
MAX_ROUNDS = 10  # collisions with imported IDs are skipped; more rounds than this means a broken generator


def render_prefix(fmt: str, today: dt.date) -> tuple[str, str, int]:
    """(text with the date tokens filled in, the {SEQ:n} token, n) for a client ID format."""
    tokens = SEQUENCE.findall(fmt)
    if len(tokens) != 1:
        raise ValidationError(
            f"needs exactly one counter such as {{SEQ:6}} (got {fmt!r})",
            object_name="setting",
            field=CLIENT_ID_FORMAT,
        )
    text = fmt
    for token, code in DATE_TOKENS.items():
        text = text.replace(token, today.strftime(code))
    width = int(tokens[0])
    return text, f"{{SEQ:{tokens[0]}}}", width


def format_generator(session, rows: list[dict]) -> list[str]:
    """The built-in generator: ``casemgmt.client_id_format`` with a counter per prefix."""
    text, token, width = render_prefix(session.get_setting(CLIENT_ID_FORMAT), dt.date.today())
    first = session.reserve_numbers(f"casemgmt.client_id:{text}", len(rows))
    return [text.replace(token, str(first + offset).zfill(width)) for offset in range(len(rows))]


def generate_client_ids(session, rows: list[dict]) -> list[str]:
    """One new, unused client ID per row, from the configured generator."""
    name = session.get_setting(CLIENT_ID_GENERATOR)
    generator = session.registry.generators.get(name)
    if generator is None:
        raise UnknownName("client ID generator", name, session.registry.generators)
    table = session.schema.table("Contact")
    out: list[str | None] = [None] * len(rows)
    pending = list(range(len(rows)))
    for _ in range(MAX_ROUNDS):
        values = [str(v) for v in generator.generate(session, [rows[i] for i in pending])]
        if len(values) != len(pending) or len(set(values)) != len(values):
            raise ValidationError(f"client ID generator {name!r} must return one distinct value per client")
        # Any contact, readable or not, deleted or not: the column is unique.
        taken = set(session.conn.scalars(sa.select(table.c.client_id).where(table.c.client_id.in_(values))))
        still = []
        for index, value in zip(pending, values, strict=True):
            if value in taken:
                still.append(index)
            else:
                out[index] = value
        if not still:
            return out  # type: ignore[return-value]
        pending = still
    raise ValidationError(f"client ID generator {name!r} keeps returning IDs already in use")


def assign_client_ids(
    session, contact_ids: list[str] | None = None, *, regenerate: bool = False
) -> list[dict]:
    """Give clients a generated ID: those listed (or every readable client without one).

    Without ``regenerate`` a client that has an ID keeps it; with it, the listed
    clients get a new one (their old one is in the field history of the update).
    """
    if contact_ids:
        found = session.get_many(contact_ids)
        missing = [c for c in contact_ids if c not in found]
        if missing:
            session.get(missing[0])  # raises RecordNotFound naming it
        contacts = [found[c] for c in contact_ids]
        not_clients = [c["id"] for c in contacts if not c.get("is_client")]
        if not_clients:
            raise ValidationError(
                f"{not_clients[0]} is not a client (is_client is not set)",
                object_name="Contact",
                field="is_client",
            )
    else:
        if regenerate:
            raise ValidationError("regenerate needs the client IDs to replace (contact ids)")
        contacts = session.query(
            "Contact", {"is_client": True, "client_id": {"is_null": True}}, fields=["client_id"]
        ).records
    targets = [c for c in contacts if regenerate or not c.get("client_id")]
    if not targets:
        return []
    values = generate_client_ids(session, targets)
    updated = session.update_many(
        [{"id": c["id"], "client_id": v} for c, v in zip(targets, values, strict=True)]
    )
    return [{"id": c["id"], "name": c.get("name"), "client_id": c["client_id"]} for c in updated]
