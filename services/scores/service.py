"""The scores service: exam results in, score reports per organization and year out,
every look at them recorded.

RPC for the gateway and the CLI. Emits `exam_recorded` and the gateways' notice
`scores_changed`; consumes `voucher_redeemed` (vouchers), `organization_registered` /
`organization_updated` (access) and `scores_viewed` (gateway). Methods that show scores
take the `principal` the access service's `authorize` returned (the gateway asks it
first): the organization, the account and its access are read from it, and the look is
recorded in the same transaction that answers it (a look a gateway answered from what it
kept arrives as `scores_viewed`).
"""
from nameko.timer import timer

from services.common import failed_events  # not the class: nameko would run it too
from services.common.academic_year import academic_year_from_input
from services.common.clock import ClockProvider
from services.common.database import Database
from services.common.metrics import WorkerMetrics
from services.common.worker_log import WorkerLog
from services.common.probes import Probes
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.event_batches import consumes_in_batches
from services.common.events import consumes
from services.common.gc_tuning import RareFullCollections
from services.common.rpc import rpc
from services.common.service_health import check_database
from services.scores import event_schemas as events_in
from services.scores import (access_log, copies, late_redemptions, parking, reports,
                             results)
from services.scores.results import EXAM_RECORDED, SCORES_CHANGED


class ScoresService(failed_events.FailedEventsRpc):
    name = "scores"
    gc_tuning = RareFullCollections()  # no full-collection pauses mid-request

    db = Database("scores", notices=(SCORES_CHANGED,), packed=(EXAM_RECORDED,))
    probes = Probes()  # PROBE_ADDRESS: /health/live, /health/ready, /metrics
    metrics = WorkerMetrics()
    worker_log = WorkerLog(quiet=("health",))  # correlation ids, a line per worker
    clock = ClockProvider()

    @rpc
    def health(self):
        return check_database(self.db)

    # results in

    @rpc
    def record_results(self, batch):
        """Store a batch of exam results (at most 1,000) from the testing system or a file.

        Returns {"accepted", "rejected": [{"index", "result_id", "code", "reason"}],
        "recorded", "already_recorded"}: good rows are stored even when others are
        rejected; a result_id stored before is accepted and changes nothing. Emits
        `exam_recorded` for each voucher-funded result stored.
        """
        if not isinstance(batch, list) or len(batch) > results.MAX_BATCH:
            raise InvalidInput("too_many_results",
                               "Send at most 1,000 results in one batch.",
                               fields={"results": ["At most 1,000 results."]})
        return results.record_results(self.db, self.clock, batch)

    # score reports (the caller's access is settled by the gateway first)

    def _year(self, academic_year):
        if not academic_year:
            return str(self.clock.academic_year())
        return str(academic_year_from_input(academic_year))

    def _year_open_to(self, principal, academic_year):
        """The year asked for (default: the current one) if `principal`'s access opens
        it: a past year's access reads that year's scores only, whatever the caller
        asks for."""
        year = self._year(academic_year)
        if not reports.within_access_year(principal, year):
            raise Forbidden("access_code_needed", "Your access to this organization for {} "
                            "reads that year's scores only.".format(principal["access_year"]))
        return year

    @rpc
    def list_scores(self, principal, academic_year=None, exam=None, sort="-test_date", page=1,
                    per_page=50):
        """One page of the organization's scores for a year (default: the current one),
        sorted by test date or student, optionally of one exam; records the view."""
        organization_id = principal["organization"]["id"]
        year = self._year_open_to(principal, academic_year)
        with self.db.transaction() as work:
            listed = reports.list_scores(work.session, organization_id, year, exam, sort,
                                         page, per_page)
            access_log.record_access(
                work.session, self.clock, principal, organization_id, year, "list",
                detail=access_log.describe(exam=exam, sort=sort, page=listed["page"]),
                row_count=len(listed["scores"]))
        listed["access"] = principal.get("access")
        return listed

    @rpc
    def score_detail(self, principal, result_id):
        """One score the organization may see, with its details; records the view.
        `score_not_found` for any other."""
        organization_id = principal["organization"]["id"]
        with self.db.transaction() as work:
            detail = reports.score_detail(work.session, organization_id, result_id)
            if not reports.within_access_year(principal, detail["academic_year"]):
                raise NotFound("score_not_found", "No such score.")
            access_log.record_access(work.session, self.clock, principal, organization_id,
                                     detail["academic_year"], "detail",
                                     detail=access_log.describe(result_id=result_id),
                                     row_count=1)
        detail["access"] = principal.get("access")
        return detail

    @rpc
    def begin_export(self, principal, academic_year=None, exam=None,
                     limit=reports.MAX_EXPORT_PAGE):
        """Records the export of a year's scores and returns its first page (then
        `export_page` with `next_after` until it is None)."""
        organization_id = principal["organization"]["id"]
        year = self._year_open_to(principal, academic_year)
        with self.db.transaction() as work:
            page = reports.export_page(work.session, organization_id, year, exam, None, limit)
            # the rows the export holds as it starts (results are only ever added, and
            # pages follow test dates: one reported meanwhile may come along too)
            access_log.record_access(work.session, self.clock, principal, organization_id,
                                     year, "export", detail=access_log.describe(exam=exam),
                                     row_count=reports.count_scores(work.session,
                                                                   organization_id, year, exam))
        return page

    @rpc
    def export_page(self, organization_id, academic_year, exam=None, after=None,
                    limit=reports.MAX_EXPORT_PAGE):
        """A further page of an export that `begin_export` started (and recorded)."""
        with self.db.reader() as session:
            return reports.export_page(session, organization_id, self._year(academic_year),
                                       exam, after, limit)

    @rpc
    def score_access_log(self, organization_id=None, account_id=None, academic_year=None,
                         page=1, per_page=100):
        """Operations reads the record of views and exports, newest first."""
        year = self._year(academic_year) if academic_year else None
        with self.db.reader() as session:
            return access_log.access_log(session, organization_id, account_id, year, page,
                                         per_page)

    # facts of other services

    @consumes_in_batches("vouchers", "voucher_redeemed", schema=events_in.VoucherRedeemed)
    def keep_redemption(self, work, events):
        """Remember which organization's voucher pays for each registration's exam, and
        record the results that arrived before it (parked). A batch of redemptions in two
        statements when none was awaited (services/common/event_batches.py)."""
        codes = copies.keep_redemptions(work.session, self.clock, events)
        for voucher_code in sorted(parking.codes_with_parked_results(work.session, codes)):
            late_redemptions.record_parked_results(work, self.clock, voucher_code)

    @consumes_in_batches("gateway", "scores_viewed", schema=events_in.ScoresViewed)
    def record_views(self, work, looks):
        """Looks at the scores list that a gateway answered from what it kept
        (gateway/score_views.py): written to the access record like any other."""
        access_log.record_views(work.session, looks)

    @rpc
    def academic_years(self, organization_id):
        """The academic years of the results the organization may see, newest first (the
        gateway authorizes the caller)."""
        with self.db.reader() as session:
            return reports.academic_years(session, organization_id)

    # results waiting for their redemption

    @rpc
    def parked_results(self, limit=100):
        """Operations' view of the results parked until their voucher's redemption arrives
        (oldest first), with when each is dropped."""
        with self.db.reader() as session:
            return parking.parked_list(session, max(1, min(int(limit), 500)))

    @timer(interval=parking.SWEEP_SECONDS)
    def sweep_parked_results(self):
        """Record parked results whose redemption is here by now (one that was kept while
        the result was being parked), and drop those whose code was not redeemed in time
        (logged). Two replicas sweeping at once record and drop nothing twice."""
        with self.db.transaction() as work:
            late_redemptions.record_parked_results_now_redeemed(work, self.clock)
            parking.drop_expired(work, self.clock.now())

    @consumes("access", "organization_registered", schema=events_in.Organization)
    def keep_registered_organization(self, event):
        """Remember an organization, so results may name it as attending institution."""
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "keep_registered_organization"):
                copies.keep_organization(work.session, self.clock, event)

    @consumes("access", "organization_updated", schema=events_in.Organization)
    def keep_updated_organization(self, event):
        """Keep the copy of an organization current."""
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "keep_updated_organization"):
                copies.keep_organization(work.session, self.clock, event)
