"""No broker password reaches a log line or a CLI message, however many nodes AMQP_URI
lists (nameko masks only the first one's)."""
import io
import logging
import pydoc

import pytest
from nameko.utils import sanitize_url

from services.common.broker import without_passwords
from services.common.config import load_config

CLUSTER = ("amqp://clep:s3cret-1@rabbit-0:5672/clep;amqp://clep:s3cret-2@rabbit-1:5672/clep;"
           "amqps://clep:s3cret-3@rabbit-2:5671/clep")


def test_every_node_of_a_failover_list_is_masked():
    masked = without_passwords(CLUSTER)
    assert "s3cret" not in masked
    assert masked.count("clep:********@") == 3 and "rabbit-2:5671/clep" in masked
    assert without_passwords("amqp://guest@localhost:5672/") == "amqp://guest@localhost:5672/"


@pytest.mark.parametrize("kind", ["plain", "json"])
def test_the_log_lines_of_config_yaml_show_no_broker_password(kind):
    """nameko's own words when it cannot connect (it masks the first node only), a message
    with the URI as an argument, and a traceback that holds it."""
    config = load_config()["LOGGING"]["formatters"]["lines"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(pydoc.locate(config["()"])(kind=kind))  # the configured formatter
    logger = logging.getLogger("clep.test.broker_passwords." + kind)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("Error connecting to broker at {} ({}).\nRetrying in {} seconds.".format(
            sanitize_url(CLUSTER), "[Errno 111] ECONNREFUSED", 1))
        logger.warning("reconnecting to %s", CLUSTER)
        try:
            raise ConnectionRefusedError("cannot reach " + CLUSTER)
        except ConnectionRefusedError:
            logger.exception("relay failed")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "Error connecting to broker" in written and "reconnecting to" in written
    assert "ConnectionRefusedError" in written
    assert "s3cret" not in written
