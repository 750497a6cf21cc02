"""What losing the broker looks like to a process: kombu's OperationalError once its
retries are spent, or the socket's and py-amqp's own errors when a connection turns out
dead (a node stopped, the network gone, the vhost removed). Callers that meet one say so
in one line and try again later; anything else is a fault worth its traceback."""
import amqp.exceptions
import kombu.exceptions

BROKER_UNREACHABLE = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
                      OSError)
