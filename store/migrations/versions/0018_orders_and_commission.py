"""Sales as order lines (products, orders, refunds) and commission rules, issue 15; the sale
amount on attempts becomes one order line each (product unknown, paid) and the column goes:
a sale has one definition, the orders.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 22:26:37.734938

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0018'
down_revision: str | Sequence[str] | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('price', sa.Numeric(precision=13, scale=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('name', name=op.f('uq_products_name'))
    )
    op.create_table('commission_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('agent_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('leader_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('director_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('others_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_commission_rules_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_commission_rules_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_rules'))
    )
    op.create_table('orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempt_id', sa.Uuid(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=13, scale=2), nullable=False),
    sa.Column('payment', sa.String(length=16), nullable=False),
    sa.Column('sold_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_orders_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_orders_attempt_id_attempts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_orders_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_orders_product_id_products'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_orders_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index('ix_orders_sold_at', ['sold_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_team_id'), ['team_id'], unique=False)

    op.create_table('order_refunds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.Numeric(precision=13, scale=2), nullable=False),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancels', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_order_refunds_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_refunds_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_refunds'))
    )
    with op.batch_alter_table('order_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_refunds_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_refunds_refunded_at'), ['refunded_at'], unique=False)

    # Every sale recorded so far: one order line (no product: it predates the catalogue), sold when the
    # call ended, by the agent and the team of the agent now (the attempt never kept a team).
    op.execute(
        "INSERT INTO orders (attempt_id, agent_id, team_id, campaign_id, product_id, quantity, amount,"
        " payment, sold_at, created_at)"
        " SELECT a.id, a.agent_id, g.team_id, a.campaign_id, NULL, 1, a.sale_amount, 'paid',"
        " COALESCE(a.ended_at, a.created_at), a.created_at"
        " FROM attempts a LEFT JOIN agents g ON g.id = a.agent_id WHERE a.sale_amount IS NOT NULL"
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('sale_amount')



def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sale_amount', sa.NUMERIC(precision=13, scale=2), nullable=True))
    # What is left of each call's orders (refunds and cancellations have no place in the old column).
    op.execute(
        "UPDATE attempts SET sale_amount = (SELECT SUM(o.amount) - COALESCE((SELECT SUM(r.amount)"
        " FROM order_refunds r JOIN orders o2 ON o2.id = r.order_id WHERE o2.attempt_id = attempts.id), 0)"
        " FROM orders o WHERE o.attempt_id = attempts.id)"
        " WHERE id IN (SELECT attempt_id FROM orders WHERE attempt_id IS NOT NULL)"
    )

    with op.batch_alter_table('order_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_refunds_refunded_at'))
        batch_op.drop_index(batch_op.f('ix_order_refunds_order_id'))

    op.drop_table('order_refunds')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_team_id'))
        batch_op.drop_index('ix_orders_sold_at')
        batch_op.drop_index(batch_op.f('ix_orders_attempt_id'))
        batch_op.drop_index(batch_op.f('ix_orders_agent_id'))

    op.drop_table('orders')
    op.drop_table('commission_rules')
    op.drop_table('products')
