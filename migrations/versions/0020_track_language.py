"""track language

Revision ID: 0020_track_language
Revises: 0011_login_sessions
Create Date: 2026-12-07 19:55:00.000000

Each track records the language its content is in (a BCP 47 tag), so that new hires get the default track of their
own language. Existing tracks get "en"; `flask content load` sets the starter Russian track's "ru" from its file.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020_track_language'
down_revision = '0011_login_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=35), server_default='en', nullable=False))


def downgrade():
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.drop_column('language')
