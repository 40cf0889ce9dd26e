"""call sources

Revision ID: 0025_call_sources
Revises: 0024_email
Create Date: 2026-12-07 23:40:00.000000

source_file: each recording that arrived by itself (a drop folder, Zoom, the "recording ready" webhook) and its fate.
call_participant: the people a source named on a call. deal_contact: contacts' emails from the CRM import.
deal_match: why a call was (or was not) linked to a deal.
"""
from alembic import op
import sqlalchemy as sa

import enable.db


# revision identifiers, used by Alembic.
revision = '0025_call_sources'
down_revision = '0024_email'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('source_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('folder', sa.String(length=500), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('status', sa.Enum('waiting', 'downloading', 'imported', 'unassigned', 'duplicate', 'failed', 'gone',
                                name='source_status', native_enum=False, create_constraint=True, length=20),
              nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('stable_since', enable.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('created_at', enable.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', enable.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_source_file_call_id_call'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_file')),
    sa.UniqueConstraint('external_id', name=op.f('uq_source_file_external_id'))
    )
    with op.batch_alter_table('source_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_file_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_file_status'), ['status'], unique=False)
    op.create_table('call_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_call_participant_call_id_call'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_participant'))
    )
    with op.batch_alter_table('call_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_participant_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_participant_email'), ['email'], unique=False)
    op.create_table('deal_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_contact_deal_id_deal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_contact')),
    sa.UniqueConstraint('deal_id', 'email', name=op.f('uq_deal_contact_deal_id'))
    )
    with op.batch_alter_table('deal_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_contact_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_contact_email'), ['email'], unique=False)
    op.create_table('deal_match',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('matched_at', enable.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_deal_match_call_id_call'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_match_deal_id_deal'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('call_id', name=op.f('pk_deal_match'))
    )


def downgrade():
    op.drop_table('deal_match')
    with op.batch_alter_table('deal_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_contact_email'))
        batch_op.drop_index(batch_op.f('ix_deal_contact_deal_id'))
    op.drop_table('deal_contact')
    with op.batch_alter_table('call_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_participant_email'))
        batch_op.drop_index(batch_op.f('ix_call_participant_call_id'))
    op.drop_table('call_participant')
    with op.batch_alter_table('source_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_file_status'))
        batch_op.drop_index(batch_op.f('ix_source_file_call_id'))
    op.drop_table('source_file')
