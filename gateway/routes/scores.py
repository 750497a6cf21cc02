"""Exam results from the testing system, score reports, and the record of who looked."""

from gateway.csv_stream import csv_response, prefetched_pages
from gateway.http import json_response
from gateway.past_years import authorize_item
from gateway.routing import route
from gateway.schemas import scores as s

SCORES_CSV_PAGE = 3500  # rows per RPC: about 2.8 MB of objects in the gateway per page
# identifiers: a student id 00123 stays 00123 in a spreadsheet, not the number 123
SCORES_CSV_TEXT_COLUMNS = ("result_id", "student_id", "voucher_code")


class ScoreRoutes:
    @route("POST", "/api/exam-results", auth="partner", tag="scores", body=s.ExamResultsIn,
           response=s.ExamResultsOut, status=202, errors=(400, 401, 403),
           summary="Report up to 1,000 exam results; good rows are stored, bad ones "
                   "reported with their reason; a result_id sent again changes nothing.")
    def record_exam_results(self, call):
        return json_response(self.scores.record_results(call.body["results"]), 202)

    @route("GET", "/api/organizations/<int:org_id>/scores", auth="session", tag="scores",
           query=s.ScoresQuery, response=s.ScoresOut, errors=(400, 401, 403, 404, 409),
           summary="The organization's scores of one academic year (default: the current "
                   "one), paged; sorted by test date or student; one exam if asked.")
    def list_scores(self, call, org_id):
        query = call.query
        principal = self.access.authorize(call.token, org_id, "scores", True,
                                          query["academic_year"])
        return json_response(self.score_views.list_scores(
            self.scores, principal, query["academic_year"], query["exam"], query["sort"],
            query["page"], query["per_page"]))

    @route("GET", "/api/organizations/<int:org_id>/scores/<result_id>", auth="session",
           tag="scores", query=s.ScoreDetailQuery, response=s.ScoreDetailOut,
           errors=(400, 401, 403, 404, 409),
           summary="One score with its details (`academic_year`: the score's, to read it "
                   "with the access held that year).")
    def score_detail(self, call, org_id, result_id):
        principal = authorize_item(
            lambda year: self.access.authorize(call.token, org_id, "scores", True, year),
            lambda: call.query["academic_year"])
        return json_response(self.scores.score_detail(principal, result_id))

    @route("GET", "/api/organizations/<int:org_id>/scores.csv", auth="session", tag="scores",
           query=s.ScoresCsvQuery, errors=(400, 401, 403, 404, 409), content_type="text/csv",
           summary="The organization's scores of one academic year as CSV, streamed.")
    def scores_csv(self, call, org_id):
        year, exam = call.query["academic_year"], call.query["exam"]
        principal = self.access.authorize(call.token, org_id, "scores", True, year)
        first = self.scores.begin_export(principal, year, exam, SCORES_CSV_PAGE)
        year, scores = first["academic_year"], self.scores

        # the rest is read after this worker has finished: keep to its own RPCs
        pages = prefetched_pages(first, lambda after: scores.export_page(
            org_id, year, exam, after, SCORES_CSV_PAGE))
        return csv_response(first["columns"], (page["rows"] for page in pages),
                            "clep-scores-{}-{}.csv".format(org_id, year),
                            text_columns=SCORES_CSV_TEXT_COLUMNS)

    @route("GET", "/api/admin/score-access-log", auth="operations", tag="operations",
           query=s.ScoreAccessLogQuery, response=s.ScoreAccessLogOut, errors=(400, 401, 403),
           summary="Who viewed or exported which organization's scores, newest first.")
    def score_access_log(self, call):
        query = call.query
        return json_response(self.scores.score_access_log(
            query["organization_id"], query["account_id"], query["academic_year"],
            query["page"], query["per_page"]))
