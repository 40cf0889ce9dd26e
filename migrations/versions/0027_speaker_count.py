"""speakers on the call

Revision ID: 0027_speaker_count
Revises: 0021_comments
Create Date: 2026-12-07 23:45:00.000000

A call may say how many people talk on it (1-6: the upload form, the API, a meeting's metadata); diarization then
finds that many speakers. NULL, as every existing call gets, means the number is found from the voices.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027_speaker_count'
down_revision = '0021_comments'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expected_speakers', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_column('expected_speakers')
