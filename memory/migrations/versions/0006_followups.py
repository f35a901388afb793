"""Channel policy: answer follow-ups in threads Kiok already answered, without a new mention.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_policies") as batch:
        batch.add_column(sa.Column("followups", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("channel_policies") as batch:
        batch.drop_column("followups")
