"""The Scores and Invoices tabs: what the scores and billing services report for one
organization and academic year (a district sees its schools' scores read-only)."""
from gateway.portal.pages import page
from gateway.portal.render import render
from gateway.routing import load
from gateway.schemas import scores as score_schemas
from services.common.errors import InvalidInput

SCORES_PER_PAGE = 50


def scores_query(visit):
    """The exam filter and page asked for; a wrong one is ignored (the first page, all)."""
    asked = {name: visit.query[name] for name in ("exam", "page") if visit.query.get(name)}
    try:
        return load(score_schemas.ScoresQuery, asked)
    except InvalidInput:
        return load(score_schemas.ScoresQuery, {})


class ReportPages:

    @page("GET", "/organizations/<int:org_id>/scores")
    def scores_page(self, visit, org_id):
        context = self._organization(visit, org_id, "scores")  # may be the contacts' only
        query = scores_query(visit)
        listed = self.score_views.list_scores(self.scores, context["principal"],
                                              context["year"], query["exam"], query["sort"],
                                              query["page"], SCORES_PER_PAGE)
        pages = max(1, -(-listed["total"] // listed["per_page"]))
        return render("scores.html", tab="scores", page_is_tab=True, title="Scores",
                      listed=listed,
                      pages=pages, opened=visit.query.get("open"), **context)

    @page("GET", "/organizations/<int:org_id>/invoices")
    def invoices_page(self, visit, org_id):
        context = self._organization(visit, org_id)
        invoices = self.billing.list_invoices(org_id, context["year"])
        return render("invoices.html", tab="invoices", page_is_tab=True, title="Invoices",
                      invoices=invoices,
                      **context)
