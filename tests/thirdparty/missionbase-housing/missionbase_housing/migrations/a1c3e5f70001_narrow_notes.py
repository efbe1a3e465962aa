"""Narrow HousingUnit.notes from 500 to 200 characters, keeping the data that fits.

``db upgrade`` never narrows a column that may hold data; this script does it
explicitly: first it cuts notes longer than 200 characters down to their
first 200, then it alters the column. Batch mode lets the same script run on
SQLite (which rebuilds the table; it does not enforce the length anyway) and
on PostgreSQL (a plain ALTER COLUMN ... TYPE VARCHAR(200)).

The script names the table and column literally instead of importing the
plugin's declarations: a migration is a snapshot of one step in time.

Revision ID: a1c3e5f70001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "a1c3e5f70001"
down_revision = None
branch_labels = ("housing",)
depends_on = None

TABLE = "housing_unit"
OLD_LENGTH = 500
NEW_LENGTH = 200


def upgrade():
    bind = op.get_bind()
    if not sa.inspect(bind).has_table(TABLE):  # nothing to migrate yet
        return
    units = sa.table(TABLE, sa.column("notes", sa.String(OLD_LENGTH)))
    op.execute(
        units.update()
        .where(sa.func.length(units.c.notes) > NEW_LENGTH)
        .values(notes=sa.func.substr(units.c.notes, 1, NEW_LENGTH))
    )
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column(
            "notes",
            existing_type=sa.String(OLD_LENGTH),
            type_=sa.String(NEW_LENGTH),
            existing_nullable=True,
        )


def downgrade():
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column(
            "notes",
            existing_type=sa.String(NEW_LENGTH),
            type_=sa.String(OLD_LENGTH),
            existing_nullable=True,
        )
