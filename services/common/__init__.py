"""Mechanism shared by every service: config, database, outbox, errors, time, mail."""
