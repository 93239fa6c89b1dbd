"""Inbound routes tell waiting callers their place in the queue every N seconds (issue 12; 0: never), and
name the campaign whose dispositions, script and callbacks their answered calls take (none: no disposition).

Existing routes get 0 and no campaign: what their callers heard and their agents could do so far.

Revision ID: 0031
Revises: 0027
Create Date: 2026-12-04 12:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0031"
down_revision: str | Sequence[str] | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_routes") as batch_op:
        batch_op.add_column(sa.Column("announce_every_s", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_inbound_routes_campaign_id_campaigns"), "campaigns", ["campaign_id"],
                                    ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("inbound_routes") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_inbound_routes_campaign_id_campaigns"), type_="foreignkey")
        batch_op.drop_column("campaign_id")
        batch_op.drop_column("announce_every_s")
