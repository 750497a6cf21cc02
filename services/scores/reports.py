"""Score reports: what one organization sees of its students' results, per academic year.

An organization sees a result when a `score_viewers` row says so (it bought the voucher
that paid for the exam, or the student named it as attending institution). The voucher
code, order and registration are the buyer's business: other viewers see only that a
voucher paid. Who is asking (and whether they may) is settled before these run.
"""
from datetime import date, timezone

from sqlalchemy import and_, asc, desc, func, or_, select

from services.common.clock import as_utc
from services.common.errors import InvalidInput, NotFound
from services.scores.models import ExamResult, ScoreViewer

MAX_PER_PAGE = 500
MAX_EXPORT_PAGE = 5000
SORTS = ("test_date", "-test_date", "student", "-student")
EXPORT_COLUMNS = ["result_id", "student_id", "first_name", "last_name", "email", "exam",
                  "test_date", "academic_year", "score", "passed", "delivery_mode", "funding",
                  "voucher_code"]

_R, _V = ExamResult.__table__.c, ScoreViewer.__table__.c
_COLUMNS = (_R.result_id, _R.student_id, _R.first_name, _R.last_name, _R.email, _R.exam,
            _R.test_date, _R.academic_year, _R.score, _R.passed, _R.delivery_mode,
            _R.voucher_code_shown, _R.paid_by_organization_id, _V.as_buyer,
            _V.as_attending_institution)


def _visible(organization_id, academic_year, exam=None, columns=_COLUMNS):
    query = (select(*columns).select_from(ScoreViewer.__table__.join(
        ExamResult.__table__, _R.result_id == _V.result_id))
        .where(_V.organization_id == organization_id, _V.academic_year == academic_year))
    return query.where(_R.exam == exam) if exam else query


def _order_by(sort):
    if sort not in SORTS:
        raise InvalidInput(fields={"sort": ["Must be one of {}.".format(", ".join(SORTS))]})
    direction = desc if sort.startswith("-") else asc
    if sort.lstrip("-") == "student":
        keys = (_R.last_name, _R.first_name, _V.test_date, _V.result_id)
    else:
        keys = (_V.test_date, _R.last_name, _R.first_name, _V.result_id)
    return [direction(key) for key in keys]


def seen_as(row):
    return [name for name, flag in (("voucher_buyer", row.as_buyer),
                                    ("attending_institution", row.as_attending_institution))
            if flag]


def score_view(row):
    """One row of the table view, as the viewing organization may see it."""
    return {
        "result_id": row.result_id,
        "student": {"id": row.student_id, "first_name": row.first_name,
                    "last_name": row.last_name, "name": "{} {}".format(row.first_name,
                                                                       row.last_name),
                    "email": row.email},
        "exam": row.exam, "test_date": row.test_date.isoformat(),
        "academic_year": row.academic_year, "score": row.score, "passed": row.passed,
        "delivery_mode": row.delivery_mode,
        "funding": "voucher" if row.paid_by_organization_id is not None else "other",
        "voucher_code": row.voucher_code_shown if row.as_buyer else None,
        "seen_as": seen_as(row),
    }


def list_scores(session, organization_id, academic_year, exam=None, sort="-test_date",
                page=1, per_page=50):
    """One page of an organization's scores for one academic year, with the exams it
    can be filtered by and the total."""
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    page = max(int(page), 1)
    rows = session.execute(_visible(organization_id, academic_year, exam)
                           .order_by(*_order_by(sort))
                           .offset((page - 1) * per_page).limit(per_page)).all()
    total = count_scores(session, organization_id, academic_year, exam)
    exams = session.scalars(_visible(organization_id, academic_year, columns=(_R.exam,))
                            .distinct().order_by(_R.exam)).all()
    return {"organization_id": organization_id, "academic_year": academic_year,
            "exam": exam, "sort": sort, "page": page, "per_page": per_page, "total": total,
            "exams": exams, "scores": [score_view(row) for row in rows]}


def within_access_year(principal, academic_year):
    """Whether a score of `academic_year` is open to `principal`: this year's access opens
    every year, a past year's access (its `access_year`) that year only."""
    access_year = principal.get("access_year")
    return access_year in (None, principal.get("academic_year"), academic_year)


def score_detail(session, organization_id, result_id):
    """The details a row of the table expands to; 404 when the organization may not see it."""
    row = session.execute(
        select(ExamResult, ScoreViewer.as_buyer, ScoreViewer.as_attending_institution)
        .join(ScoreViewer, ScoreViewer.result_id == ExamResult.result_id)
        .where(ScoreViewer.organization_id == organization_id,
               ScoreViewer.result_id == result_id)).first()
    if row is None:
        raise NotFound("score_not_found", "No such score.")
    result = row.ExamResult
    view = score_view(_Flat(result, row.as_buyer, row.as_attending_institution))
    view.update({
        "recorded_at": as_utc(result.recorded_at).astimezone(timezone.utc).isoformat(),
        "order_id": result.order_id if row.as_buyer else None,
        "registration_id": result.registration_id if row.as_buyer else None,
    })
    return view


class _Flat:
    """An ORM result read like a report row."""

    def __init__(self, result, as_buyer, as_attending_institution):
        self.__dict__.update({column.key: getattr(result, column.key)
                              for column in ExamResult.__table__.columns})
        self.as_buyer = as_buyer
        self.as_attending_institution = as_attending_institution


def count_scores(session, organization_id, academic_year, exam=None):
    """How many results of the year (of one exam, if given) the organization sees: the
    table's total and the size of an export."""
    return session.scalar(_visible(organization_id, academic_year, exam,
                                   columns=(func.count(),)))


def export_page(session, organization_id, academic_year, exam=None, after=None,
                limit=MAX_EXPORT_PAGE):
    """Rows for the CSV export (columns `EXPORT_COLUMNS`) in test date order, after the
    cursor `after` ([test_date, result_id]); {"academic_year", "columns", "rows",
    "next_after"}, with
    next_after None on the last page."""
    limit = min(max(int(limit), 1), MAX_EXPORT_PAGE)
    query = _visible(organization_id, academic_year, exam).order_by(_V.test_date, _V.result_id)
    if after:
        after_date, after_id = date.fromisoformat(after[0]), after[1]
        query = query.where(or_(_V.test_date > after_date,
                                and_(_V.test_date == after_date, _V.result_id > after_id)))
    rows = [[result_id, student_id, first_name, last_name, email, exam, test_date.isoformat(),
             year, score, passed, delivery_mode, "other" if paid_by is None else "voucher",
             voucher_code if as_buyer else None]
            for (result_id, student_id, first_name, last_name, email, exam, test_date, year,
                 score, passed, delivery_mode, voucher_code, paid_by, as_buyer, _attending)
            in session.execute(query.limit(limit))]  # tuples: this loop runs for every row
    last = rows[-1] if len(rows) == limit else None
    return {"academic_year": academic_year, "columns": EXPORT_COLUMNS, "rows": rows,
            "next_after": [last[6], last[0]] if last else None}


def academic_years(session, organization_id):
    """The academic years the organization has results it may see in, newest first."""
    return list(session.scalars(select(ScoreViewer.academic_year).distinct().where(
        ScoreViewer.organization_id == organization_id)
        .order_by(ScoreViewer.academic_year.desc())))
