"""voice profiles

Revision ID: 0018_voice_profiles
Revises: 0015_call_transcription_quality
Create Date: 2026-12-07 20:00:00.000000

voice_profile: one per user, how they sound (mean speaker embedding, seconds and calls it is built from), deleted
with the user. call_voice: the voices of a one-channel call's speakers while it is not known which is the rep.
"""
from alembic import op
import sqlalchemy as sa

import enable.db


# revision identifiers, used by Alembic.
revision = '0018_voice_profiles'
down_revision = '0015_call_transcription_quality'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('voice_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('seconds', sa.Double(), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('call_ids', sa.JSON(), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('updated_at', enable.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_voice_profile_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_profile')),
    sa.UniqueConstraint('user_id', name=op.f('uq_voice_profile_user_id'))
    )
    op.create_table('call_voice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('speaker', sa.String(length=40), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('seconds', sa.Double(), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_call_voice_call_id_call'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_voice')),
    sa.UniqueConstraint('call_id', 'speaker', name=op.f('uq_call_voice_call_id'))
    )
    with op.batch_alter_table('call_voice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_voice_call_id'), ['call_id'], unique=False)


def downgrade():
    with op.batch_alter_table('call_voice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_voice_call_id'))
    op.drop_table('call_voice')
    op.drop_table('voice_profile')
