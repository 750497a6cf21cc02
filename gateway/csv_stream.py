"""CSV that is safe to open in a spreadsheet, written row by row."""
import csv
import io

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
