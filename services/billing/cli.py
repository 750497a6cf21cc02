"""Operations' command line for the billing service, over RPC (the same config.yaml and
environment as the services: AMQP_URI, ...).

    python -m services.billing.cli run 2026-11      bill a month (default: last month)
    python -m services.billing.cli invoices 2026-11 the invoices issued for a month
    python -m services.billing.cli failed           events billing could not apply
    python -m services.billing.cli replay-failed [id ...]

`run` bills every organization due in the period (monthly ones for that month's exams;
state-funded ones only in the December and June runs, for their half-year) for what was
not billed before, and prints one line per invoice and the totals. Running a period again
bills only what is new; two runs at once bill nothing twice. The service bills last month
by itself once it is over; `run` without a period bills last month (program time zone).

Exit status: 0 done, 1 some failed events still fail (replay-failed), 2 refused or the
service could not be reached.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402 - before anything else opens a socket

import argparse  # noqa: E402
import sys  # noqa: E402


from services.common.cli import call_service  # noqa: E402

RPC_TIMEOUT = 300  # a run over a busy month takes seconds; give it room


def dollars(cents):
    return "${:,.2f}".format(cents / 100)


def print_invoices(invoices, out):
    for invoice in invoices:
        print("invoice {id:>7}  organization {organization_id:>6}  {period_start} to "
              "{period_end}  {exams:>6} exams  {total:>14}  {email}".format(
                  total=dollars(invoice["total_cents"]),
                  email=invoice["billing_contact"]["email"] or "(no billing contact)",
                  **invoice), file=out)


def run(billing, period, out):
    result = billing.run_billing(period)
    run_ = result["run"]
    print_invoices(result["invoices"], out)
    print("billing run {id} of {period}: {invoices_issued} invoices, {exams_billed} exams, "
          "{total}".format(total=dollars(run_["total_cents"]), **run_), file=out)
    return 0


def invoices(billing, period, out):
    view = billing.invoices_for_period(period)
    print_invoices(view["invoices"], out)
    totals = view["totals"]
    print("{period}: {invoices} invoices to {organizations} organizations, {exams} exams, "
          "{total} ({not_emailed} not emailed yet)".format(
              period=view["period"], total=dollars(totals["total_cents"]), **totals), file=out)
    return 0


def failed(billing, out):
    rows = billing.failed_events()
    for row in rows:
        last = row["error"].strip().splitlines()[-1] if row["error"].strip() else ""
        print("{id:>6}  {failed_at}  {source_service}.{event_type} -> {consumer}: {last}"
              .format(last=last, **row), file=out)
    print("{} failed events".format(len(rows)), file=out)
    return 0


def replay(billing, ids, out):
    result = billing.replay_failed_events(ids or None)
    for row in result["still_failing"]:
        print("{id:>6}  {event_type} -> {consumer}: still fails: {error}".format(**row),
              file=out)
    print("{} replayed, {} still failing".format(len(result["replayed"]),
                                                 len(result["still_failing"])), file=out)
    return 1 if result["still_failing"] else 0


def parser():
    commands = argparse.ArgumentParser(prog="python -m services.billing.cli",
                                       description="Operations' billing commands.")
    sub = commands.add_subparsers(dest="command", required=True)
    running = sub.add_parser("run", help="bill a month (default: last month)")
    running.add_argument("period", nargs="?", help="YYYY-MM, e.g. 2026-11")
    listing = sub.add_parser("invoices", help="the invoices issued for a month")
    listing.add_argument("period", help="YYYY-MM")
    sub.add_parser("failed", help="events billing could not apply, newest first")
    replaying = sub.add_parser("replay-failed", help="apply kept events again")
    replaying.add_argument("ids", nargs="*", type=int, help="only these (default: all)")
    return commands


def main(argv, out=sys.stdout, config=None):
    args = parser().parse_args(argv)

    def act(billing):
        if args.command == "run":
            return run(billing, args.period, out)
        if args.command == "invoices":
            return invoices(billing, args.period, out)
        if args.command == "failed":
            return failed(billing, out)
        return replay(billing, args.ids, out)
    return call_service("billing", act, config=config, timeout=RPC_TIMEOUT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
