"""Bought lead data (issue 15 items 1-4, 7): vendors, purchases with their sample test, hand-outs,
destruction certificates; lists know their batch and holder, leads a keyed hash of a wiped number,
recordings when a destroyed batch's file may go.

Revision ID: 0023
Revises: 0019
Create Date: 2026-12-04 04:00:30.724382

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0023'
down_revision: str | Sequence[str] | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('vendors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('contact', sa.String(length=255), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendors')),
    sa.UniqueConstraint('name', name=op.f('uq_vendors_name'))
    )
    op.create_table('purchases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('batch', sa.String(length=128), nullable=False),
    sa.Column('purchased_on', sa.Date(), nullable=False),
    sa.Column('price', sa.Numeric(precision=13, scale=2), nullable=False),
    sa.Column('record_count', sa.Integer(), nullable=False),
    sa.Column('consent_basis', sa.String(length=255), nullable=False),
    sa.Column('licence_expires', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=16), server_default='received', nullable=False),
    sa.Column('sample_margin', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('sample_confidence', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('min_valid', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('min_connect', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('min_right_party', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('max_dnc', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('right_party_codes', sa.String(length=255), nullable=False),
    sa.Column('sample_result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_purchases_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], name=op.f('fk_purchases_vendor_id_vendors'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchases'))
    )
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchases_licence_expires'), ['licence_expires'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchases_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('destruction_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purchase_id', sa.Integer(), nullable=True),
    sa.Column('facts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('previous', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'], name=op.f('fk_destruction_certificates_purchase_id_purchases'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destruction_certificates')),
    sa.UniqueConstraint('digest', name=op.f('uq_destruction_certificates_digest'))
    )
    with op.batch_alter_table('destruction_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destruction_certificates_purchase_id'), ['purchase_id'], unique=False)

    op.create_table('handouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purchase_id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_handouts_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_handouts_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_handouts_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['list_id'], ['lead_lists.id'], name=op.f('fk_handouts_list_id_lead_lists'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'], name=op.f('fk_handouts_purchase_id_purchases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_handouts_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handouts'))
    )
    with op.batch_alter_table('handouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handouts_purchase_id'), ['purchase_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handouts_team_id'), ['team_id'], unique=False)

    with op.batch_alter_table('lead_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purchase_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('agent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('is_sample', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_lead_lists_purchase_id'), ['purchase_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_lists_team_id'), ['team_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_lead_lists_agent_id_agents'), 'agents', ['agent_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_lead_lists_purchase_id_purchases'), 'purchases', ['purchase_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_lead_lists_team_id_teams'), 'teams', ['team_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_leads_phone_hash'), ['phone_hash'], unique=False)

    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purge_after', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_recordings_purge_after'), ['purge_after'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_purge_after'))
        batch_op.drop_column('purge_after')

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_phone_hash'))
        batch_op.drop_column('phone_hash')

    with op.batch_alter_table('lead_lists', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lead_lists_team_id_teams'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_lead_lists_purchase_id_purchases'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_lead_lists_agent_id_agents'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_lead_lists_team_id'))
        batch_op.drop_index(batch_op.f('ix_lead_lists_purchase_id'))
        batch_op.drop_column('destroyed_at')
        batch_op.drop_column('is_sample')
        batch_op.drop_column('agent_id')
        batch_op.drop_column('team_id')
        batch_op.drop_column('purchase_id')

    with op.batch_alter_table('handouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handouts_team_id'))
        batch_op.drop_index(batch_op.f('ix_handouts_purchase_id'))

    op.drop_table('handouts')
    with op.batch_alter_table('destruction_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destruction_certificates_purchase_id'))

    op.drop_table('destruction_certificates')
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchases_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_purchases_licence_expires'))

    op.drop_table('purchases')
    op.drop_table('vendors')
