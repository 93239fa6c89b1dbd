"""IVR use per option: one row per step of a caller's visit to a menu; a route's switch for the
estimated wait in its position announcement (issue 12, items 3 and 6).

Revision ID: 0037
Revises: 0041
Create Date: 2026-12-04 15:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0037'
down_revision: str | Sequence[str] | None = '0041'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'ivr_events',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('menu_id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.String(length=64), server_default='', nullable=False),
        sa.Column('step', sa.String(length=8), nullable=False),
        sa.Column('key', sa.String(length=1), server_default='', nullable=False),
        sa.Column('go', sa.String(length=8), server_default='', nullable=False),
        sa.Column('target', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['menu_id'], ['ivr_menus.id'], name=op.f('fk_ivr_events_menu_id_ivr_menus'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_events')),
    )
    op.create_index('ix_ivr_events_menu_id_at', 'ivr_events', ['menu_id', 'at'], unique=False)
    with op.batch_alter_table('inbound_routes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announce_wait', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('inbound_routes', schema=None) as batch_op:
        batch_op.drop_column('announce_wait')
    op.drop_index('ix_ivr_events_menu_id_at', table_name='ivr_events')
    op.drop_table('ivr_events')
