"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 23:46:25.388969

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('desired_state', sa.String(length=16), server_default='stopped', nullable=False),
    sa.Column('state_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('compliance_profile', sa.String(length=16), nullable=False),
    sa.Column('abandon_cap', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('abandon_window_s', sa.Integer(), nullable=False),
    sa.Column('calling_hours', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('schedule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('abandon_no_recall_s', sa.Integer(), nullable=False),
    sa.Column('trunk', sa.String(length=64), nullable=False),
    sa.Column('caller_id', sa.String(length=32), nullable=False),
    sa.Column('ring_timeout_s', sa.Integer(), nullable=False),
    sa.Column('wrap_up_s', sa.Integer(), nullable=False),
    sa.Column('max_lines', sa.Integer(), nullable=False),
    sa.Column('record_calls', sa.Boolean(), nullable=False),
    sa.Column('amd_enabled', sa.Boolean(), nullable=False),
    sa.Column('amd_action', sa.String(length=16), nullable=False),
    sa.Column('amd_false_positive_rate', sa.Numeric(precision=4, scale=3), nullable=False),
    sa.Column('machine_message_file', sa.String(length=255), nullable=True),
    sa.Column('abandon_message_text', sa.Text(), nullable=False),
    sa.Column('abandon_message_file', sa.String(length=255), nullable=True),
    sa.Column('script', sa.Text(), nullable=False),
    sa.Column('inbound_number', sa.String(length=32), nullable=True),
    sa.Column('ivr', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('name', name=op.f('uq_campaigns_name'))
    )
    op.create_index(op.f('ix_campaigns_inbound_number'), 'campaigns', ['inbound_number'], unique=False)
    op.create_table('pbx_nodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('secret', sa.String(length=255), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pbx_nodes')),
    sa.UniqueConstraint('name', name=op.f('uq_pbx_nodes_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('display_name', sa.String(length=128), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_index('ix_audit_log_target_type_target_id', 'audit_log', ['target_type', 'target_id'], unique=False)
    op.create_index(op.f('ix_audit_log_user_id'), 'audit_log', ['user_id'], unique=False)
    op.create_table('dispositions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=128), nullable=False),
    sa.Column('is_sale', sa.Boolean(), nullable=False),
    sa.Column('asks_amount', sa.Boolean(), nullable=False),
    sa.Column('schedules_callback', sa.Boolean(), nullable=False),
    sa.Column('is_final', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_dispositions_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispositions')),
    sa.UniqueConstraint('campaign_id', 'code', name=op.f('uq_dispositions_campaign_id_code'))
    )
    op.create_table('dnc_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_dnc_entries_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_dnc_entries_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dnc_entries')),
    sa.UniqueConstraint('phone', 'campaign_id', name=op.f('uq_dnc_entries_phone_campaign_id'))
    )
    op.create_index(op.f('ix_dnc_entries_campaign_id'), 'dnc_entries', ['campaign_id'], unique=False)
    op.create_index('uq_dnc_entries_global_phone', 'dnc_entries', ['phone'], unique=True, postgresql_where=sa.text('campaign_id IS NULL'), sqlite_where=sa.text('campaign_id IS NULL'))
    op.create_table('retry_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('delay_s', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_retry_rules_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retry_rules')),
    sa.UniqueConstraint('campaign_id', 'outcome', name=op.f('uq_retry_rules_campaign_id_outcome'))
    )
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_teams_leader_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    op.create_table('campaign_teams',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_teams_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_campaign_teams_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'team_id', name=op.f('pk_campaign_teams'))
    )
    op.create_table('lead_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_lead_lists_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_lead_lists_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_lists'))
    )
    op.create_index(op.f('ix_lead_lists_campaign_id'), 'lead_lists', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_lead_lists_team_id'), 'lead_lists', ['team_id'], unique=False)
    op.create_table('seats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('extension', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('secret', sa.String(length=255), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_seats_node_id_pbx_nodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_seats_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seats')),
    sa.UniqueConstraint('node_id', 'extension', name=op.f('uq_seats_node_id_extension'))
    )
    op.create_index(op.f('ix_seats_node_id'), 'seats', ['node_id'], unique=False)
    op.create_index(op.f('ix_seats_team_id'), 'seats', ['team_id'], unique=False)
    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('seat_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('state_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], name=op.f('fk_agents_seat_id_seats'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_agents_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('user_id', name=op.f('uq_agents_user_id'))
    )
    op.create_index(op.f('ix_agents_seat_id'), 'agents', ['seat_id'], unique=False)
    op.create_index(op.f('ix_agents_team_id'), 'agents', ['team_id'], unique=False)
    op.create_table('agent_state_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_agent_state_log_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_agent_state_log_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_state_log'))
    )
    op.create_index('ix_agent_state_log_agent_id_started_at', 'agent_state_log', ['agent_id', 'started_at'], unique=False)
    op.create_index('ix_agent_state_log_open', 'agent_state_log', ['agent_id'], unique=False, postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))
    op.create_index(op.f('ix_agent_state_log_started_at'), 'agent_state_log', ['started_at'], unique=False)
    op.create_table('leads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('external_ref', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='new', nullable=False),
    sa.Column('priority', sa.Integer(), server_default='5', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_call_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_abandon_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('no_recall_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_outcome', sa.String(length=16), nullable=True),
    sa.Column('callback_agent_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('disposition_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['callback_agent_id'], ['agents.id'], name=op.f('fk_leads_callback_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_leads_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['disposition_id'], ['dispositions.id'], name=op.f('fk_leads_disposition_id_dispositions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['list_id'], ['lead_lists.id'], name=op.f('fk_leads_list_id_lead_lists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('list_id', 'phone', name=op.f('uq_leads_list_id_phone'))
    )
    op.create_index('ix_leads_agent_callbacks', 'leads', ['callback_agent_id', 'next_call_at'], unique=False, postgresql_where=sa.text("status = 'callback' AND callback_agent_id IS NOT NULL"), sqlite_where=sa.text("status = 'callback' AND callback_agent_id IS NOT NULL"))
    op.create_index('ix_leads_campaign_id_status', 'leads', ['campaign_id', 'status'], unique=False)
    op.create_index('ix_leads_claim', 'leads', ['campaign_id', 'priority', 'next_call_at', 'id'], unique=False, postgresql_where=sa.text("status IN ('new', 'pending', 'callback') AND callback_agent_id IS NULL"), sqlite_where=sa.text("status IN ('new', 'pending', 'callback') AND callback_agent_id IS NULL"))
    op.create_index('ix_leads_dialing', 'leads', ['claimed_at'], unique=False, postgresql_where=sa.text("status = 'dialing'"), sqlite_where=sa.text("status = 'dialing'"))
    op.create_index(op.f('ix_leads_phone'), 'leads', ['phone'], unique=False)
    op.create_table('attempts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('channel_id', sa.String(length=64), nullable=True),
    sa.Column('originated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('amd_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bridged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('hangup_cause', sa.SmallInteger(), nullable=True),
    sa.Column('amd_verdict', sa.String(length=16), nullable=True),
    sa.Column('amd_cause', sa.String(length=64), nullable=True),
    sa.Column('abandoned', sa.Boolean(), nullable=False),
    sa.Column('disposition_id', sa.Integer(), nullable=True),
    sa.Column('sale_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_attempts_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_attempts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['disposition_id'], ['dispositions.id'], name=op.f('fk_attempts_disposition_id_dispositions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_attempts_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_attempts_node_id_pbx_nodes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts'))
    )
    op.create_index(op.f('ix_attempts_agent_id'), 'attempts', ['agent_id'], unique=False)
    op.create_index('ix_attempts_campaign_id_created_at', 'attempts', ['campaign_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_attempts_channel_id'), 'attempts', ['channel_id'], unique=False)
    op.create_index(op.f('ix_attempts_lead_id'), 'attempts', ['lead_id'], unique=False)
    op.create_index(op.f('ix_attempts_node_id'), 'attempts', ['node_id'], unique=False)
    op.create_index('ix_attempts_open', 'attempts', ['node_id'], unique=False, postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))
    op.create_table('commands',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('taken_by', sa.String(length=64), nullable=True),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_commands_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_commands_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_commands_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_commands_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_commands_node_id_pbx_nodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commands'))
    )
    op.create_index('ix_commands_pending', 'commands', ['node_id', 'id'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.create_table('calls',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempt_id', sa.Uuid(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('caller', sa.String(length=64), nullable=False),
    sa.Column('callee', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hangup_cause', sa.SmallInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_calls_attempt_id_attempts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_calls_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_calls_node_id_pbx_nodes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls'))
    )
    op.create_index(op.f('ix_calls_attempt_id'), 'calls', ['attempt_id'], unique=False)
    op.create_index(op.f('ix_calls_campaign_id'), 'calls', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_calls_started_at'), 'calls', ['started_at'], unique=False)
    op.create_table('call_legs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('call_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('channel_id', sa.String(length=64), nullable=False),
    sa.Column('channel_name', sa.String(length=128), nullable=False),
    sa.Column('endpoint', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bridged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hangup_cause', sa.SmallInteger(), nullable=True),
    sa.Column('dial_status', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_legs_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_legs'))
    )
    op.create_index(op.f('ix_call_legs_call_id'), 'call_legs', ['call_id'], unique=False)
    op.create_index(op.f('ix_call_legs_channel_id'), 'call_legs', ['channel_id'], unique=False)
    op.create_table('recordings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('call_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('attempt_id', sa.Uuid(), nullable=True),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_s', sa.Numeric(precision=10, scale=3), nullable=True),
    sa.Column('size_bytes', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('qa_score', sa.Integer(), nullable=True),
    sa.Column('qa_form', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('qa_notes', sa.Text(), nullable=False),
    sa.Column('qa_reviewer_id', sa.Integer(), nullable=True),
    sa.Column('qa_reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_recordings_attempt_id_attempts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_recordings_call_id_calls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_recordings_node_id_pbx_nodes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['qa_reviewer_id'], ['users.id'], name=op.f('fk_recordings_qa_reviewer_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings')),
    sa.UniqueConstraint('path', name=op.f('uq_recordings_path'))
    )
    op.create_index(op.f('ix_recordings_attempt_id'), 'recordings', ['attempt_id'], unique=False)
    op.create_index(op.f('ix_recordings_call_id'), 'recordings', ['call_id'], unique=False)
    op.create_index(op.f('ix_recordings_qa_reviewed_at'), 'recordings', ['qa_reviewed_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_recordings_qa_reviewed_at'), table_name='recordings')
    op.drop_index(op.f('ix_recordings_call_id'), table_name='recordings')
    op.drop_index(op.f('ix_recordings_attempt_id'), table_name='recordings')
    op.drop_table('recordings')
    op.drop_index(op.f('ix_call_legs_channel_id'), table_name='call_legs')
    op.drop_index(op.f('ix_call_legs_call_id'), table_name='call_legs')
    op.drop_table('call_legs')
    op.drop_index(op.f('ix_calls_started_at'), table_name='calls')
    op.drop_index(op.f('ix_calls_campaign_id'), table_name='calls')
    op.drop_index(op.f('ix_calls_attempt_id'), table_name='calls')
    op.drop_table('calls')
    op.drop_index('ix_commands_pending', table_name='commands', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.drop_table('commands')
    op.drop_index('ix_attempts_open', table_name='attempts', postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))
    op.drop_index(op.f('ix_attempts_node_id'), table_name='attempts')
    op.drop_index(op.f('ix_attempts_lead_id'), table_name='attempts')
    op.drop_index(op.f('ix_attempts_channel_id'), table_name='attempts')
    op.drop_index('ix_attempts_campaign_id_created_at', table_name='attempts')
    op.drop_index(op.f('ix_attempts_agent_id'), table_name='attempts')
    op.drop_table('attempts')
    op.drop_index(op.f('ix_leads_phone'), table_name='leads')
    op.drop_index('ix_leads_dialing', table_name='leads', postgresql_where=sa.text("status = 'dialing'"), sqlite_where=sa.text("status = 'dialing'"))
    op.drop_index('ix_leads_claim', table_name='leads', postgresql_where=sa.text("status IN ('new', 'pending', 'callback') AND callback_agent_id IS NULL"), sqlite_where=sa.text("status IN ('new', 'pending', 'callback') AND callback_agent_id IS NULL"))
    op.drop_index('ix_leads_campaign_id_status', table_name='leads')
    op.drop_index('ix_leads_agent_callbacks', table_name='leads', postgresql_where=sa.text("status = 'callback' AND callback_agent_id IS NOT NULL"), sqlite_where=sa.text("status = 'callback' AND callback_agent_id IS NOT NULL"))
    op.drop_table('leads')
    op.drop_index(op.f('ix_agent_state_log_started_at'), table_name='agent_state_log')
    op.drop_index('ix_agent_state_log_open', table_name='agent_state_log', postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))
    op.drop_index('ix_agent_state_log_agent_id_started_at', table_name='agent_state_log')
    op.drop_table('agent_state_log')
    op.drop_index(op.f('ix_agents_team_id'), table_name='agents')
    op.drop_index(op.f('ix_agents_seat_id'), table_name='agents')
    op.drop_table('agents')
    op.drop_index(op.f('ix_seats_team_id'), table_name='seats')
    op.drop_index(op.f('ix_seats_node_id'), table_name='seats')
    op.drop_table('seats')
    op.drop_index(op.f('ix_lead_lists_team_id'), table_name='lead_lists')
    op.drop_index(op.f('ix_lead_lists_campaign_id'), table_name='lead_lists')
    op.drop_table('lead_lists')
    op.drop_table('campaign_teams')
    op.drop_table('teams')
    op.drop_table('retry_rules')
    op.drop_index('uq_dnc_entries_global_phone', table_name='dnc_entries', postgresql_where=sa.text('campaign_id IS NULL'), sqlite_where=sa.text('campaign_id IS NULL'))
    op.drop_index(op.f('ix_dnc_entries_campaign_id'), table_name='dnc_entries')
    op.drop_table('dnc_entries')
    op.drop_table('dispositions')
    op.drop_index(op.f('ix_audit_log_user_id'), table_name='audit_log')
    op.drop_index('ix_audit_log_target_type_target_id', table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('users')
    op.drop_table('pbx_nodes')
    op.drop_index(op.f('ix_campaigns_inbound_number'), table_name='campaigns')
    op.drop_table('campaigns')
