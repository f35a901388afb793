"""Slack surfaces: user visits (catch-up), digest schedules and posted digests.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "user_visits",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("last_seen_ts", sa.String(32), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "digest_schedules",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("cadence", sa.String(8), nullable=False),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("at_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "digest_posts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("period_key", sa.String(40), nullable=False),
        sa.Column("since_ts", sa.String(32), nullable=False),
        sa.Column("until_ts", sa.String(32), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("team_id", "channel_id", "period_key", name="uq_digest_period"),
    )


def downgrade() -> None:
    op.drop_table("digest_posts")
    op.drop_table("digest_schedules")
    op.drop_table("user_visits")
