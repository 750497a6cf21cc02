"""A graceful stop that ends: every process's nameko container (config.yaml names it as
SERVICE_CONTAINER_CLS, so `nameko run` uses it).

On SIGTERM `nameko run` calls the container's `stop()`: stop the entrypoints, wait for the
workers still running, stop the dependencies. Here it also:

- **A drain first.** An extension with a `drain()` method (the gateway's web server,
  gateway/draining.py) runs it before anything stops: the gateway turns not-ready, keeps
  serving for DRAIN_SECONDS while it is taken out of the load balancer, then stops
  accepting and finishes its connections. Only then do the entrypoints stop.
- **Waiting for the workers ends.** eventlet's `GreenPool.waitall()` waits on an event that
  `spawn()` replaces when a greenthread that was waiting for a free slot starts after the
  last running worker ended. A stop that came while the pool was full (more messages or
  requests waiting for a worker) then waited on the old event for ever: the process never
  exited (tests/unit/test_graceful_stop.py). The pool here waits by polling instead.
- **The acknowledgements go out.** nameko's consumers stop consuming, and close their
  connection, once their consumers are cancelled, whether or not a worker is still
  running: its message's acknowledgement was lost, and the broker handed it to another
  process. An RPC under way at the stop was answered and then run a second time
  (tests/integration/test_graceful_stop.py). Here a consumer's connection stays open
  until the workers have ended.
- **A bound.** Whatever is still running STOP_SECONDS after the stop began (a long
  download, a stuck call) is killed, and the process exits: before the orchestrator's
  SIGKILL (Kubernetes' terminationGracePeriodSeconds is longer), with a line in the log
  saying so. Messages whose work was killed are unacknowledged, so the broker hands them
  to another process, and every handler is idempotent.
"""
import logging
from functools import partial

import eventlet
from nameko.containers import ServiceContainer
from nameko.messaging import QueueConsumer

log = logging.getLogger(__name__)

DEFAULT_STOP_SECONDS = 8.0  # within the 10 s of `docker stop` and scripts/system.py
POLL_SECONDS = 0.05


class WorkerPool(eventlet.GreenPool):
    def waitall(self):
        # not GreenPool's event (see above): running workers and those about to start
        while self.running() or self.waiting():
            eventlet.sleep(POLL_SECONDS)


class GracefulContainer(ServiceContainer):
    def __init__(self, service_cls, config):
        super().__init__(service_cls, config)
        self._worker_pool = WorkerPool(size=self.max_workers)
        self.stop_seconds = float(config.get("STOP_SECONDS") or DEFAULT_STOP_SECONDS)
        self._stop_begun = False
        for extension in self.subextensions:
            if isinstance(extension, QueueConsumer):
                extension.on_iteration = partial(self._consumer_iteration, extension)

    def _consumer_iteration(self, consumer):
        """kombu calls it at least once a second in each consumer's loop; nameko's ends
        the loop once no consumer is left, this one only when no worker is left either
        (a worker's acknowledgement goes out on that connection)."""
        consumer._cancel_consumers_if_requested()
        if not consumer._consumers and not self._worker_pool.running() \
                and not self._worker_pool.waiting():
            consumer.should_stop = True

    def stop(self):
        if self._stop_begun:  # a second SIGTERM: the first stop goes on
            self._died.wait()
            return
        self._stop_begun = True
        overdue = eventlet.spawn_after(self.stop_seconds, self._stop_overdue)
        for extension in list(self.extensions):
            drain = getattr(extension, "drain", None)
            if drain is not None:
                try:
                    drain()
                except Exception:  # a drain that broke must not keep the stop from going on
                    log.exception("%s: draining %s failed; stopping", self.service_name,
                                  extension)
        super().stop()
        overdue.cancel()  # only a stop that ended: one that raised is still killed in time

    def _stop_overdue(self):
        log.warning("%s: still stopping %.0fs after SIGTERM (%d workers running); killing "
                    "what is left", self.service_name, self.stop_seconds,
                    self._worker_pool.running())
        self.kill()
