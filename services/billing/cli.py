"""Operations' command line for the billing service, over RPC (the same config.yaml and
environment as the services: AMQP_URI, ...).

    .venv/bin/python -m services.billing.cli run 2026-11      bill a month (default: last month)
    .venv/bin/python -m services.billing.cli invoices 2026-11 the invoices issued for a month
    .venv/bin/python -m services.billing.cli failed           events billing could not apply
    .venv/bin/python -m services.billing.cli replay-failed [id ...]

`run` bills every organization due in the period (monthly ones for that month's exams;
state-funded ones only in the December and June runs, for their half-year) for what was
not billed before, and prints one line per invoice and the totals. Running a period again
bills only what is new; two runs at once bill nothing twice. The service bills last month
by itself once it is over; `run` without a period bills last month (program time zone).

Exit status: 0 done, 1 some failed events still fail (replay-failed), 2 refused or the
service could not be reached.
"""
import services.common.cli_start  # noqa: F401 - first: eventlet patched, quietly

import argparse  # noqa: E402
import sys  # noqa: E402


from services.common.cli import (add_failed_event_commands, call_service,  # noqa: E402
                                 run_failed_event_command)

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


def parser():
    commands = argparse.ArgumentParser(prog="python -m services.billing.cli",
                                       description="Operations' billing commands.")
    sub = commands.add_subparsers(dest="command", required=True)
    running = sub.add_parser("run", help="bill a month (default: last month)")
    running.add_argument("period", nargs="?", help="YYYY-MM, e.g. 2026-11")
    listing = sub.add_parser("invoices", help="the invoices issued for a month")
    listing.add_argument("period", help="YYYY-MM")
    add_failed_event_commands(sub)
    return commands


def main(argv, out=sys.stdout, config=None):
    args = parser().parse_args(argv)

    def act(billing):
        if args.command == "run":
            return run(billing, args.period, out)
        if args.command == "invoices":
            return invoices(billing, args.period, out)
        return run_failed_event_command(billing, args, out)
    return call_service("billing", act, config=config, timeout=RPC_TIMEOUT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
