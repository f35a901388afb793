"""Alembic environment: Kiok passes its engine in `config.attributes["engine"]`."""

from alembic import context

from memory import summary_models, surface_models  # noqa: F401  (registers their tables)
from memory.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    context.run_migrations()
