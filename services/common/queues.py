"""The type of the queues the project's own consumers declare (QUEUE_TYPE).

`classic` (the default: `make run`, the tests, one broker): queues as nameko declares them.

`quorum` (a RabbitMQ cluster, e.g. deploy/kubernetes/overlays/production): the queues the
system cannot lose (RPC requests, service events, the chunk queue) are quorum queues,
replicated by Raft on every node of the cluster, so that losing a node loses neither a
queue nor a message in it; their leader moves to a surviving node by itself. Reply queues
and the gateways' notice queues stay classic: they serve one process while it runs, and a
process that reconnects declares them again on the node it reached (reply queues are
exclusive to their connection for that: ExclusiveReplyListener).

A queue's type is fixed when it is first declared: moving a running system from one type
to the other means new queues (deploy/README.md, "A RabbitMQ cluster").
"""
from nameko.events import EventHandler
from nameko.rpc import ReplyListener, RpcConsumer

QUEUE_TYPES = ("classic", "quorum")


class UnknownQueueType(ValueError):
    pass


def queue_type(config):
    chosen = (config.get("QUEUE_TYPE") or "classic").strip().lower()
    if chosen not in QUEUE_TYPES:
        raise UnknownQueueType("QUEUE_TYPE (CLEP_QUEUE_TYPE) must be one of {}, not {!r}"
                               .format(", ".join(QUEUE_TYPES), chosen))
    return chosen


def can_be_quorum(queue):
    return queue.durable and not queue.exclusive and not queue.auto_delete


# A quorum queue drops (or dead-letters) a message requeued this many times; RabbitMQ 4
# defaults to 20. The consumers here requeue on purpose (a database away: once a second
# until it is back) and keep what can never be applied in failed_events themselves, so the
# broker must never give up on a message: a limit no outage reaches. (RabbitMQ 3.x takes
# no -1 for "none".)
DELIVERY_LIMIT = 1_000_000


def apply_queue_type(queue, config):
    """Mark `queue` (a kombu Queue, not declared yet) as a quorum queue when the config
    asks for them and the queue can be one."""
    if queue_type(config) == "quorum" and can_be_quorum(queue):
        queue.queue_arguments = dict(queue.queue_arguments or {}, **{
            "x-queue-type": "quorum", "x-delivery-limit": DELIVERY_LIMIT})
    return queue


class TypedQueue:
    """For a nameko consumer whose setup() builds `self.queue` (declared later, when the
    consumer connects): the queue gets the configured type."""

    def setup(self):
        super().setup()
        apply_queue_type(self.queue, self.container.config)


class TypedRpcConsumer(TypedQueue, RpcConsumer):
    pass


class TypedEventHandler(TypedQueue, EventHandler):
    pass


event_handler = TypedEventHandler.decorator


class ExclusiveReplyListener(ReplyListener):
    """nameko declares a caller's reply queue durable. On a cluster, a durable classic
    queue whose node is down cannot be declared on any other node: a caller that had been
    connected to that node could not hear a reply again until the node came back. An
    exclusive one belongs to the caller's connection and goes with it, and the caller
    declares it anew where it reconnects (replies in flight at that moment are lost: those
    calls time out). Exclusive, not merely transient: RabbitMQ deprecates transient queues
    that are not exclusive."""

    def setup(self):
        super().setup()
        self.queue.durable = False
        self.queue.exclusive = True
