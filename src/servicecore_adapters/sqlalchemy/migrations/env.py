"""Alembic environment for servicecore's schema (run through servicecore_adapters.sqlalchemy.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from servicecore_adapters.sqlalchemy.schema import VERSION_TABLE, metadata

config = context.config
connection = config.attributes.get("connection")

if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif connection is not None:
    context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()
else:  # plain `alembic -x ...` use with sqlalchemy.url set in the config
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as own:
        context.configure(connection=own, target_metadata=metadata, version_table=VERSION_TABLE)
        with context.begin_transaction():
            context.run_migrations()
