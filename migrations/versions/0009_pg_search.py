"""PostgreSQL full-text search of bites (SEARCH_BACKEND=postgres)

Revision ID: 0009_pg_search
Revises: 0008_webhooks
Create Date: 2026-11-22 16:40:00.000000

The tables exist on PostgreSQL only: on SQLite the Whoosh backend is the only choice, so there
is nothing to create. They are defined outside the ORM metadata (see
enable/search/postgres_backend.py), and the model/migration comparison leaves them out, since
models must match the migrations on SQLite too. The pg_trgm extension (spelling suggestions)
is installed if the database user may; without it the index works, without suggestions.
"""
import logging

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0009_pg_search'
down_revision = '0008_webhooks'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def _is_postgres():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if not _is_postgres():
        return
    op.create_table(
        'search_fts_bite',
        sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('call_id', sa.BigInteger(), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('call_title', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('tsv', postgresql.TSVECTOR(), nullable=False),
        sa.Column('facets', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('facet_labels', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('call_date', sa.Date(), nullable=True),
        sa.Column('is_best', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_fts_bite')),
    )
    op.create_index('ix_search_fts_bite_call_id', 'search_fts_bite', ['call_id'])
    op.create_index('ix_search_fts_bite_call_date', 'search_fts_bite', ['call_date'])
    op.create_index('ix_search_fts_bite_tsv', 'search_fts_bite', ['tsv'], postgresql_using='gin')
    op.create_index('ix_search_fts_bite_facets', 'search_fts_bite', ['facets'], postgresql_using='gin')
    op.create_table(
        'search_fts_word',
        sa.Column('term', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('term', name=op.f('pk_search_fts_word')),
    )
    op.create_table(
        'search_fts_facet',
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('label', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_search_fts_facet')),
    )
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm is not available (%s): PostgreSQL search will give no spelling suggestions", exc.orig)
        return
    op.execute("CREATE INDEX ix_search_fts_word_trgm ON search_fts_word USING gin (term gin_trgm_ops)")


def downgrade():
    if not _is_postgres():
        return
    op.drop_table('search_fts_facet')
    op.drop_table('search_fts_word')  # drops its trigram index too
    op.drop_index('ix_search_fts_bite_facets', table_name='search_fts_bite')
    op.drop_index('ix_search_fts_bite_tsv', table_name='search_fts_bite')
    op.drop_index('ix_search_fts_bite_call_date', table_name='search_fts_bite')
    op.drop_index('ix_search_fts_bite_call_id', table_name='search_fts_bite')
    op.drop_table('search_fts_bite')
