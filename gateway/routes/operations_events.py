"""Operations' view of what the services could not apply: each service's failed events
(and their replay), and the exam results parked until their voucher's redemption."""
from gateway.http import json_response
from gateway.routing import route
from gateway.health import SERVICES
from gateway.schemas import operations_events as s
from services.common.errors import NotFound


def _service_name(name):
    if name not in SERVICES:
        raise NotFound("unknown_service", "No such service; one of {}.".format(
            ", ".join(SERVICES)))
    return name


class OperationsEventRoutes:
    @route("GET", "/api/admin/services/<service>/failed-events", auth="operations",
           tag="operations", query=s.LimitQuery, response=s.FailedEventsOut,
           errors=(400, 401, 403, 404),
           summary="The events a service could not apply (malformed, naming something it "
                   "does not know, or failing past the redelivery bound), newest first.")
    def failed_events(self, call, service):
        name = _service_name(service)
        return json_response({"service": name, "failed_events": getattr(self, name)
                              .failed_events(call.query["limit"])})

    @route("POST", "/api/admin/services/<service>/failed-events/replay", auth="operations",
           tag="operations", body=s.ReplayIn, response=s.ReplayOut,
           errors=(400, 401, 403, 404),
           summary="Apply a service's failed events again (all, or `ids`), each once; what "
                   "applies now leaves the list, what still fails stays with its new error.")
    def replay_failed_events(self, call, service):
        name = _service_name(service)
        result = getattr(self, name).replay_failed_events(call.body["ids"])
        return json_response(dict(result, service=name))

    @route("GET", "/api/admin/parked-results", auth="operations", tag="operations",
           query=s.LimitQuery, response=s.ParkedResultsOut, errors=(400, 401, 403),
           summary="Exam results waiting for their voucher's redemption, oldest first; each "
                   "is recorded when it arrives, or dropped at `expires_at`.")
    def parked_results(self, call):
        return json_response({"parked_results": self.scores.parked_results(
            call.query["limit"])})
