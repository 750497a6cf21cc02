"""CSV that is safe to open in a spreadsheet, written row by row and streamed."""
import csv
import io

import eventlet
from werkzeug.wrappers import Response

# A cell starting with one of these is read as a formula by Excel, Sheets or Calc.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_STARTS):
        return "'" + text  # the leading apostrophe makes it text
    return text


def csv_lines(header, row_batches):
    """Yield encoded CSV text: the header, then each batch of rows as it arrives."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield buffer.getvalue().encode("utf-8")
    for rows in row_batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)
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


def csv_response(header, row_batches, filename):
    """A streamed CSV download of `row_batches` (an iterable of lists of rows)."""
    return Response(csv_lines(header, row_batches), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="{}"'.format(filename),
                             "Cache-Control": "no-store"})
