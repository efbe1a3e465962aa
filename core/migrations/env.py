"""Alembic environment for per-plugin migration scripts.

One environment, one version table, a labelled branch per plugin: each
enabled plugin's ``migrations/`` folder is added to ``version_locations``
and ``depends_on`` orders one plugin's scripts after another's. missionbase
passes the open connection in ``config.attributes["connection"]``.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
