"""The broker as a process speaks of it.

What losing it looks like: kombu's OperationalError once its retries are spent, or the
socket's and py-amqp's own errors when a connection turns out dead (a node stopped, the
network gone, the vhost removed). Callers that meet one say so in one line and try again
later; anything else is a fault worth its traceback.

Its address as text may show: AMQP_URI with every password masked (it may list a
cluster's nodes, and nameko masks only the first one's when it cannot connect).
"""
import re

import amqp.exceptions
import kombu.exceptions

BROKER_UNREACHABLE = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
                      OSError)

_PASSWORD = re.compile(r"(amqps?://[^:/@;\s]*:)[^@;\s]+@")


def without_passwords(text):
    return _PASSWORD.sub(r"\1********@", text)
