"""Indexes for the complaint list and a customer's complaints (issue 14's benchmark with 100 k tickets).

The complaint list shows the newest 500 tickets whatever the filter: without an index on its order it
sorted every ticket (a parallel seq scan and a top-N sort of 100 k rows, 35-55 ms); a customer's
history found their complaints by a scan of every ticket's phone.

Revision ID: 0039
Revises: 0036
Create Date: 2026-12-04 15:20:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0039'
down_revision: str | Sequence[str] | None = '0036'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_phone_created_at', ['phone', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_phone_created_at')
        batch_op.drop_index('ix_tickets_created_at_id')
