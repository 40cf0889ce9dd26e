"""playbook language

Revision ID: 0010_playbook_language
Revises: 0009_pg_search
Create Date: 2026-11-23 19:50:00.000000

Each playbook records the language it is written in (a BCP 47 tag: en, ru). Existing playbooks
get "en"; `flask content load` sets the starter Russian playbook's "ru" from its front matter.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_playbook_language'
down_revision = '0009_pg_search'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('playbook', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=35), server_default='en', nullable=False))


def downgrade():
    with op.batch_alter_table('playbook', schema=None) as batch_op:
        batch_op.drop_column('language')
