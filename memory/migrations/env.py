"""Alembic environment: Kiok passes its engine in `config.attributes["engine"]`."""

from alembic import context

from memory import journal, summary_models, surface_models  # noqa: F401  (registers their tables)
from memory.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        # APScheduler's job store table is APScheduler's own, not part of Kiok's schema.
        include_name=lambda name, type_, _parents: not (type_ == "table" and name == "kiok_scheduler_jobs"),
    )
    context.run_migrations()
