"""Delivery journal: the inbox of claimed events and the journal of questions owed an answer.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "event_inbox",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("replays", sa.Integer, nullable=False, server_default="0"),
        sa.Column("received_at", TS, nullable=False),
    )
    op.create_index("ix_event_inbox_state", "event_inbox", ["state", "received_at"])
    op.create_table(
        "mention_journal",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("ts", sa.String(32), primary_key=True),
        sa.Column("thread_ts", sa.String(32), nullable=False, server_default=""),
        sa.Column("user_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.String(16), nullable=False, server_default="event"),
        sa.Column("state", sa.String(16), nullable=False, server_default="answering"),
        sa.Column("reply_ts", sa.String(32), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_mention_journal_state", "mention_journal", ["state"])


def downgrade() -> None:
    op.drop_index("ix_mention_journal_state", table_name="mention_journal")
    op.drop_table("mention_journal")
    op.drop_index("ix_event_inbox_state", table_name="event_inbox")
    op.drop_table("event_inbox")
