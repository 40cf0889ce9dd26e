"""deals: no schema change (the deal and usage_event tables are in 0001_core); keeps the chain linear

Revision ID: 0005_deals
Revises: 0004_governance
Create Date: 2026-11-22 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import enable.db


# revision identifiers, used by Alembic.
revision = '0005_deals'
down_revision = '0004_governance'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
