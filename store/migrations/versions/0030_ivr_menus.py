"""IVR menus designed in the admin (issue 12 item 2): prompt, keys, timeout and retries, channel limit
and the count of callers turned away busy; an inbound route may target one.

Revision ID: 0030
Revises: 0027
Create Date: 2026-12-04 11:55:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0030"
down_revision: str | Sequence[str] | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ivr_menus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("prompt", sa.LargeBinary(), nullable=True),
        sa.Column("prompt_name", sa.String(length=128), server_default="", nullable=False),
        sa.Column("options", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("timeout_s", sa.Integer(), server_default="5", nullable=False),
        sa.Column("retries", sa.Integer(), server_default="2", nullable=False),
        sa.Column("on_no_choice", sa.String(length=1), server_default="", nullable=False),
        sa.Column("channel_limit", sa.Integer(), server_default="8", nullable=False),
        sa.Column("busy_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_menus")),
        sa.UniqueConstraint("name", name=op.f("uq_ivr_menus_name")),
    )
    with op.batch_alter_table("inbound_routes") as batch_op:
        batch_op.add_column(sa.Column("ivr_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_inbound_routes_ivr_id"), ["ivr_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_inbound_routes_ivr_id_ivr_menus"), "ivr_menus", ["ivr_id"],
                                    ["id"], ondelete="RESTRICT")


def downgrade() -> None:
    with op.batch_alter_table("inbound_routes") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_inbound_routes_ivr_id_ivr_menus"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_inbound_routes_ivr_id"))
        batch_op.drop_column("ivr_id")
    op.drop_table("ivr_menus")
