"""Post-call SMS (a disposition's template, one post-call broadcast per campaign, the message's call)
and the sender's indexes: next due messages in id order, the few left "sending" (issue #16)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 22:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POST_CALL = sa.text("kind = 'post_call'")
SENDING = sa.text("status = 'sending'")


def upgrade() -> None:
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_template', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('sms_broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='broadcast'))
        batch_op.create_index('ux_sms_broadcasts_post_call', ['campaign_id'], unique=True,
                              postgresql_where=POST_CALL, sqlite_where=POST_CALL)
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt_id', sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_sms_messages_attempt_id'), ['attempt_id'])
        batch_op.create_foreign_key(batch_op.f('fk_sms_messages_attempt_id_attempts'), 'attempts',
                                    ['attempt_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_index('ix_sms_messages_broadcast_id_status')
        batch_op.create_index('ix_sms_messages_broadcast_id_status_id', ['broadcast_id', 'status', 'id'],
                              unique=False)
        batch_op.create_index('ix_sms_messages_sending', ['status'], unique=False,
                              postgresql_where=SENDING, sqlite_where=SENDING)


def downgrade() -> None:
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_messages_sending')
        batch_op.drop_index('ix_sms_messages_broadcast_id_status_id')
        batch_op.create_index('ix_sms_messages_broadcast_id_status', ['broadcast_id', 'status'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_sms_messages_attempt_id_attempts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_sms_messages_attempt_id'), type_='unique')
        batch_op.drop_column('attempt_id')
    with op.batch_alter_table('sms_broadcasts', schema=None) as batch_op:
        batch_op.drop_index('ux_sms_broadcasts_post_call')
        batch_op.drop_column('kind')
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.drop_column('sms_template')
