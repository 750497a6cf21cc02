"""Operations' command line for scores, over RPC to a running scores service.

    .venv/bin/python -m services.scores.cli load-results results.csv [--batch-size 1000]
    .venv/bin/python -m services.scores.cli access-log [--organization-id 12]
                                                       [--academic-year 2026-27]
    .venv/bin/python -m services.scores.cli parked          results waiting for their redemption
    .venv/bin/python -m services.scores.cli failed | replay-failed [id ...]

`load-results` reads a results file (CSV, UTF-8, a header row naming the columns of
`COLUMNS`; the optional ones may be left out or empty) and sends it in batches of up to
1,000, as the testing system does over HTTP. Good rows are stored, bad ones printed with
their line and reason; loading the same file again changes nothing, so after a failure
just run it again. Exit status: 0 all rows accepted, 1 some rejected, 2 unusable file,
3 the scores service did not answer.

The config is config.yaml (or CLEP_CONFIG), read like every process reads it.
"""
import services.common.cli_start  # noqa: F401 - first: eventlet patched, quietly

import argparse  # noqa: E402
import csv  # noqa: E402
import sys  # noqa: E402

from nameko.exceptions import RpcTimeout  # noqa: E402

from services.common.cli import (FAILED_EVENT_COMMANDS, add_failed_event_commands,  # noqa: E402
                                 call_service, run_failed_event_command)
from services.common.config import load_config  # noqa: E402

REQUIRED = ("result_id", "student_id", "first_name", "last_name", "email", "exam",
            "test_date", "score", "delivery_mode")
OPTIONAL = ("voucher_code", "registration_id", "attending_institution_id")
COLUMNS = REQUIRED + OPTIONAL
MAX_BATCH = 1000
RPC_TIMEOUT_SECONDS = 60


class UnusableFile(Exception):
    pass


def result_of(record):
    """One CSV record as the API's result object. Numbers are converted only when they are
    numbers: anything else goes as sent, so the service names the problem."""
    def optional(name):
        value = (record.get(name) or "").strip()
        return value or None

    score = (record.get("score") or "").strip()
    institution = optional("attending_institution_id")
    return {
        "result_id": (record.get("result_id") or "").strip(),
        "student": {"id": optional("student_id"), "first_name": optional("first_name"),
                    "last_name": optional("last_name"), "email": optional("email")},
        "exam": optional("exam"), "test_date": optional("test_date"),
        "score": int(score) if score.isdigit() else score,
        "delivery_mode": optional("delivery_mode"),
        "voucher_code": optional("voucher_code"),
        "registration_id": optional("registration_id"),
        "attending_institution_id": int(institution) if institution and
        institution.isdigit() else institution,
    }


def batches(stream, batch_size):
    """Yields lists of (line number, result) from a results CSV."""
    reader = csv.DictReader(stream)
    missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
    if missing:
        raise UnusableFile("the header row lacks the column(s) {}; expected {}".format(
            ", ".join(missing), ",".join(COLUMNS)))
    batch = []
    for record in reader:
        batch.append((reader.line_num, result_of(record)))
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_results(scores, path, batch_size=MAX_BATCH, out=None):
    """Send the file's results to the scores service; returns the totals."""
    out = out or sys.stdout
    totals = {"rows": 0, "accepted": 0, "recorded": 0, "already_recorded": 0, "rejected": 0}
    with open(path, newline="", encoding="utf-8-sig") as stream:
        for batch in batches(stream, max(1, min(batch_size, MAX_BATCH))):
            answer = scores.record_results([row for _line, row in batch])
            totals["rows"] += len(batch)
            for key in ("accepted", "recorded", "already_recorded"):
                totals[key] += answer[key]
            totals["rejected"] += len(answer["rejected"])
            for rejected in answer["rejected"]:
                line, _row = batch[rejected["index"]]
                print("line {} (result_id {}): {}: {}".format(
                    line, rejected["result_id"] or "?", rejected["code"], rejected["reason"]),
                    file=out)
    print("{path}: {rows:,} rows, {accepted:,} accepted ({recorded:,} new, "
          "{already_recorded:,} already recorded), {rejected:,} rejected".format(
              path=path, **totals), file=out)
    return totals


def print_access_log(scores, organization_id, account_id, academic_year, limit, out=None):
    out = out or sys.stdout
    log = scores.score_access_log(organization_id, account_id, academic_year, 1, limit)
    for entry in log["entries"]:
        print("{at}  {email:<32} org {org:<6} {year}  {action:<6} {access:<9} {detail}".format(
            at=entry["at"], email=entry["account"]["email"], org=entry["organization_id"],
            year=entry["academic_year"], action=entry["action"], access=entry["access"],
            detail=entry["detail"] or ""), file=out)
    print("{} of {} entries".format(len(log["entries"]), log["total"]), file=out)


def print_parked(scores, out):
    rows = scores.parked_results(500)
    for row in rows:
        print("{result_id:<24} {voucher_code:<20} parked {parked_at}, dropped {expires_at}"
              .format(**row), file=out)
    print("{} parked results".format(len(rows)), file=out)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m services.scores.cli",
                                     description="Operations' scores commands.")
    parser.add_argument("--config", help="config file (default: CLEP_CONFIG or config.yaml)")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load-results", help="load a results CSV file")
    load.add_argument("path")
    load.add_argument("--batch-size", type=int, default=MAX_BATCH)
    log = commands.add_parser("access-log", help="who viewed or exported scores")
    log.add_argument("--organization-id", type=int)
    log.add_argument("--account-id", type=int)
    log.add_argument("--academic-year")
    log.add_argument("--limit", type=int, default=100)
    commands.add_parser("parked", help="results waiting for their voucher's redemption")
    add_failed_event_commands(commands)
    return parser.parse_args(argv)


def check_file(path):
    """Fail before connecting when the file cannot be read or lacks columns."""
    with open(path, newline="", encoding="utf-8-sig") as stream:
        next(batches(stream, 1), None)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = load_config(args.config)
    if args.command == "load-results":
        try:
            check_file(args.path)
        except (UnusableFile, OSError, UnicodeDecodeError, csv.Error) as unusable:
            print("cannot load {}: {}".format(args.path, unusable), file=sys.stderr)
            return 2

    def act(scores):
        if args.command in FAILED_EVENT_COMMANDS:
            return run_failed_event_command(scores, args, sys.stdout)
        if args.command == "parked":
            print_parked(scores, sys.stdout)
            return 0
        if args.command == "access-log":
            print_access_log(scores, args.organization_id, args.account_id,
                             args.academic_year, args.limit)
            return 0
        try:
            totals = load_results(scores, args.path, args.batch_size)
        except (RpcTimeout, OSError) as failure:
            print("the scores service did not answer ({}). Batches answered before were "
                  "stored; running the same command again is safe: results already stored "
                  "change nothing.".format(type(failure).__name__), file=sys.stderr)
            return 3
        return 1 if totals["rejected"] else 0
    return call_service("scores", act, config=config, timeout=RPC_TIMEOUT_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
