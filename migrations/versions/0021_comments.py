"""comments at the second

Revision ID: 0021_comments
Revises: 0025_call_sources
Create Date: 2026-12-07 23:55:00.000000

Comments on a call at a second of it (threaded, team or private), written from the call page or a bite page. A
comment belongs to the call (call_id, at_s); the bite it was written on is a hint cleared when the bite goes.
"""
import sqlalchemy as sa
from alembic import op

import enable.db

# revision identifiers, used by Alembic.
revision = '0021_comments'
down_revision = '0025_call_sources'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('bite_id', sa.Integer(), nullable=True),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('at_s', sa.Double(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('visibility', sa.Enum('team', 'private', name='comment_visibility', native_enum=False,
                                        create_constraint=True, length=20), nullable=False),
        sa.Column('created_at', enable.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('edited_at', enable.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('hidden_at', enable.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('hidden_by_id', sa.Integer(), nullable=True),
        sa.Column('deleted_at', enable.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_comment_author_id_user'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['bite_id'], ['bite.id'], name=op.f('fk_comment_bite_id_bite'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_comment_call_id_call'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['hidden_by_id'], ['user.id'], name=op.f('fk_comment_hidden_by_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['parent_id'], ['comment.id'], name=op.f('fk_comment_parent_id_comment'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_comment')),
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        for column in ('author_id', 'bite_id', 'call_id', 'parent_id'):
            batch_op.create_index(batch_op.f(f'ix_comment_{column}'), [column], unique=False)


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        for column in ('author_id', 'bite_id', 'call_id', 'parent_id'):
            batch_op.drop_index(batch_op.f(f'ix_comment_{column}'))
    op.drop_table('comment')
