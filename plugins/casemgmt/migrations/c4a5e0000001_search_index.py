"""The full-text search index of client and global search.

Not an object: one row per (record, searchable field) with the field's
normalised text, so a field the user may not see can be left out of a search
(field-level security) and a write re-indexes only its record.

Names (and client IDs) are kept apart from the other fields, because searches
read name hits first and must not wade through every city that matches:

- SQLite: ``casemgmt_search_entry`` (which record and field) and the FTS5 tables
  ``casemgmt_search_name_fts`` and ``casemgmt_search_other_fts`` holding the
  text under the same rowid, with prefix indexes for 2 and 3 characters
  (search as you type).
- PostgreSQL: ``casemgmt_search_entry`` with the text, ``is_name`` and a
  generated ``tsvector`` column under one partial GIN index per kind.

Revision ID: c4a5e0000001
Revises:
"""

from alembic import op

revision = "c4a5e0000001"
down_revision = None
branch_labels = ("casemgmt",)
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TABLE IF NOT EXISTS casemgmt_search_entry (id INTEGER PRIMARY KEY, "
            "record_id VARCHAR(30) NOT NULL, object VARCHAR(80) NOT NULL, field VARCHAR(80) NOT NULL)"
        )
        for kind in ("name", "other"):
            op.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS casemgmt_search_{kind}_fts USING fts5(body, prefix='2 3', "
                "tokenize='unicode61 remove_diacritics 2')"
            )
    else:
        op.execute(
            "CREATE TABLE IF NOT EXISTS casemgmt_search_entry (id BIGSERIAL PRIMARY KEY, "
            "record_id VARCHAR(30) NOT NULL, object VARCHAR(80) NOT NULL, field VARCHAR(80) NOT NULL, "
            "is_name BOOLEAN NOT NULL, body TEXT NOT NULL, "
            "tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED)"
        )
        for kind, condition in (("name", "is_name"), ("other", "NOT is_name")):
            op.execute(
                f"CREATE INDEX IF NOT EXISTS ix_casemgmt_search_entry_{kind} ON casemgmt_search_entry "
                f"USING GIN (tsv) WHERE {condition}"
            )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_casemgmt_search_entry_record ON casemgmt_search_entry (record_id)"
    )


def downgrade():
    op.execute("DROP TABLE IF EXISTS casemgmt_search_entry")
    op.execute("DROP TABLE IF EXISTS casemgmt_search_name_fts")
    op.execute("DROP TABLE IF EXISTS casemgmt_search_other_fts")
