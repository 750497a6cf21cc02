"""The one settings loader: config.yaml with nameko's ${VAR:default} substitution."""
import os
from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config.yaml"
SERVICE_NAMES = ("access", "orders", "vouchers", "scores", "billing")


def load_config(path=None):
    """Read config.yaml exactly as `nameko run --config` does."""
    setup_yaml_parser()
    with open(path or os.environ.get("CLEP_CONFIG", DEFAULT_CONFIG_PATH)) as stream:
        return yaml.safe_load(stream)


def data_dir(config):
    path = Path(config.get("DATA_DIR") or "var")
    return path if path.is_absolute() else PROJECT_ROOT / path


def database_url(config, service_name):
    """The service's own database: its *_DATABASE_URL, else a SQLite file."""
    url = (config.get("DATABASE_URLS") or {}).get(service_name)
    if url:
        return url
    return "sqlite:///{}".format(data_dir(config) / "{}.db".format(service_name))


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def public_url(config):
    """Where people open the web portal (PUBLIC_URL), the base of every link in mail;
    without a trailing slash, so that a link is the base and a path."""
    return (config.get("PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")
