"""billing registrations keep the code's remote-proctoring coverage

A legacy code has no order, so its ticket (from `voucher_redeemed`) is where billing learns
whether the code covers remote proctoring. NULL: `voucher_redeemed` has not arrived yet.
Tickets kept before this revision did not record it: they are marked not covered, which
is how billing charged them until now (a NULL would keep their remote exams waiting for
an event that will not come again).

Revision ID: 143480937040
Revises: 8c5a7527f239
Create Date: 2026-11-26 14:50:47.497840
"""
from alembic import op
import sqlalchemy as sa


revision = '143480937040'
down_revision = '8c5a7527f239'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('billing_registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('covers_remote_proctoring', sa.Boolean(), nullable=True))
    registrations = sa.table('billing_registrations',
                             sa.column('covers_remote_proctoring', sa.Boolean()))
    op.execute(registrations.update().values(covers_remote_proctoring=False))


def downgrade():
    with op.batch_alter_table('billing_registrations', schema=None) as batch_op:
        batch_op.drop_column('covers_remote_proctoring')
