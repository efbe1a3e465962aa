"""Tables generated from the registry, and the additive schema sync.

Every object becomes one table named after it (``ServiceDelivery`` ->
``service_delivery``) with the system columns below plus one column per
field. User fields are nullable at the database level: "required" is a
validation rule, so adding a required field to an object that already has
rows stays an additive change.

``db upgrade`` compares these tables with the live database through
Alembic's autogenerate comparison and applies only additive changes (new
tables, columns, indexes, wider text). Anything else - a dropped or
narrowed column - is reported and left to a per-plugin Alembic migration
script, so data is never lost by accident.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import fields as f
from .ids import ID_LENGTH
from .registry import ObjectType, Registry

# Tables of core's own machinery (not objects).
INTERNAL_PREFIX = "mb_"


class UTCDateTime(sa.types.TypeDecorator):
    """Aware datetimes in Python, UTC without zone in the database.

    Both engines then store the same thing, and callers never meet a naive
    datetime whose zone they would have to guess.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


def column_type(fld: f.Field, dialect_name: str = "") -> sa.types.TypeEngine:
    if isinstance(fld, f.LongText):
        return sa.Text()
    if isinstance(fld, f.Lookup):
        return sa.String(ID_LENGTH)
    if isinstance(fld, f.Picklist | f.StringField):
        return sa.String(fld.max_length)
    if isinstance(fld, f.AutoNumber):
        return sa.String(80)
    if isinstance(fld, f.Integer):
        return sa.BigInteger()
    if isinstance(fld, f.Decimal):
        return sa.Numeric(fld.precision, fld.scale, asdecimal=True)
    if isinstance(fld, f.Boolean):
        return sa.Boolean()
    if isinstance(fld, f.Datetime):
        return UTCDateTime()
    if isinstance(fld, f.Date):
        return sa.Date()
    raise TypeError(f"no column type for field kind {fld.kind}")


def index_name(prefix: str, table: str, columns: tuple[str, ...]) -> str:
    """Index names within PostgreSQL's 63-character limit, stable across runs."""
    name = f"{prefix}_{table}_{'_'.join(columns)}"
    if len(name) > 60:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = f"{name[:51]}_{digest}"
    return name


def system_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
        sa.Column("owner_id", sa.String(ID_LENGTH), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(ID_LENGTH), nullable=False),
        sa.Column("modified_at", UTCDateTime(), nullable=False),
        sa.Column("modified_by", sa.String(ID_LENGTH), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("is_deleted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("deleted_by", sa.String(ID_LENGTH), nullable=True),
    ]


def object_table(obj: ObjectType, metadata: sa.MetaData) -> sa.Table:
    table_name = obj.table_name
    columns = system_columns()
    # Formula fields are computed when read: no column (so `db upgrade` never creates one).
    stored = [fld for fld in obj.fields if f.is_stored(fld)]
    columns += [sa.Column(fld.name, column_type(fld), nullable=True, comment=None) for fld in stored]
    table = sa.Table(table_name, metadata, *columns, info={"object": obj.name})
    sa.Index(index_name("ix", table_name, ("owner_id",)), table.c.owner_id)
    for fld in stored:
        if fld.unique:
            sa.Index(index_name("ux", table_name, (fld.name,)), table.c[fld.name], unique=True)
        elif fld.indexed or fld.name == obj.name_field:
            sa.Index(index_name("ix", table_name, (fld.name,)), table.c[fld.name])
    for cols in obj.indexes:
        sa.Index(index_name("ix", table_name, cols), *(table.c[c] for c in cols))
    return table


def internal_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """Core's bookkeeping tables, shared by every org."""
    return {
        # Auto-number counters, one row per object.field.
        "sequence": sa.Table(
            "mb_sequence",
            metadata,
            sa.Column("name", sa.String(200), primary_key=True),
            sa.Column("value", sa.BigInteger(), nullable=False),
        ),
        # Org settings an admin changes from the CLI (plugins' feature switches).
        "setting": sa.Table(
            "mb_setting",
            metadata,
            sa.Column("key", sa.String(200), primary_key=True),
            sa.Column("value", sa.JSON(), nullable=True),
            sa.Column("modified_at", UTCDateTime(), nullable=False),
            sa.Column("modified_by", sa.String(ID_LENGTH), nullable=False),
        ),
        # Import checkpoints: written in the same transaction as each batch,
        # so --resume after a crash skips exactly the committed batches.
        "import_progress": sa.Table(
            "mb_import_progress",
            metadata,
            sa.Column("job_key", sa.String(64), primary_key=True),
            sa.Column("object", sa.String(80), nullable=False),
            sa.Column("source", sa.String(1000), nullable=False),
            sa.Column("batches_done", sa.Integer(), nullable=False),
            sa.Column("rows_done", sa.BigInteger(), nullable=False),
            sa.Column("updated_at", UTCDateTime(), nullable=False),
        ),
        # One row per deleted record; cascaded children share the root's deletion.
        "recycle_bin": sa.Table(
            "mb_recycle_bin",
            metadata,
            sa.Column("record_id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("object", sa.String(80), nullable=False),
            sa.Column("deletion_id", sa.String(ID_LENGTH), nullable=False, index=True),
            sa.Column("root_id", sa.String(ID_LENGTH), nullable=False),
            sa.Column("name", sa.String(255), nullable=True),
            sa.Column("deleted_at", UTCDateTime(), nullable=False, index=True),
            sa.Column("deleted_by", sa.String(ID_LENGTH), nullable=False),
        ),
        # Lookups emptied by a delete ("clear" rule), restored by undelete.
        "cleared_lookup": sa.Table(
            "mb_cleared_lookup",
            metadata,
            sa.Column("deletion_id", sa.String(ID_LENGTH), nullable=False, index=True),
            sa.Column("object", sa.String(80), nullable=False),
            sa.Column("record_id", sa.String(ID_LENGTH), nullable=False),
            sa.Column("field", sa.String(80), nullable=False),
            sa.Column("value", sa.String(ID_LENGTH), nullable=False),
        ),
        # Permission sets assigned to users (the sets themselves are declared by plugins).
        "permset_assignment": sa.Table(
            "mb_permset_assignment",
            metadata,
            sa.Column("user_id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("permset", sa.String(120), primary_key=True),
            sa.Column("assigned_at", UTCDateTime(), nullable=False),
            sa.Column("assigned_by", sa.String(ID_LENGTH), nullable=False),
        ),
        # Manual shares: a record opened to a user, group, role or role-and-subordinates.
        # grantee_key is what the visibility filter matches (user/group id, role:<id>, rs:<id>).
        "share": sa.Table(
            "mb_share",
            metadata,
            sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("object", sa.String(80), nullable=False),
            sa.Column("record_id", sa.String(ID_LENGTH), nullable=False),
            sa.Column("grantee_type", sa.String(30), nullable=False),
            sa.Column("grantee_id", sa.String(ID_LENGTH), nullable=False),
            sa.Column("grantee_key", sa.String(ID_LENGTH + 5), nullable=False),
            sa.Column("level", sa.String(10), nullable=False),
            sa.Column("created_at", UTCDateTime(), nullable=False),
            sa.Column("created_by", sa.String(ID_LENGTH), nullable=False),
            sa.Index("ix_mb_share_record_grantee", "record_id", "grantee_key"),
            sa.Index("ix_mb_share_grantee_record", "grantee_key", "record_id"),
        ),
        # Field history of objects that opt in: one row per changed tracked field.
        "field_history": sa.Table(
            "mb_field_history",
            metadata,
            sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("object", sa.String(80), nullable=False),
            sa.Column("record_id", sa.String(ID_LENGTH), nullable=False, index=True),
            sa.Column("field", sa.String(80), nullable=False),
            sa.Column("old_value", sa.JSON(), nullable=True),
            sa.Column("new_value", sa.JSON(), nullable=True),
            sa.Column("changed_by", sa.String(ID_LENGTH), nullable=False),
            sa.Column("changed_at", UTCDateTime(), nullable=False),
        ),
        # Which plugins' demo data an org has, so `demo` can be run again safely.
        "demo_loaded": sa.Table(
            "mb_demo_loaded",
            metadata,
            sa.Column("plugin", sa.String(80), primary_key=True),
            sa.Column("loaded_at", UTCDateTime(), nullable=False),
        ),
        # API tokens (core/api/tokens.py): only a SHA-256 of the secret is kept, so a copy of
        # the database does not hand out working tokens; a token acts as its user.
        "api_token": sa.Table(
            "mb_api_token",
            metadata,
            sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("user_id", sa.String(ID_LENGTH), nullable=False, index=True),
            sa.Column("name", sa.String(120), nullable=False),
            sa.Column("scope", sa.String(20), nullable=False),
            sa.Column("secret_hash", sa.String(64), nullable=False),
            sa.Column("hint", sa.String(16), nullable=False),
            sa.Column("created_at", UTCDateTime(), nullable=False),
            sa.Column("created_by", sa.String(ID_LENGTH), nullable=False),
            sa.Column("expires_at", UTCDateTime(), nullable=True),
            sa.Column("revoked_at", UTCDateTime(), nullable=True),
            sa.Column("last_used_at", UTCDateTime(), nullable=True),
            # The object names the token may touch (a JSON list); null: every object.
            sa.Column("objects", sa.JSON(), nullable=True),
            sa.Index("ux_mb_api_token_secret_hash", "secret_hash", unique=True),
        ),
        # Work queued for the background (an import sent through the API): what to do, as whom,
        # and how it went. The API runs it at once until a worker claims queued rows itself;
        # the input names the uploaded bytes by sha256 so any process can pick the job up.
        "job": sa.Table(
            "mb_job",
            metadata,
            sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("kind", sa.String(40), nullable=False),
            sa.Column("object", sa.String(80), nullable=True),
            sa.Column("status", sa.String(20), nullable=False, index=True),
            sa.Column("created_by", sa.String(ID_LENGTH), nullable=False, index=True),
            sa.Column("created_at", UTCDateTime(), nullable=False),
            sa.Column("started_at", UTCDateTime(), nullable=True),
            sa.Column("finished_at", UTCDateTime(), nullable=True),
            sa.Column("input", sa.JSON(), nullable=False),
            sa.Column("result", sa.JSON(), nullable=True),
            sa.Column("error", sa.String(1000), nullable=True),
        ),
        # Logins, logouts, failed logins, session and token changes, for an admin to query.
        "auth_audit": sa.Table(
            "mb_auth_audit",
            metadata,
            sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("at", UTCDateTime(), nullable=False, index=True),
            sa.Column("event", sa.String(40), nullable=False),
            sa.Column("actor_id", sa.String(ID_LENGTH), nullable=False),
            sa.Column("user_id", sa.String(ID_LENGTH), nullable=True),
            sa.Column("token_id", sa.String(ID_LENGTH), nullable=True),
            sa.Column("detail", sa.String(255), nullable=True),
            sa.Column("session_id", sa.String(ID_LENGTH), nullable=True),
            sa.Column("address", sa.String(64), nullable=True),
        ),
        # Password hashes (core/auth/passwords.py), apart from the User object so that no record
        # read, export or API answer can ever carry one. Only argon2id hashes, never a password.
        "password": sa.Table(
            "mb_password",
            metadata,
            sa.Column("user_id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("hash", sa.String(255), nullable=False),
            sa.Column("changed_at", UTCDateTime(), nullable=False),
            sa.Column("changed_by", sa.String(ID_LENGTH), nullable=False),
        ),
        # Server-side login sessions (core/auth/sessions.py): the browser's cookie holds a secret
        # whose SHA-256 is kept here, so a copy of the database opens no session.
        "auth_session": sa.Table(
            "mb_auth_session",
            metadata,
            sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("user_id", sa.String(ID_LENGTH), nullable=False, index=True),
            sa.Column("secret_hash", sa.String(64), nullable=False),
            sa.Column("created_at", UTCDateTime(), nullable=False),
            sa.Column("last_seen_at", UTCDateTime(), nullable=False),
            sa.Column("address", sa.String(64), nullable=True),
            sa.Column("user_agent", sa.String(255), nullable=True),
            sa.Index("ux_mb_auth_session_secret_hash", "secret_hash", unique=True),
        ),
        # Failed logins of the last minutes (core/auth/limits.py), counted per username and per
        # client address in the database so that every server process sees the same count.
        "login_failure": sa.Table(
            "mb_login_failure",
            metadata,
            sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
            sa.Column("at", UTCDateTime(), nullable=False, index=True),
            sa.Column("username", sa.String(80), nullable=False),
            sa.Column("address", sa.String(64), nullable=False),
            sa.Index("ix_mb_login_failure_username_at", "username", "at"),
            sa.Index("ix_mb_login_failure_address_at", "address", "at"),
        ),
    }


@dataclass
class Schema:
    metadata: sa.MetaData
    tables: dict[str, sa.Table]  # object name -> table
    internal: dict[str, sa.Table]
    # statements built once from these tables and reused (the system context's reads by id)
    statements: dict = field(default_factory=dict, compare=False, repr=False)

    def table(self, object_name: str) -> sa.Table:
        return self.tables[object_name]


def build_schema(registry: Registry) -> Schema:
    key = tuple(_table_inputs(obj) for obj in registry.objects.values())
    built = _built_tables.get(key)
    if built is None:
        metadata = sa.MetaData()
        tables = {name: object_table(obj, metadata) for name, obj in registry.objects.items()}
        built = (metadata, tables, internal_tables(metadata))
        if len(_built_tables) >= _BUILT_TABLES_KEPT:
            _built_tables.pop(next(iter(_built_tables)))
        _built_tables[key] = built
    metadata, tables, internal = built
    # The statements memo is the app's own: statements also depend on what the tables do
    # not show (formulas, access), so only the tables are shared.
    return Schema(metadata, dict(tables), dict(internal))


# Tables built for a registry, reused by the next app with the same objects and fields (tests
# and the command line's in-process runs open many apps; building ~40 SQLAlchemy tables costs
# more than the rest of an app's start-up). Table objects are never changed once built.
_BUILT_TABLES_KEPT = 32
_built_tables: dict[tuple, tuple] = {}


def _table_inputs(obj: ObjectType) -> tuple:
    """Everything ``object_table`` reads of an object: equal inputs, equal tables."""
    stored = tuple(
        (fld.name, repr(column_type(fld)), bool(fld.unique), bool(fld.indexed))
        for fld in obj.fields
        if f.is_stored(fld)
    )
    return (obj.name, obj.table_name, obj.name_field, tuple(obj.indexes), stored)


# -- additive sync ---------------------------------------------------------


@dataclass
class SchemaChange:
    kind: str  # add_table, add_column, add_index, widen_column, needs_migration
    table: str
    detail: str
    op: object = None

    @property
    def additive(self) -> bool:
        return self.kind != "needs_migration"

    def describe(self) -> str:
        return f"{self.kind}: {self.table}{'.' + self.detail if self.detail else ''}"


def _compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Only text length matters to us; SQLite does not enforce lengths at all."""
    if context.dialect.name == "sqlite":
        return False
    old = getattr(inspected_type, "length", None)
    new = getattr(metadata_type, "length", None)
    if isinstance(metadata_type, sa.String) and isinstance(inspected_type, sa.String):
        return old != new if (old is not None and new is not None) else False
    return None  # let Alembic's default comparison decide


def pending_changes(conn: Connection, schema: Schema) -> list[SchemaChange]:
    """What ``db upgrade`` would do, from Alembic's comparison of tables and database."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    declared = schema.metadata.tables
    missing: list[str] = []

    def include_name(name, type_, parent_names):
        # Tables of disabled plugins stay in the database and are not compared: left out
        # before Alembic reflects them, not after.
        return type_ != "table" or name in declared

    def include_object(obj, name, type_, reflected, compare_to):
        if type_ == "table":
            if not reflected and compare_to is None:
                # A table the database lacks is created whole, indexes and all: listed below
                # without Alembic's diff of it, which copies every table and index several
                # times (most of the time of a first `db upgrade`).
                missing.append(name)
                return False
            return not reflected or compare_to is not None
        # Columns of disabled plugins stay too; only what the registry declares is compared.
        return not (reflected and compare_to is None)

    context = MigrationContext.configure(
        conn,
        opts={"compare_type": _compare_type, "include_name": include_name, "include_object": include_object},
    )
    diffs = compare_metadata(context, schema.metadata)
    # What Alembic would have listed for each missing table, in its order: the table, then
    # its indexes by name.
    changes: list[SchemaChange] = []
    for name in missing:
        table = declared[name]
        changes.append(SchemaChange("add_table", name, "", table))
        for index in sorted(table.indexes, key=lambda ix: ix.name):
            changes.append(SchemaChange("add_index", name, index.name, index))
    for diff in _flatten(diffs):
        kind = diff[0]
        if kind == "add_table":
            # Our own Table, not the one in the diff: Alembic (1.16+) hands over a copy
            # without indexes, and creating the table is what creates its indexes.
            table = schema.metadata.tables[diff[1].name]
            changes.append(SchemaChange("add_table", table.name, "", table))
        elif kind == "add_column":
            changes.append(SchemaChange("add_column", diff[2], diff[3].name, diff[3]))
        elif kind == "add_index":
            index = diff[1]
            changes.append(SchemaChange("add_index", index.table.name, index.name, index))
        elif kind == "modify_type":
            _, _, table_name, column_name, _, old_type, new_type = diff
            old_len, new_len = getattr(old_type, "length", None), getattr(new_type, "length", None)
            if old_len is not None and new_len is not None and new_len > old_len:
                changes.append(SchemaChange("widen_column", table_name, column_name, (old_type, new_type)))
            else:
                changes.append(
                    SchemaChange(
                        "needs_migration",
                        table_name,
                        f"{column_name} ({old_type} -> {new_type}: narrowing or changing a type needs a "
                        "plugin migration script)",
                    )
                )
        # Removed tables, columns and indexes, and nullability changes, are left alone on purpose.
    return changes


def _flatten(diffs):
    for diff in diffs:
        if isinstance(diff, list):  # modify_* come grouped per column
            yield from diff
        else:
            yield diff


def apply_changes(conn: Connection, changes: list[SchemaChange]) -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    ops = Operations(MigrationContext.configure(conn))
    for change in changes:
        if change.kind == "add_table":
            change.op.create(conn)  # type: ignore[union-attr]  # with its indexes
        elif change.kind == "add_column":
            column = change.op
            ops.add_column(change.table, sa.Column(column.name, column.type, nullable=True))
        elif change.kind == "add_index":
            index = change.op
            if not _index_of_new_table(index, changes):
                index.create(conn)
        elif change.kind == "widen_column":
            ops.alter_column(change.table, change.detail, type_=change.op[1], existing_type=change.op[0])


def _index_of_new_table(index, changes) -> bool:
    return any(c.kind == "add_table" and c.table == index.table.name for c in changes)


def plugin_migration_dirs(modules) -> list[Path]:
    """``migrations/`` folders of enabled plugins (a plugin ships one only when it needs one)."""
    out = []
    for module in modules:
        path = Path(getattr(module, "__file__", "") or "").parent / "migrations"
        if path.is_dir():
            out.append(path)
    return out
