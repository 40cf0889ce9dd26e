"""smart trackers

Revision ID: 0016_smart_trackers
Revises: 0020_track_language
Create Date: 2026-12-07 20:00:00.000000

Tags matched by meaning: a bite tag's evidence records how it matched (literal or by meaning), the sentence,
its speaker and the cosine, and enablement's review of it; reviewed sentences are kept as further examples of the
tracker (confirmed) or negative ones (rejected).
"""
import sqlalchemy as sa
from alembic import op

import enable.db

# revision identifiers, used by Alembic.
revision = '0016_smart_trackers'
down_revision = '0020_track_language'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bite_tag', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match', sa.Enum('literal', 'meaning', name='tag_match', native_enum=False,
                                                       create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column('sentence', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('speaker', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('score', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('review', sa.Enum('confirmed', 'rejected', name='moment_review',
                                                        native_enum=False, create_constraint=True, length=20),
                                      nullable=True))
    # evidence found before meaning was matched is literal
    op.execute("UPDATE bite_tag SET \"match\" = 'literal' WHERE source = 'detected' AND phrase IS NOT NULL")
    op.create_table('tracker_example',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('sentence', sa.String(length=1000), nullable=False),
    sa.Column('is_negative', sa.Boolean(), nullable=False),
    sa.Column('bite_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', enable.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bite_id'], ['bite.id'], name=op.f('fk_tracker_example_bite_id_bite'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user.id'], name=op.f('fk_tracker_example_reviewed_by_id_user'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], name=op.f('fk_tracker_example_tag_id_tag'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracker_example')),
    sa.UniqueConstraint('tag_id', 'sentence', name='uq_tracker_example_tag_id_sentence')
    )
    with op.batch_alter_table('tracker_example', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracker_example_tag_id'), ['tag_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tracker_example', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracker_example_tag_id'))
    op.drop_table('tracker_example')
    with op.batch_alter_table('bite_tag', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bite_tag_moment_review'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_bite_tag_tag_match'), type_='check')
        batch_op.drop_column('review')
        batch_op.drop_column('score')
        batch_op.drop_column('speaker')
        batch_op.drop_column('sentence')
        batch_op.drop_column('match')
