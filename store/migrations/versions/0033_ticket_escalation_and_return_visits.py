"""Complaint tickets: escalation of overdue steps (to the team leader, then the directors) and the return
visit placed through the dialer (its callback lead; the event of the call that made it).

Tickets are read by assignee now (an agent's complaints): ``assignee_id`` gets an index. Existing
events are steps (``kind`` 'step'); existing tickets are not escalated: the scheduler's job
escalates those overdue on its first run.

Revision ID: 0033
Revises: 0027
Create Date: 2026-12-04 12:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0033"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("escalation", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("escalated_to_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("visit_lead_id", BIG_ID, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_tickets_escalated_to_id_users"), "users",
                                    ["escalated_to_id"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key(batch_op.f("fk_tickets_visit_lead_id_leads"), "leads",
                                    ["visit_lead_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index(batch_op.f("ix_tickets_escalated_to_id"), ["escalated_to_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_visit_lead_id"), ["visit_lead_id"], unique=False)
        batch_op.create_index("ix_tickets_escalation", ["escalation"], unique=False,
                              postgresql_where=sa.text("escalation IS NOT NULL"),
                              sqlite_where=sa.text("escalation IS NOT NULL"))
    with op.batch_alter_table("ticket_events") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="step", nullable=False))
        batch_op.add_column(sa.Column("call_id", BIG_ID, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_ticket_events_call_id_calls"), "calls",
                                    ["call_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("ticket_events") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_ticket_events_call_id_calls"), type_="foreignkey")
        batch_op.drop_column("call_id")
        batch_op.drop_column("kind")
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_index("ix_tickets_escalation")
        batch_op.drop_index(batch_op.f("ix_tickets_visit_lead_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_assignee_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_escalated_to_id"))
        batch_op.drop_constraint(batch_op.f("fk_tickets_visit_lead_id_leads"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_tickets_escalated_to_id_users"), type_="foreignkey")
        batch_op.drop_column("visit_lead_id")
        batch_op.drop_column("escalated_to_id")
        batch_op.drop_column("escalation")
