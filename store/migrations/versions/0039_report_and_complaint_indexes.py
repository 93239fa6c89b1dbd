"""Indexes for the complaint list, a customer's complaints and the agent panel's call waiting for a
disposition (bench.web with 1 M attempts and 100 k tickets, issues 14 and 19).

The complaint list shows the newest 500 tickets whatever the filter: without an index on its order it
sorted every ticket (a parallel seq scan and a top-N sort of 100 k rows, 35-55 ms); a customer's
history found their complaints by a scan of every ticket's phone. The agent panel looks for the agent's last connected call still waiting for a
disposition on every live update; most agents have none, and the newest-first scan of
``ix_attempts_created_at`` then read every attempt (0.4-1.1 s with 1 M); the partial index holds only
the attempts waiting.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-04 15:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0039'
down_revision: str | Sequence[str] | None = '0038'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_phone_created_at', ['phone', 'created_at'], unique=False)
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_awaiting_disposition', ['agent_id', 'created_at'], unique=False,
                              postgresql_where=sa.text('bridged_at IS NOT NULL AND disposition_id IS NULL'),
                              sqlite_where=sa.text('bridged_at IS NOT NULL AND disposition_id IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_awaiting_disposition',
                            postgresql_where=sa.text('bridged_at IS NOT NULL AND disposition_id IS NULL'),
                            sqlite_where=sa.text('bridged_at IS NOT NULL AND disposition_id IS NULL'))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_phone_created_at')
        batch_op.drop_index('ix_tickets_created_at_id')
