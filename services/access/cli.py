"""Operations' command line for the access service, over RPC (the same config.yaml and
environment as the services: AMQP_URI, ...).

    .venv/bin/python -m services.access.cli import-organizations organizations.csv
    .venv/bin/python -m services.access.cli access-code-run 2027-28 [--no-wait]
    .venv/bin/python -m services.access.cli prune-sign-in-attempts
    .venv/bin/python -m services.access.cli announce-profiles
    .venv/bin/python -m services.access.cli restore-member ORG_ID ACCOUNT_ID [--year 2026-27]
    .venv/bin/python -m services.access.cli failed | replay-failed [id ...]

`import-organizations` imports a CSV file of organizations (columns in
services/access/org_import.py); importing the same file again adds nothing. Bad rows are
listed with their line numbers and the good ones are imported; the exit status is 1 when
any row was rejected, 2 when the file cannot be read at all.

`access-code-run` issues the year's access codes to every organization that ordered
vouchers in the two academic years before it and mails each code to the coordinator on
file; it waits for the run to finish and prints what it did (exit status 1 if it failed).
Running it again for the same year mails only those not reached yet.

`prune-sign-in-attempts` deletes the sign-in attempts no limit reads any more, as the
access service's timer does once a day; a second run the same day does nothing.

`announce-profiles` announces every complete profile again (`profile_updated`): run it
once after deploying a service that keeps what profiles say, so that it learns the
profiles saved before it was there (vouchers' expiry reminders need the coordinators).
The services that already knew them apply it as the same profile saved again.

`restore-member` undoes a coordinator's removal of someone from an organization for an
academic year (default: the current one): that account's next redemption of the year's
code gives access again. Audited (`member_restored`); it fails (saying so) when there
was no such removal.
"""
import services.common.cli_start  # noqa: F401 - first: eventlet patched, quietly

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402


from services.access.org_import import BadFile, read_csv  # noqa: E402
from services.common.cli import (FAILED_EVENT_COMMANDS, add_failed_event_commands,  # noqa: E402
                                 call_service, describe_fields, run_failed_event_command)

RPC_TIMEOUT = 60
IMPORT_BATCH = 200
POLL_SECONDS = 1.0


def import_organizations(access, path, out):
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            rows = read_csv(stream.read())
    except (OSError, UnicodeDecodeError) as unreadable:
        print("cannot read {}: {}".format(path, unreadable), file=sys.stderr)
        return 2
    except BadFile as bad:
        print("{}: {}".format(path, bad), file=sys.stderr)
        return 2
    outcomes = []
    for start in range(0, len(rows), IMPORT_BATCH):
        outcomes.extend(access.import_organizations(rows[start:start + IMPORT_BATCH]))
    outcomes.sort(key=lambda outcome: outcome["line"])
    for outcome in outcomes:
        if outcome["status"] == "rejected":
            print("line {}: {}".format(outcome["line"], describe_fields(outcome["errors"])),
                  file=out)
    counts = {status: sum(1 for o in outcomes if o["status"] == status)
              for status in ("imported", "already_registered", "rejected")}
    print("{} rows: {imported} imported, {already_registered} already registered, "
          "{rejected} rejected".format(len(outcomes), **counts), file=out)
    return 1 if counts["rejected"] else 0


def access_code_run(access, academic_year, wait, out):
    run = access.start_access_code_run(academic_year)
    print("access-code run {id} of {academic_year}: {status} (organizations that ordered "
          "in {years})".format(years=" or ".join(run["ordered_in"]), **run), file=out)
    while wait and run["status"] == "running":
        time.sleep(POLL_SECONDS)
        run = access.access_code_run(run["id"])
    if not wait:
        return 0
    print("{status}: {organizations} organizations, {codes_issued} new codes, {mailed} "
          "mailed".format(**run), file=out)
    if run["no_contact"]:
        print("no coordinator on file (codes issued, not mailed; organization ids): "
              + ", ".join(map(str, run["no_contact"])), file=out)
    if run["mail_failed"]:
        print("mail failed (run again to retry; organization ids): "
              + ", ".join(map(str, run["mail_failed"])), file=out)
    if run["status"] == "failed":
        print(run["error"] or "", file=out)
        return 1
    return 0


def prune_sign_in_attempts(access, out):
    run = access.prune_sign_in_attempts()
    if run["already_done"]:
        print("already pruned on {day}".format(**run), file=out)
    else:
        print("pruned {deleted} sign-in attempts".format(**run), file=out)
    return 0


def announce_profiles(access, out):
    print("announced {announced} complete profiles".format(**access.announce_profiles()),
          file=out)
    return 0


def restore_member(access, organization_id, account_id, academic_year, out):
    restored = access.restore_member(organization_id, account_id, academic_year)
    print("account {account_id} may redeem the access code of organization "
          "{organization_id} for {academic_year} again".format(**restored), file=out)
    return 0


def parser():
    commands = argparse.ArgumentParser(prog="python -m services.access.cli",
                                       description="Operations' access-service commands.")
    sub = commands.add_subparsers(dest="command", required=True)
    importing = sub.add_parser("import-organizations", help="import organizations from CSV")
    importing.add_argument("file")
    run = sub.add_parser("access-code-run", help="issue and mail a year's access codes")
    run.add_argument("academic_year", help="e.g. 2027-28")
    run.add_argument("--no-wait", action="store_true", help="start it and return")
    sub.add_parser("prune-sign-in-attempts",
                   help="delete sign-in attempts older than the limits read (once a day)")
    sub.add_parser("announce-profiles",
                   help="announce every complete profile again (profile_updated)")
    restore = sub.add_parser("restore-member",
                             help="undo a removal from an organization for a year")
    restore.add_argument("organization_id", type=int)
    restore.add_argument("account_id", type=int)
    restore.add_argument("--year", dest="academic_year", default=None,
                         help="e.g. 2026-27 (default: the current one)")
    add_failed_event_commands(sub)
    return commands


def main(argv, out=sys.stdout):
    args = parser().parse_args(argv)
    if args.command in FAILED_EVENT_COMMANDS:
        return call_service("access", lambda access: run_failed_event_command(
            access, args, out), timeout=RPC_TIMEOUT)
    if args.command == "import-organizations":
        return call_service("access", lambda access: import_organizations(
            access, args.file, out), timeout=RPC_TIMEOUT)
    if args.command == "announce-profiles":
        return call_service("access", lambda access: announce_profiles(access, out),
                            timeout=RPC_TIMEOUT)
    if args.command == "restore-member":
        return call_service("access", lambda access: restore_member(
            access, args.organization_id, args.account_id, args.academic_year, out),
            timeout=RPC_TIMEOUT)
    if args.command == "prune-sign-in-attempts":
        return call_service("access", lambda access: prune_sign_in_attempts(access, out),
                            timeout=RPC_TIMEOUT)
    return call_service("access", lambda access: access_code_run(
        access, args.academic_year, not args.no_wait, out), timeout=RPC_TIMEOUT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
