"""Autogenerate a migration for one service against a scratch SQLite database.

    python scripts/new_migration.py <service> "what changed"
"""
import sys
import tempfile
from pathlib import Path

from alembic import command

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from services.common.migrations import alembic_config, upgrade


def main(service_name, message):
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/scratch.db"
        upgrade(service_name, url)
        command.revision(alembic_config(service_name, url), message=message, autogenerate=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
