"""Inbound routes tell waiting callers their place in the queue every N seconds (issue 12; 0: never).

Existing routes get 0: what their callers heard so far (no announcement).

Revision ID: 0031
Revises: 0027
Create Date: 2026-12-04 12:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0031"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_routes") as batch_op:
        batch_op.add_column(sa.Column("announce_every_s", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("inbound_routes") as batch_op:
        batch_op.drop_column("announce_every_s")
