"""bite curation

Revision ID: 0023_bite_curation
Revises: 0027_speaker_count
Create Date: 2026-12-07 23:45:00.000000

Bites can be renamed, trimmed, split and merged by enablement and managers: when and by whom a bite was curated
(a re-run of its call keeps it as it is), and whether its title was set by hand (retagging keeps it).
"""
import sqlalchemy as sa
from alembic import op

import enable.db

# revision identifiers, used by Alembic.
revision = '0023_bite_curation'
down_revision = '0027_speaker_count'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bite', schema=None) as batch_op:
        batch_op.add_column(sa.Column('curated_at', enable.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('curated_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('title_by_hand', sa.Boolean(), server_default='0', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_bite_curated_by_id_user'), 'user', ['curated_by_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('bite', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bite_curated_by_id_user'), type_='foreignkey')
        batch_op.drop_column('title_by_hand')
        batch_op.drop_column('curated_at')
        batch_op.drop_column('curated_by_id')
