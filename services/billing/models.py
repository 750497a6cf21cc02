"""Tables the billing service owns."""
from sqlalchemy.orm import declarative_base

from services.common import messaging_tables

Base = declarative_base()
messaging_tables.add_to(Base.metadata)
