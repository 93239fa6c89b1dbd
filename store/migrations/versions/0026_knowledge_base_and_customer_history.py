"""Knowledge base (issue 14): articles, their versions, agents' feedback, and the search index that
finds Chinese and English text by parts of words: SQLite FTS5 with the trigram tokenizer (an
external-content table kept in step by triggers), PostgreSQL a GIN pg_trgm index on the searched
text, lowered. Also: calls indexed by caller and callee (a customer's history), and when a ticket entered its
state (the step's SLA runs from there).

Revision ID: 0026
Revises: 0029
Create Date: 2026-12-04 08:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0026'
down_revision: str | Sequence[str] | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The searched text; ``store.knowledge.SEARCHED`` is the same expression, and its search compares
#: ``lower()`` of it (PostgreSQL uses the index only for a query on the indexed expression).
SEARCHED = "(title || ' ' || body || ' ' || tags)"

SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE kb_articles_fts USING fts5(title, body, tags, content='kb_articles', "
    "content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER kb_articles_fts_ai AFTER INSERT ON kb_articles BEGIN "
    "INSERT INTO kb_articles_fts(rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags); END",
    "CREATE TRIGGER kb_articles_fts_ad AFTER DELETE ON kb_articles BEGIN "
    "INSERT INTO kb_articles_fts(kb_articles_fts, rowid, title, body, tags) "
    "VALUES ('delete', old.id, old.title, old.body, old.tags); END",
    "CREATE TRIGGER kb_articles_fts_au AFTER UPDATE ON kb_articles BEGIN "
    "INSERT INTO kb_articles_fts(kb_articles_fts, rowid, title, body, tags) "
    "VALUES ('delete', old.id, old.title, old.body, old.tags); "
    "INSERT INTO kb_articles_fts(rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags); END",
]


def upgrade() -> None:
    op.create_table('kb_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('tags', sa.String(length=255), nullable=False),
    sa.Column('product', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_kb_articles_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_articles'))
    )
    op.create_table('kb_article_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('tags', sa.String(length=255), nullable=False),
    sa.Column('product', sa.String(length=64), nullable=False),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_article_versions_article_id_kb_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'], name=op.f('fk_kb_article_versions_edited_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_article_versions')),
    sa.UniqueConstraint('article_id', 'number', name=op.f('uq_kb_article_versions_article_id_number'))
    )
    op.create_table('kb_feedback',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('call_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_feedback_article_id_kb_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_kb_feedback_call_id_calls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kb_feedback_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_feedback'))
    )
    with op.batch_alter_table('kb_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_feedback_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kb_feedback_at'), ['at'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_INDEX:
            op.execute(statement)
    else:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute(f'CREATE INDEX ix_kb_articles_trgm ON kb_articles USING gin (lower{SEARCHED} gin_trgm_ops)')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_callee'), ['callee'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_caller'), ['caller'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_since', sa.DateTime(timezone=True), nullable=True))
    op.execute('UPDATE tickets SET state_since = (SELECT max(e.at) FROM ticket_events e '
               'WHERE e.ticket_id = tickets.id)')


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('state_since')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_caller'))
        batch_op.drop_index(batch_op.f('ix_calls_callee'))

    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TABLE kb_articles_fts')  # its triggers go with kb_articles
    else:
        op.execute('DROP INDEX ix_kb_articles_trgm')  # pg_trgm stays: other things may use it
    with op.batch_alter_table('kb_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_feedback_at'))
        batch_op.drop_index(batch_op.f('ix_kb_feedback_article_id'))

    op.drop_table('kb_feedback')
    op.drop_table('kb_article_versions')
    op.drop_table('kb_articles')
