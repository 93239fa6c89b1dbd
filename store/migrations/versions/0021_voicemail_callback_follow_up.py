"""Inbound callers past the longest wait: voicemail or a callback request per route, the two told
apart on the call ('sent_on' was always voicemail), and their follow-up (who, when) (issue 12).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 09:05:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0021'
down_revision: str | Sequence[str] | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_routes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_max_wait', sa.String(length=16), server_default='voicemail',
                                      nullable=False))
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followed_up_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('followed_up_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_calls_followed_up_by_users'), 'users', ['followed_up_by'],
                                    ['id'], ondelete='SET NULL')
    op.execute("UPDATE calls SET queue_outcome = 'voicemail' WHERE queue_outcome = 'sent_on'")


def downgrade() -> None:
    op.execute("UPDATE calls SET queue_outcome = 'sent_on' WHERE queue_outcome IN ('voicemail', 'callback')")
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_calls_followed_up_by_users'), type_='foreignkey')
        batch_op.drop_column('followed_up_by')
        batch_op.drop_column('followed_up_at')
    with op.batch_alter_table('inbound_routes', schema=None) as batch_op:
        batch_op.drop_column('on_max_wait')
