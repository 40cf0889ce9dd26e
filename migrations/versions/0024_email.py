"""email delivery of notifications

Revision ID: 0024_email
Revises: 0022_scorecards
Create Date: 2026-12-07 23:34:45.892210

email_preference: a user's email choice (instant, digest, off) per notification kind. outbox_mail: each mail
rendered for one person, with its status, attempts, last error and when it was sent. notification: key (an
occurrence told at most once per user) and mail_id (the mail that carried it).
"""
from alembic import op
import sqlalchemy as sa

import enable.db


# revision identifiers, used by Alembic.
revision = '0024_email'
down_revision = '0022_scorecards'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_email_preference_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_preference')),
    sa.UniqueConstraint('user_id', 'kind', name='uq_email_preference_user_id_kind')
    )
    with op.batch_alter_table('email_preference', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_preference_user_id'), ['user_id'], unique=False)

    op.create_table('outbox_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('next_attempt_at', enable.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', enable.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', enable.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_outbox_mail_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mail')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_mail_key'))
    )
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_mail_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_outbox_mail_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_mail_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('mail_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_mail_id'), ['mail_id'], unique=False)
        batch_op.create_unique_constraint('uq_notification_user_id_key', ['user_id', 'key'])
        batch_op.create_foreign_key(batch_op.f('fk_notification_mail_id_outbox_mail'), 'outbox_mail', ['mail_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_mail_id_outbox_mail'), type_='foreignkey')
        batch_op.drop_constraint('uq_notification_user_id_key', type_='unique')
        batch_op.drop_index(batch_op.f('ix_notification_mail_id'))
        batch_op.drop_column('mail_id')
        batch_op.drop_column('key')

    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_mail_user_id'))
        batch_op.drop_index('ix_outbox_mail_due')
        batch_op.drop_index(batch_op.f('ix_outbox_mail_created_at'))

    op.drop_table('outbox_mail')
    with op.batch_alter_table('email_preference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_preference_user_id'))

    op.drop_table('email_preference')
