"""privacy choices, pseudonyms, deleted accounts

Revision ID: 7d0281d46ac7
Revises: e0f1a2b3c4d5
Create Date: 2026-12-07 02:24:33.443179

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d0281d46ac7'
down_revision = 'e0f1a2b3c4d5'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('consent_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('show_name', 'contact', 'research', 'news', name='consent_kind', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('text_version', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=80), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_consent_record_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_record'))
    )
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.create_index('ix_consent_record_user_kind', ['user_id', 'kind', 'id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pseudonym', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('use_pseudonym', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_pseudonym'), ['pseudonym'])

    


def downgrade():
    
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_pseudonym'), type_='unique')
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('use_pseudonym')
        batch_op.drop_column('pseudonym')

    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_record_user_kind')

    op.drop_table('consent_record')
    
