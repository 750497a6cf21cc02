"""Tables every service keeps for messaging: its outbox, what it has consumed, what it
could not apply (`failed_events`) and how often a delivery failed for a transient reason
(`event_retries`, which bounds the redeliveries of one event).

They live in each service's own metadata (see `add_to`) so that each service's Alembic
history creates them in its own database.
"""
from sqlalchemy import (BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text,
                        Index)

_metadata = MetaData()
ID_TYPE = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only

outbox = Table(
    "outbox", _metadata,
    Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(80), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text),
    # the work that wrote the event (services/common/correlation.py): sent with it
    Column("correlation_id", String(128)),
    Index("ix_outbox_pending", "sent_at", "id"),
)

processed_events = Table(
    "processed_events", _metadata,
    Column("event_id", String(36), primary_key=True),
    Column("consumer", String(80), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

failed_events = Table(
    "failed_events", _metadata,
    Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    Column("consumer", String(80), nullable=False),
    Column("source_service", String(40), nullable=False),
    Column("event_type", String(80), nullable=False),
    Column("event_id", String(36)),
    Column("payload", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="1"),
)

event_retries = Table(
    "event_retries", _metadata,
    Column("event_id", String(64), primary_key=True),
    Column("consumer", String(80), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("last_at", DateTime(timezone=True), nullable=False, index=True),
)


def add_to(metadata):
    """Copy the messaging tables into a service's metadata."""
    for table in (outbox, processed_events, failed_events, event_retries):
        table.to_metadata(metadata)
