"""Reading the vouchers CSV a coordinator downloaded and filled in: for each row, the code
and whom it was given to (`student_name`, `date_given_out` and, when the column is there,
`student_email`). Other columns (the order, the status) are the download's and are not read.

Rows are numbered as a spreadsheet numbers them (the header is row 1). A row whose student
columns are empty changes nothing; its code must still be one of the order's, so that a
file of another order is refused, not quietly taken for an empty one.
"""
import csv
import io
import re
from datetime import date

from services.common.errors import InvalidInput
from services.common.validation import instance_of
from services.vouchers.assignments import KEEP, RowErrors
from services.vouchers.schemas import AssignmentIn

MAX_ROWS = 10_000  # an order's largest size
MAX_CHARACTERS = 4 * 1024 * 1024
REQUIRED = ("voucher_code", "student_name", "date_given_out")
EMAIL = "student_email"
# the schema's fields named as the file's columns, in the rows' errors
COLUMNS = {"given_out_on": "date_given_out"}
# a spreadsheet saves a date the way it shows it: 10/15/2026 (or 10/15/26) as well as ISO
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})")


def _cell(text):
    """A cell as the coordinator meant it: trimmed, without the download's text marker
    (a leading apostrophe that keeps a code or a would-be formula text)."""
    text = text.strip()
    return text[1:].strip() if text.startswith("'") else text


def _day(text):
    """An ISO or a US date as ISO text; anything else is left for the schema to refuse."""
    found = _US_DATE.fullmatch(text)
    if not found:
        return text
    month, day, year = (int(part) for part in found.groups())
    try:
        return date(year + 2000 if year < 100 else year, month, day).isoformat()
    except ValueError:
        return text


def _header(rows):
    try:
        names = [_cell(name).lower().lstrip("\ufeff") for name in next(rows)]
    except StopIteration:
        names = []
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise InvalidInput("invalid_csv", "The file's first row must name its columns as the "
                           "download does; missing: {}.".format(", ".join(missing)),
                           fields={"file": ["Missing columns: {}.".format(", ".join(missing))]})
    return {name: names.index(name) for name in REQUIRED + (EMAIL,) if name in names}


def _item(number, cells, where, errors):
    """The row as an assignment for `assignments.apply` (student_name None: no change)."""
    def value(name):
        return _cell(cells[where[name]]) if where[name] < len(cells) else ""

    item = {"row": number, "voucher_code": value("voucher_code"), "student_name": None}
    name, day = value("student_name"), value("date_given_out")
    email = value(EMAIL) if EMAIL in where else None
    if not name:
        if day or email:
            errors.add(number, "student_name", "Give the student's name, or leave the "
                       "student's columns empty.")
        return item
    sent = {"student_name": name, "given_out_on": _day(day) or None}
    if EMAIL in where:
        sent["student_email"] = email or None
    problems = instance_of(AssignmentIn).validate(sent)
    for field, messages in sorted(problems.items()):
        errors.add(number, field, "A date like 2026-10-15 or 10/15/2026." if
                   field == "given_out_on" else " ".join(messages))
    if problems:
        return item  # its code is still checked
    item.update(instance_of(AssignmentIn).load(sent))
    if EMAIL not in where:
        item["student_email"] = KEEP
    return item


def read_rows(csv_text):
    """(items for `assignments.apply`, RowErrors of the rows that cannot be read)."""
    if not isinstance(csv_text, str) or len(csv_text) > MAX_CHARACTERS:
        raise InvalidInput("invalid_csv", "Upload the order's vouchers CSV (at most 4 MiB).")
    rows = csv.reader(io.StringIO(csv_text.lstrip("\ufeff"), newline=""))
    errors, items = RowErrors(COLUMNS), []
    try:
        where = _header(rows)
        for number, cells in enumerate(rows, start=2):
            if number - 1 > MAX_ROWS:
                raise InvalidInput("too_many_rows", "At most {:,} rows: an order's codes."
                                   .format(MAX_ROWS))
            if any(cell.strip() for cell in cells):
                items.append(_item(number, cells, where, errors))
    except csv.Error as error:
        raise InvalidInput("invalid_csv", "The file is not a CSV file: {}.".format(error))
    return items, errors
