"""Alembic, one history per service (services/<name>/migrations).

`python -m services.common.migrations [service ...]` upgrades each named service (all by
default) to its latest schema, using the database configured for it.
"""
import sys
from pathlib import Path

from alembic import command, context
from alembic.config import Config

from services.common.config import SERVICE_NAMES, database_url, load_config
from services.common.database import make_engine

SERVICES_DIR = Path(__file__).resolve().parents[1]


def alembic_config(service_name, url):
    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service_name / "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(service_name, url):
    command.upgrade(alembic_config(service_name, url), "head")


def run_env(target_metadata):
    """Body of every service's migrations/env.py."""
    url = context.config.attributes.get("url") or context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def main(argv):
    config = load_config()
    for service_name in argv or SERVICE_NAMES:
        upgrade(service_name, database_url(config, service_name))
        print("migrated {}".format(service_name))


if __name__ == "__main__":
    main(sys.argv[1:])
