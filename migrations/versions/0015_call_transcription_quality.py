"""call transcription quality

Revision ID: 0015_call_transcription_quality
Revises: 0016_smart_trackers
Create Date: 2026-12-07 20:00:00.000000

A call may ask for a transcription quality (fast or accurate) other than the site's TRANSCRIPTION_QUALITY;
NULL, as every existing call gets, means the site's setting.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_call_transcription_quality'
down_revision = '0016_smart_trackers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transcription_quality', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_column('transcription_quality')
