"""Agent-owned records (issue 15): a team chooses whether its agents' records are pooled for predictive
campaigns. Leads' indexes leave out what nobody queries through them: the keyed-hash index holds only
destroyed leads, the claim and campaign-status indexes only leads in a campaign (a bought batch
waits in none), so a hand-out of 100 k records writes three index entries less per record.

Revision ID: 0028
Revises: 0026
Create Date: 2026-12-04 08:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0028"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The dialable statuses as the claim index has always spelled them (written out: a migration does not
#: follow later changes of the code's enums).
DIALABLE = "status IN ('new', 'pending', 'callback')"


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pool_owned_for_predictive", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_phone_hash")
        batch_op.create_index(
            "ix_leads_phone_hash",
            ["phone_hash"],
            unique=False,
            postgresql_where=sa.text("phone_hash IS NOT NULL"),
            sqlite_where=sa.text("phone_hash IS NOT NULL"),
        )
        batch_op.drop_index("ix_leads_claim")
        batch_op.create_index(
            "ix_leads_claim",
            ["campaign_id", "priority", "next_call_at", "id"],
            unique=False,
            postgresql_where=sa.text(f"{DIALABLE} AND callback_agent_id IS NULL AND campaign_id IS NOT NULL"),
            sqlite_where=sa.text(f"{DIALABLE} AND callback_agent_id IS NULL AND campaign_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_leads_campaign_id_status")
        batch_op.create_index(
            "ix_leads_campaign_id_status",
            ["campaign_id", "status"],
            unique=False,
            postgresql_where=sa.text("campaign_id IS NOT NULL"),
            sqlite_where=sa.text("campaign_id IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_campaign_id_status")
        batch_op.create_index("ix_leads_campaign_id_status", ["campaign_id", "status"], unique=False)
        batch_op.drop_index("ix_leads_claim")
        batch_op.create_index(
            "ix_leads_claim",
            ["campaign_id", "priority", "next_call_at", "id"],
            unique=False,
            postgresql_where=sa.text(f"{DIALABLE} AND callback_agent_id IS NULL"),
            sqlite_where=sa.text(f"{DIALABLE} AND callback_agent_id IS NULL"),
        )
        batch_op.drop_index("ix_leads_phone_hash")
        batch_op.create_index("ix_leads_phone_hash", ["phone_hash"], unique=False)
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("pool_owned_for_predictive")
