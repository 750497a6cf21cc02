"""Opening a CSV download the way a coordinator does: in a spreadsheet. LibreOffice Calc,
headless, imports it (comma separated, UTF-8, guessing dates, times and percentages as
Excel does) and saves it as flat OpenDocument XML, where each cell says what it became.

`make test` installs Debian's libreoffice-calc (scripts/ensure_package.sh).
"""
import os
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

LIBREOFFICE = os.environ.get("CLEP_LIBREOFFICE", "/usr/bin/libreoffice")
# comma, double quote, UTF-8, from line 1, default column types, en-US, quoted fields not
# forced to text, detect special numbers (dates, times, percentages): a guessing import
CSV_IMPORT = "CSV:44,34,76,1,,1033,false,true"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def open_in_calc(csv_bytes, workdir):
    """The sheet as rows of (shown text, type): "string", "float", "date", "time",
    "percentage", ... (None for an empty cell)."""
    if not (os.access(LIBREOFFICE, os.X_OK) or shutil.which(LIBREOFFICE)):
        pytest.skip(f"{LIBREOFFICE} is missing: `make test` installs libreoffice-calc")
    workdir = Path(workdir)
    source = workdir / "download.csv"
    source.write_bytes(csv_bytes)
    # a profile of its own: concurrent runs must not share LibreOffice's user directory
    subprocess.run([LIBREOFFICE, f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
                    "--headless", f"--infilter={CSV_IMPORT}", "--convert-to", "fods",
                    "--outdir", str(workdir), str(source)],
                   check=True, capture_output=True, timeout=180)
    return _rows(ElementTree.parse(workdir / "download.fods").getroot())


def saved_again_by_calc(csv_bytes, workdir):
    """The CSV as a coordinator sends it back: opened in Calc (the same guessing import)
    and saved as CSV again (comma, double quote, UTF-8), dates as Calc shows them."""
    if not (os.access(LIBREOFFICE, os.X_OK) or shutil.which(LIBREOFFICE)):
        pytest.skip(f"{LIBREOFFICE} is missing: `make test` installs libreoffice-calc")
    workdir = Path(workdir)
    (workdir / "out").mkdir(exist_ok=True)
    source = workdir / "filled.csv"
    source.write_bytes(csv_bytes)
    subprocess.run([LIBREOFFICE, f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
                    "--headless", f"--infilter={CSV_IMPORT}", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir",
                    str(workdir / "out"), str(source)],
                   check=True, capture_output=True, timeout=180)
    return (workdir / "out" / "filled.csv").read_bytes()


def _rows(root):
    rows = []
    for row in root.iter(_TABLE + "table-row"):
        cells = []
        for cell in row.findall(_TABLE + "table-cell"):
            text = "\n".join("".join(p.itertext()) for p in cell.iter(_TEXT + "p"))
            repeated = int(cell.get(_TABLE + "number-columns-repeated", "1"))
            cells += [(text, cell.get(_OFFICE + "value-type"))] * min(repeated, 100)
        while cells and cells[-1] == ("", None):  # the sheet's empty columns to the right
            cells.pop()
        if cells:
            rows.append(cells)
    return rows


def as_dicts(rows):
    """The sheet's rows under its header row: [{column: (text, type)}]."""
    header = [text for text, _type in rows[0]]
    return [dict(zip(header, row)) for row in rows[1:]]
