"""Alembic, one history per service (services/<name>/migrations).

`python -m services.common.migrations [service ...]` upgrades each named service (all by
default) to its latest schema, using the database configured for it. With `--wait`, it
changes nothing and returns once every named database is at its latest schema (each
process's pod waits so in Kubernetes while the migration Job runs).
"""
import sys
import time
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

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


def is_at_head(service_name, url):
    """Whether the service's database has every migration of its history."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    script = ScriptDirectory.from_config(alembic_config(service_name, url))
    return current == set(script.get_heads())


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


WAIT_POLL_SECONDS = 2


def main(argv):
    config = load_config()
    waiting = "--wait" in argv
    for service_name in [name for name in argv if name != "--wait"] or SERVICE_NAMES:
        url = database_url(config, service_name)
        if not waiting:
            upgrade(service_name, url)
            print("migrated {}".format(service_name), flush=True)
            continue
        while not _answers_at_head(service_name, url):
            time.sleep(WAIT_POLL_SECONDS)
        print("{} is at its latest schema".format(service_name), flush=True)


def _answers_at_head(service_name, url):
    try:
        return is_at_head(service_name, url)
    except Exception as error:  # noqa: BLE001 - not reachable yet: keep waiting
        print("{}: {}".format(service_name, str(error).splitlines()[0]), flush=True)
        return False


if __name__ == "__main__":
    main(sys.argv[1:])
