"""login sessions and per-address sign-in failures

Revision ID: 0011_login_sessions
Revises: 0010_playbook_language
Create Date: 2026-12-07 19:30:00.000000

user_session: one row per signed-in browser, named by its cookies (so logging out, logging out everywhere or a new
password ends copies of them too). login_address_window: failed sign-ins per client address, counted atomically.
Existing sessions and remember-me cookies name no row, so everyone signs in again once.
"""
import sqlalchemy as sa
from alembic import op

from enable.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0011_login_sessions'
down_revision = '0010_playbook_language'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_user_session_key_hash')),
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_session_expires_at'), ['expires_at'], unique=False)
    op.create_table(
        'login_address_window',
        sa.Column('address', sa.String(length=45), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_started_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('address', name=op.f('pk_login_address_window')),
    )
    with op.batch_alter_table('login_address_window', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_address_window_window_started_at'), ['window_started_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('login_address_window', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_address_window_window_started_at'))
    op.drop_table('login_address_window')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_expires_at'))
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
    op.drop_table('user_session')
