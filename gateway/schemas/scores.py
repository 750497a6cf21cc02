"""Schemas of exam results, score reports and the score access record."""
from marshmallow import Schema, fields, validate

from gateway.schemas.common import academic_year_text
from services.common.validation import ID, printable

MAX_RESULTS_PER_BATCH = 1000
SORTS = ["test_date", "-test_date", "student", "-student"]


class ExamStudentIn(Schema):
    id = fields.String(required=True, metadata={"description": "text or a whole number"})
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    email = fields.String(required=True)


class ExamResultIn(Schema):
    """One exam result as the testing system reports it (documented here; each row is
    checked by the scores service, so a bad row is reported on its own)."""
    result_id = fields.String(required=True, metadata={
        "description": "1 to 64 letters, digits, '.', '_', ':' or '-'; a number is taken as text"})
    student = fields.Nested(ExamStudentIn, required=True)
    exam = fields.String(required=True)
    test_date = fields.String(required=True, metadata={
        "description": "a date (2026-10-15), or a moment with its offset read as a date in "
                       "the program's time zone; it decides the academic year"})
    score = fields.Integer(required=True, metadata={"minimum": 20, "maximum": 80,
                                                    "description": "scaled score; 50+ passes"})
    delivery_mode = fields.String(required=True, metadata={"enum": ["test_center", "remote"]})
    voucher_code = fields.String(allow_none=True)
    registration_id = fields.String(allow_none=True)
    attending_institution_id = fields.Integer(allow_none=True)


class ResultRows(fields.List):
    """A list of `ExamResultIn` in the OpenAPI document; loaded as at most 1,000 raw rows,
    which the scores service checks one by one (a bad row must not sink the batch)."""

    def __init__(self, **kwargs):
        super().__init__(fields.Nested(ExamResultIn), required=True, validate=validate.Length(
            min=1, max=MAX_RESULTS_PER_BATCH,
            error="Send 1 to 1,000 results per request."), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return value


class ExamResultsIn(Schema):
    results = ResultRows()


class RejectedResultOut(Schema):
    index = fields.Integer(metadata={"description": "position of the row in the batch"})
    result_id = fields.String(allow_none=True)
    code = fields.String()
    reason = fields.String()
    fields_ = fields.Dict(data_key="fields")


class ParkedRowOut(Schema):
    index = fields.Integer(metadata={"description": "position of the row in the batch"})
    result_id = fields.String()
    reason = fields.String()
    expires_at = fields.String(metadata={"description": "dropped then if its voucher code "
                                                        "is still not redeemed"})


class ExamResultsOut(Schema):
    accepted = fields.Integer(metadata={"description": "rows stored now or before"})
    rejected = fields.List(fields.Nested(RejectedResultOut))
    recorded = fields.Integer(metadata={"description": "rows stored by this request"})
    already_recorded = fields.Integer()
    parked = fields.List(fields.Nested(ParkedRowOut), metadata={
        "description": "rows whose voucher code has no redemption yet: kept, and recorded "
                       "when the redemption arrives"})


class ScoresQuery(Schema):
    academic_year = fields.String(load_default=None, validate=academic_year_text)
    exam = fields.String(load_default=None, validate=[validate.Length(min=1, max=120),
                                                      printable])
    sort = fields.String(load_default="-test_date", validate=validate.OneOf(SORTS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class ScoreDetailQuery(Schema):
    academic_year = fields.String(load_default=None, validate=academic_year_text, metadata={
        "description": "the score's academic year: read with the access held that year"})


class ScoresCsvQuery(Schema):
    academic_year = fields.String(load_default=None, validate=academic_year_text)
    exam = fields.String(load_default=None, validate=[validate.Length(min=1, max=120),
                                                      printable])


class ExamStudentOut(Schema):
    id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    name = fields.String()
    email = fields.String()


class ScoreOut(Schema):
    result_id = fields.String()
    student = fields.Nested(ExamStudentOut)
    exam = fields.String()
    test_date = fields.String()
    academic_year = fields.String()
    score = fields.Integer()
    passed = fields.Boolean()
    delivery_mode = fields.String(metadata={"enum": ["test_center", "remote"]})
    funding = fields.String(metadata={"enum": ["voucher", "other"]})
    voucher_code = fields.String(allow_none=True, metadata={
        "description": "shown to the organization that bought the voucher only"})
    seen_as = fields.List(fields.String(metadata={
        "enum": ["voucher_buyer", "attending_institution"]}))


class ScoreDetailOut(ScoreOut):
    recorded_at = fields.String()
    order_id = fields.Integer(allow_none=True)
    registration_id = fields.String(allow_none=True)
    access = fields.String(metadata={"enum": ["manage", "read_only"]})


class ScoresOut(Schema):
    organization_id = fields.Integer()
    academic_year = fields.String()
    access = fields.String(metadata={"enum": ["manage", "read_only"]})
    exam = fields.String(allow_none=True)
    exams = fields.List(fields.String(), metadata={"description": "exams to filter by"})
    sort = fields.String()
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    scores = fields.List(fields.Nested(ScoreOut))


class ScoreAccessLogQuery(Schema):
    organization_id = fields.Integer(load_default=None, validate=ID)
    account_id = fields.Integer(load_default=None, validate=ID)
    academic_year = fields.String(load_default=None, validate=academic_year_text)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class ScoreAccessOut(Schema):
    id = fields.Integer()
    at = fields.String()
    account = fields.Dict()
    organization_id = fields.Integer()
    academic_year = fields.String()
    access = fields.String(metadata={"enum": ["manage", "read_only"]})
    action = fields.String(metadata={"enum": ["list", "detail", "export"]})
    detail = fields.String(allow_none=True)
    row_count = fields.Integer(allow_none=True)


class ScoreAccessLogOut(Schema):
    entries = fields.List(fields.Nested(ScoreAccessOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
