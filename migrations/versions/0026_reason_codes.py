"""reason codes

Revision ID: 0026_reason_codes
Revises: 0023_bite_curation
Create Date: 2026-12-08 00:10:00.000000

A failed call's reason and a link check's detail are stored as a code and its parameters (JSON) beside the English
text, so that pages show them in the reader's language (enable/reasons.py). Reasons stored before keep their text
and no code; they are shown as they are.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026_reason_codes'
down_revision = '0023_bite_curation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('error_params', sa.JSON(), nullable=True))
    for table in ('link', 'link_check'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('detail_code', sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column('detail_params', sa.JSON(), nullable=True))


def downgrade():
    for table in ('link_check', 'link'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('detail_params')
            batch_op.drop_column('detail_code')
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_column('error_params')
        batch_op.drop_column('error_code')
