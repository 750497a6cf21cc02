"""Operations' bulk import of organizations from a CSV file.

Columns (a header row, any order, names in any case): name, kind, zip, city, state, and
optionally state_funded (yes/no, true/false, 1/0; empty is no), district_name and
district_zip (a school's district, by name and zip; district_zip defaults to the school's
zip). Districts are imported before schools, wherever they are in the file.

Importing is idempotent: a row whose zip and name are already registered is reported as
`already_registered` and changes nothing, so the same file imported twice adds nothing the
second time. A bad row is reported with its line number and what is wrong with it; the
good rows are imported all the same.
"""
import csv
import io

from services.access.organizations import (find_by_zip_and_name, register_organization)
from services.common.errors import ClepError

REQUIRED = ("name", "kind", "zip", "city", "state")
OPTIONAL = ("state_funded", "district_name", "district_zip")
TRUE = ("yes", "y", "true", "1")
FALSE = ("no", "n", "false", "0", "")


class BadFile(ValueError):
    """The file as a whole cannot be read (no header, missing or unknown columns)."""


def read_csv(text):
    """[{"line": n, column: value, ...}] in import order (districts first)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise BadFile("The file is empty: it needs a header row ({}).".format(
            ", ".join(REQUIRED)))
    header = [(name or "").strip().lower() for name in reader.fieldnames]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if missing or unknown:
        raise BadFile("The header row must name the columns {} (and may name {}); {}.".format(
            ", ".join(REQUIRED), ", ".join(OPTIONAL), "; ".join(
                part for part in (
                    "missing: " + ", ".join(missing) if missing else "",
                    "unknown: " + ", ".join(unknown) if unknown else "") if part)))
    reader.fieldnames = header
    rows = []
    for record in reader:
        extra = record.pop(None, None)  # more cells than columns
        row = {name: (value or "").strip() for name, value in record.items()}
        row["line"] = reader.line_num
        if extra:
            row["extra_cells"] = len(extra)
        rows.append(row)
    # districts first, so that their schools can name them wherever they are in the file
    return sorted(rows, key=lambda row: (row.get("kind", "").lower() != "district",
                                         row["line"]))


def _organization_data(session, row):
    """The row as register_organization takes it; raises ClepError naming what is wrong."""
    wrong = {}
    if row.get("extra_cells"):
        wrong["_"] = ["{} more cells than there are columns.".format(row["extra_cells"])]
    funded = row.get("state_funded", "").lower()
    if funded not in TRUE + FALSE:
        wrong["state_funded"] = ["yes or no."]
    data = {"name": row.get("name"), "kind": row.get("kind", "").lower(),
            "zip": row.get("zip"), "city": row.get("city"), "state": row.get("state"),
            "state_funded": funded in TRUE, "district_id": None}
    district_name = row.get("district_name")
    if district_name:
        district_zip = row.get("district_zip") or row.get("zip")
        district = find_by_zip_and_name(session, district_zip, district_name)
        if district is None or district.kind != "district":
            wrong["district_name"] = ["No district {!r} is registered in zip {} (nor earlier "
                                      "in this file).".format(district_name, district_zip)]
        else:
            data["district_id"] = district.id
    elif row.get("district_zip"):
        wrong["district_name"] = ["Name the district too."]
    if wrong:
        raise ClepError("invalid_row", "This row is invalid.", fields=wrong)
    return data


def import_rows(work, clock, rows):
    """One outcome per row: {"line", "status": imported | already_registered | rejected,
    "id" (not when rejected), "errors" (when rejected: {field: [what is wrong]})}."""
    outcomes = []
    for row in rows:
        line = row.get("line")
        existing = find_by_zip_and_name(work.session, (row.get("zip") or "")[:5],
                                        row.get("name") or "")
        if existing is not None:
            outcomes.append({"line": line, "status": "already_registered", "id": existing.id})
            continue
        try:
            data = _organization_data(work.session, row)
            registered = register_organization(work, clock, data)
        except ClepError as invalid:
            outcomes.append({"line": line, "status": "rejected",
                             "errors": invalid.fields or {"_": [invalid.message]}})
            continue
        outcomes.append({"line": line, "status": "imported", "id": registered["id"]})
    return outcomes
