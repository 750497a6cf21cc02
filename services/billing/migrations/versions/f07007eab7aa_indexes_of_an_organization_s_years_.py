"""indexes of an organization's years: billing_orders and billing_registrations by
organization and academic year

GET /api/organizations/{id}/academic-years asks billing for the years it holds of one
organization; without these it read every order and every ticket (a row per redeemed
code) to answer.

Revision ID: f07007eab7aa
Revises: 860729d2671f
Create Date: 2026-11-27 11:00:54.113557
"""
from alembic import op
import sqlalchemy as sa


revision = 'f07007eab7aa'
down_revision = '860729d2671f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('billing_orders', schema=None) as batch_op:
        batch_op.create_index('ix_billing_orders_org_year', ['organization_id', 'academic_year'], unique=False)

    with op.batch_alter_table('billing_registrations', schema=None) as batch_op:
        batch_op.create_index('ix_billing_registrations_org_year', ['organization_id', 'academic_year'], unique=False)



def downgrade():
    with op.batch_alter_table('billing_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_billing_registrations_org_year')

    with op.batch_alter_table('billing_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_billing_orders_org_year')

