"""Memory service: index bookkeeping on messages, channel policies, opt-outs, sync cursors.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("index_hash", sa.String(64), nullable=True))
    op.create_index("ix_messages_pending_index", "messages", ["index_hash"])
    op.create_index("ix_messages_user", "messages", ["team_id", "user_id"])
    op.create_table(
        "channel_policies",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("shared", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("retention_days", sa.Integer, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "opt_outs",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "sync_cursors",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("job", sa.String(32), primary_key=True),
        sa.Column("cursor", sa.Text, nullable=False, server_default=""),
        sa.Column("oldest", sa.String(32), nullable=False, server_default=""),
        sa.Column("state", sa.Text, nullable=False, server_default=""),
        sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sync_cursors")
    op.drop_table("opt_outs")
    op.drop_table("channel_policies")
    op.drop_index("ix_messages_user", table_name="messages")
    op.drop_index("ix_messages_pending_index", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("index_hash")
