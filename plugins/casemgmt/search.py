"""Client search and global search over a full-text index.

**Index** (``migrations/c4a5e0000001_search_index.py``): one entry per record
and searchable field, holding the field's words lower-cased without accents,
names (and the client ID) apart from the other fields. Contact indexes every
text field, those other plugins add included; another object indexes its
name, email, phone and auto-number fields. The index is kept current by
after-insert/update/delete/undelete triggers in the writing transaction;
the job ``casemgmt.rebuild_search_index`` rebuilds it (after enabling the
plugin on an existing org).

**Search**: every word of the text must prefix-match some field of the record
("car" finds Carol, and a city "Carpentras"). Only fields the user can see
are looked at (a hidden field never matches), and the record's own table is
joined with core's read condition (``visible_condition``), so sharing decides
in SQL what comes back. Ranking: records whose leading word hits a name or
the client ID come first, then the other hits. The longest word leads, the
others are checked on the candidates, and reading stops at ``limit``
results, so a search costs what it reads, not what the org holds.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections import defaultdict

import sqlalchemy as sa

from missionbase.core import AccessDenied, UnknownName, ValidationError
from missionbase.core import fields as f

ENTRY = sa.table(
    "casemgmt_search_entry",
    sa.column("id", sa.BigInteger),
    sa.column("record_id", sa.String),
    sa.column("object", sa.String),
    sa.column("field", sa.String),
    sa.column("is_name", sa.Boolean),
    sa.column("body", sa.Text),
    sa.column("tsv"),
)
# SQLite: the text of name entries and of the others, each under its entry's id (rowid).
FTS = {
    names: sa.table(
        f"casemgmt_search_{'name' if names else 'other'}_fts",
        sa.column("rowid", sa.BigInteger),
        sa.column("body", sa.Text),
    )
    for names in (True, False)
}
# Objects whose every text field is searchable; others: name, email, phone, auto-number.
FULL_TEXT_OBJECTS = ("Contact",)
TEXT_KINDS = (f.StringField, f.AutoNumber)
KEY_KINDS = (f.Email, f.Phone, f.AutoNumber)
# Fields whose hits rank first in client search.
NAME_FIELDS = ("name", "first_name", "last_name", "preferred_name", "legal_name", "client_id")
WORD = re.compile(r"[^\W_]+")  # letters and digits; "_" separates, as in FTS5
CHUNK = 500
BATCH = 200  # candidates read from the index at a time


def normalise(text: str) -> str:
    """Lower case without accents: what is indexed and what is searched for ("Chloé" -> "chloe")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def indexed_text(value) -> str:
    """The words of a value, space-separated: both engines then split "carol.smith@example.org"
    or "2026-000042" into the same words (PostgreSQL's parser would keep an email whole)."""
    return " ".join(WORD.findall(normalise(str(value))))


def is_name_field(obj, name: str) -> bool:
    """Name hits rank first: the object's name field, and the person-name fields and client ID."""
    return name == obj.name_field or name in NAME_FIELDS


def indexed_fields(obj) -> list[str]:
    if obj.name in FULL_TEXT_OBJECTS:
        return [fld.name for fld in obj.fields if isinstance(fld, TEXT_KINDS)]
    if not obj.name_field:
        return []
    return [
        obj.name_field,
        *(fld.name for fld in obj.fields if isinstance(fld, KEY_KINDS) and fld.name != obj.name_field),
    ]


# -- keeping the index current ----------------------------------------------------------------


def _is_sqlite(conn) -> bool:
    return conn.dialect.name == "sqlite"


def _entries(obj, rows: list[dict]) -> list[tuple[str, str, str, bool, str]]:
    names = [(name, is_name_field(obj, name)) for name in indexed_fields(obj)]
    out = []
    for row in rows:
        for name, is_name in names:
            value = row.get(name)
            text = indexed_text(value) if value is not None else ""
            if text:
                out.append((row["id"], obj.name, name, is_name, text))
    return out


def add_entries(conn, entries: list[tuple[str, str, str, bool, str]]) -> None:
    if not entries:
        return
    if _is_sqlite(conn):
        # Entry and text share a rowid; the transaction holds SQLite's write lock, so max()+n is ours.
        first = (conn.scalar(sa.select(sa.func.max(ENTRY.c.id))) or 0) + 1
        conn.execute(
            ENTRY.insert(),
            [
                {"id": first + i, "record_id": r, "object": o, "field": n}
                for i, (r, o, n, _, _) in enumerate(entries)
            ],
        )
        for names, fts in FTS.items():
            rows = [
                {"rowid": first + i, "body": b}
                for i, (_, _, _, is_name, b) in enumerate(entries)
                if is_name == names
            ]
            if rows:
                conn.execute(fts.insert(), rows)
    else:
        conn.execute(
            ENTRY.insert(),
            [
                {"record_id": r, "object": o, "field": n, "is_name": is_name, "body": b}
                for r, o, n, is_name, b in entries
            ],
        )


def remove_entries(conn, record_ids: list[str]) -> None:
    for start in range(0, len(record_ids), CHUNK):
        chunk = record_ids[start : start + CHUNK]
        if _is_sqlite(conn):
            rowids = conn.scalars(sa.select(ENTRY.c.id).where(ENTRY.c.record_id.in_(chunk))).all()
            for offset in range(0, len(rowids), CHUNK):
                for fts in FTS.values():
                    conn.execute(fts.delete().where(fts.c.rowid.in_(rowids[offset : offset + CHUNK])))
        conn.execute(ENTRY.delete().where(ENTRY.c.record_id.in_(chunk)))


def index_inserted(ctx, rows) -> None:
    add_entries(ctx.session.conn, _entries(ctx.object, [row.new for row in rows]))


def index_updated(ctx, rows) -> None:
    names = indexed_fields(ctx.object)
    changed = [row.new for row in rows if any(row.changed(name) for name in names)]
    if changed:
        remove_entries(ctx.session.conn, [row["id"] for row in changed])
        add_entries(ctx.session.conn, _entries(ctx.object, changed))


def index_deleted(ctx, rows) -> None:
    if indexed_fields(ctx.object):
        remove_entries(ctx.session.conn, [row.old["id"] for row in rows])


def register_index_triggers(registry) -> None:
    """Index triggers on every object that has something to search (called at startup)."""
    handlers = {
        "after_insert": index_inserted,
        "after_undelete": index_inserted,
        "after_update": index_updated,
        "after_delete": index_deleted,
    }
    for name, obj in list(registry.objects.items()):
        if name in FULL_TEXT_OBJECTS or obj.name_field:
            for event, handler in handlers.items():
                registry.add_trigger(name, event, handler)


def rebuild_index(session) -> int:
    """Index every record of every searchable object again (system context)."""
    conn = session.conn
    if _is_sqlite(conn):
        for fts in FTS.values():
            conn.execute(fts.delete())
    conn.execute(ENTRY.delete())
    count = 0
    for obj in session.registry.objects.values():
        names = indexed_fields(obj)
        if not names:
            continue
        table = session.schema.table(obj.name)
        last = ""
        while True:
            rows = (
                conn.execute(
                    sa.select(table.c.id, *(table.c[n] for n in names))
                    .where(table.c.is_deleted == sa.false(), table.c.id > last)
                    .order_by(table.c.id)
                    .limit(5000)
                )
                .mappings()
                .all()
            )
            if not rows:
                break
            entries = _entries(obj, [dict(r) for r in rows])
            add_entries(conn, entries)
            count += len(entries)
            last = rows[-1]["id"]
    return count


def rebuild_index_job(app) -> str:
    with app.system_session() as s:
        count = rebuild_index(s)
    return f"indexed {count} field value(s)"


# -- searching ----------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    found = WORD.findall(normalise(text or ""))
    if not found or sum(len(w) for w in found) < 2:
        raise ValidationError(f"search needs at least 2 letters or digits (got {text!r})")
    return found


def _match(conn, word: str, names: bool):
    """The SQL condition "a word of a name (or of another field) starts with ``word``"."""
    if _is_sqlite(conn):
        return sa.literal_column(FTS[names].name).op("MATCH")(sa.literal(f'"{word}"*'))
    return sa.and_(
        ENTRY.c.is_name == sa.literal(names),
        ENTRY.c.tsv.op("@@")(sa.func.to_tsquery("simple", sa.literal(f"{word}:*"))),
    )


def _source(conn, names: bool):
    if _is_sqlite(conn):
        return FTS[names].join(ENTRY, ENTRY.c.id == FTS[names].c.rowid)
    return ENTRY


def _words_of(conn, object_name: str, record_ids: list[str], fields: list[str]) -> dict[str, set[str]]:
    """The indexed words of these records' ``fields``."""
    if _is_sqlite(conn):
        statements = [
            sa.select(ENTRY.c.record_id, fts.c.body).select_from(fts.join(ENTRY, ENTRY.c.id == fts.c.rowid))
            for fts in FTS.values()
        ]
    else:
        statements = [sa.select(ENTRY.c.record_id, ENTRY.c.body)]
    out: dict[str, set[str]] = defaultdict(set)
    for stmt in statements:
        stmt = stmt.where(
            ENTRY.c.record_id.in_(record_ids), ENTRY.c.field.in_(fields), ENTRY.c.object == object_name
        )
        for record_id, body in conn.execute(stmt):
            out[record_id].update(body.split())
    return out


def visible_search_fields(session, obj) -> list[str]:
    return [n for n in indexed_fields(obj) if session.field_access(obj, n) != "hidden"]


# table -> its alias in search queries: made once, so neither the alias's columns nor the
# access policy's read condition for it (memoised per table) are rebuilt on every keystroke.
_ALIASES: weakref.WeakKeyDictionary[sa.Table, sa.Alias] = weakref.WeakKeyDictionary()


def _alias(table: sa.Table) -> sa.Alias:
    alias = _ALIASES.get(table)
    if alias is None:
        alias = _ALIASES[table] = table.alias("r")
    return alias


def _hits(
    session,
    object_name: str,
    terms: list[str],
    names: bool,
    all_fields: list[str],
    limit: int,
    extra=(),
    exclude=(),
) -> list[tuple[str, str]]:
    """(record id, field the leading word matched), at most ``limit`` records whose leading word
    hits a name (``names``) or another field.

    The longest word leads (the fewest matches to read: "2025-0015421" is led by "0015421", not
    by the "2025" every client ID starts with); readable candidates stream from the index in
    batches, the other words are checked on each batch's indexed text, and reading stops once
    ``limit`` records qualify.
    """
    conn = session.conn
    leading = max(terms, key=len)
    others = list(terms)
    others.remove(leading)
    table = _alias(session.schema.table(object_name))
    stmt = (
        sa.select(table.c.id, ENTRY.c.field)
        .select_from(_source(conn, names).join(table, table.c.id == ENTRY.c.record_id))
        .where(
            _match(conn, leading, names),
            ENTRY.c.object == object_name,
            ENTRY.c.field.in_(all_fields),
            session.visible_condition(object_name, table),
            *[condition(table) for condition in extra],
        )
    )
    if exclude:
        stmt = stmt.where(table.c.id.not_in(sorted(exclude)))
    out: dict[str, str] = {}
    result = conn.execute(stmt.execution_options(stream_results=True))
    try:
        for batch in result.partitions(BATCH):
            fresh = [(record_id, field) for record_id, field in batch if record_id not in out]
            if others and fresh:
                words_of = _words_of(conn, object_name, sorted({r for r, _ in fresh}), all_fields)
                fresh = [
                    (r, fld)
                    for r, fld in fresh
                    if all(any(w.startswith(t) for w in words_of.get(r, ())) for t in others)
                ]
            for record_id, field in fresh:
                out.setdefault(record_id, field)
                if len(out) == limit:
                    return list(out.items())
    finally:
        result.close()
    return list(out.items())


def search_clients(session, text: str, *, limit: int = 20) -> list[dict]:
    """Clients (PMM's is_client) matching every word, name and client ID hits first.

    Each result carries the client's active alerts, as every listing of a client does.
    """
    from .clients import client_alerts

    terms = words(text)
    if limit < 1:
        raise ValidationError(f"limit must be at least 1 (got {limit})")
    contact = session.object("Contact")
    fields = visible_search_fields(session, contact)
    if not fields:
        return []
    is_client = [lambda table: table.c.is_client == sa.true()]
    ranked = _hits(session, "Contact", terms, True, fields, limit, is_client)
    if len(ranked) < limit:
        ranked += _hits(
            session,
            "Contact",
            terms,
            False,
            fields,
            limit - len(ranked),
            is_client,
            exclude={record_id for record_id, _ in ranked},
        )
    return _present(session, "Contact", ranked, with_alerts=client_alerts)


def _present(session, object_name: str, ranked: list[tuple[str, str]], with_alerts=None) -> list[dict]:
    if not ranked:
        return []
    obj = session.object(object_name)
    records = session.get_many([record_id for record_id, _ in ranked])
    alerts = with_alerts(session, list(records)) if with_alerts else {}
    out = []
    for rank, (record_id, field) in enumerate(ranked, start=1):
        record = records.get(record_id)
        if record is None:
            continue
        row = {
            "rank": rank,
            "object": object_name,
            "id": record_id,
            "name": record.get(obj.name_field) if obj.name_field else None,
            "matched": field,
            "value": record.get(field),
        }
        if object_name == "Contact" and "client_id" in record:
            row["client_id"] = record["client_id"]
        if with_alerts:
            row["alerts"] = [a["name"] for a in alerts.get(record_id, []) if a["is_active"]]
        out.append(row)
    return out


def global_search(
    session, text: str, *, objects: list[str] | None = None, limit_per_object: int = 5
) -> dict[str, list[dict]]:
    """Records of every searchable object the user can read, grouped by object (name hits first)."""
    terms = words(text)
    if objects:
        for name in objects:
            session.object(name)  # an unknown name is an error listing the objects
            if not indexed_fields(session.object(name)):
                searchable = [o for o, obj in session.registry.objects.items() if indexed_fields(obj)]
                raise UnknownName("searchable object", name, searchable)
    names = objects or sorted(o for o, obj in session.registry.objects.items() if indexed_fields(obj))
    grouped: dict[str, list[dict]] = defaultdict(list)
    for name in names:
        obj = session.object(name)
        try:
            session.visible_condition(name)  # no Read on the object: AccessDenied
        except AccessDenied:
            if objects:
                raise
            continue  # an object the user cannot read is simply not searched
        fields = visible_search_fields(session, obj)
        if not fields:
            continue
        ranked = _hits(session, name, terms, True, fields, limit_per_object)
        if len(ranked) < limit_per_object:
            ranked += _hits(
                session,
                name,
                terms,
                False,
                fields,
                limit_per_object - len(ranked),
                exclude={record_id for record_id, _ in ranked},
            )
        found = _present(session, name, ranked)
        if found:
            grouped[name] = found
    return dict(grouped)
