"""CSV that is safe to open in a spreadsheet, written row by row and streamed."""
import csv
import io
import re

import eventlet
from werkzeug.wrappers import Response

# A cell starting with one of these is read as a formula by Excel, Sheets or Calc.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Digits with number punctuation (00123, 1E5, 12:30, 1/2, 5%, $5, (12), 1,234, 2026-10-15) is
# read as a number, date or time: an identifier made of them loses its zeros or its text.
_NUMBER_LIKE = re.compile(r"[\d\s+\-.,:/%$()eE]*\d[\d\s+\-.,:/%$()eE]*")
# The one text marker: a leading apostrophe makes a spreadsheet keep the cell as text (Excel
# and Calc show it; no cell of ours ever becomes a formula, not even ="00123").
_TEXT_MARKER = "'"


def safe_cell(value, identifier=False):
    """A cell's CSV text: never a formula, and an identifier (`identifier`) never a number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if isinstance(value, str) and (text.startswith(_FORMULA_STARTS) or
                                   identifier and _NUMBER_LIKE.fullmatch(text)):
        return _TEXT_MARKER + text
    return text


def csv_lines(header, row_batches, text_columns=()):
    """Yield encoded CSV text: the header, then each batch of rows as it arrives. The
    columns named in `text_columns` hold identifiers, kept text in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield buffer.getvalue().encode("utf-8")
    identifiers = [name in text_columns for name in header]
    for rows in row_batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([safe_cell(cell, identifier) for cell, identifier in
                          zip(row, identifiers)] for row in rows)
        yield buffer.getvalue().encode("utf-8")


def prefetched_pages(first, next_page):
    """Yield each page while the next one is already being fetched: the service reads
    while the gateway writes, and at most two pages are held at once.

    `first` is a page ({"next_after", ...}); `next_page(after)` fetches the one after it.
    An error fetching a page is raised where that page is waited for.
    """
    page = first
    while True:
        upcoming = None if page["next_after"] is None else eventlet.spawn(
            next_page, page["next_after"])
        yield page
        if upcoming is None:
            return
        page = upcoming.wait()


def csv_response(header, row_batches, filename, text_columns=()):
    """A streamed CSV download of `row_batches` (an iterable of lists of rows); the columns
    in `text_columns` are identifiers (see `csv_lines`)."""
    return Response(csv_lines(header, row_batches, text_columns), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="{}"'.format(filename),
                             "Cache-Control": "no-store"})
