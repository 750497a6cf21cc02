"""What every service's operations command line shares: calling the service over RPC
(with the same config.yaml and environment as the services) and turning what can go
wrong into one clear line and an exit status."""
import sys

from nameko.exceptions import RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.broker import without_passwords
from services.common.config import load_config
from services.common.errors import ClepError

EXIT_FAILED = 2  # the service refused, or could not be reached


def describe_fields(fields):
    """{"zip": ["A US zip code."]} as `zip: A US zip code.`"""
    return "; ".join("{}: {}".format(field, " ".join(messages)) if field != "_"
                     else " ".join(messages) for field, messages in sorted(fields.items()))


def describe(refused):
    """A ClepError as one line: its code, its message and the fields it names."""
    fields = describe_fields(refused.fields or {})
    return "{}: {}{}".format(refused.code, refused.message,
                             " ({})".format(fields) if fields else "")


def call_service(service_name, action, config=None, timeout=60, err=None):
    """Run `action(service_proxy)` and return its exit status, or EXIT_FAILED with a line
    on `err` saying why the service could not do it."""
    err = err or sys.stderr
    config = config or load_config()
    try:
        with ClusterRpcProxy(config, timeout=timeout) as cluster:
            return action(getattr(cluster, service_name))
    except UnknownService:
        print("the {} service is not running (broker {})".format(
            service_name, without_passwords(config["AMQP_URI"])), file=err)
    except RpcTimeout:
        print("the {} service did not answer within {}s".format(service_name, timeout), file=err)
    except ClepError as refused:
        print(describe(refused), file=err)
    except OSError as unreachable:
        print("cannot reach the broker {}: {}".format(without_passwords(config["AMQP_URI"]),
                                                      unreachable), file=err)
    return EXIT_FAILED


def add_failed_event_commands(subparsers):
    """The `failed` and `replay-failed` commands every service's CLI offers (over the RPC
    of services/common/failed_events.py)."""
    subparsers.add_parser("failed", help="events the service could not apply, newest first")
    replaying = subparsers.add_parser("replay-failed", help="apply kept events again")
    replaying.add_argument("ids", nargs="*", type=int, help="only these (default: all)")


def run_failed_event_command(service, args, out):
    """Carry out `failed` or `replay-failed`; exit status 1 when some still fail."""
    if args.command == "failed":
        rows = service.failed_events()
        for row in rows:
            last = row["error"].strip().splitlines()[-1] if row["error"].strip() else ""
            print("{id:>6}  {failed_at}  {source_service}.{event_type} -> {consumer} "
                  "({attempts} attempts): {last}".format(last=last, **row), file=out)
        print("{} failed events".format(len(rows)), file=out)
        return 0
    result = service.replay_failed_events(args.ids or None)
    for row in result["still_failing"]:
        print("{id:>6}  {event_type} -> {consumer}: still fails: {error}".format(**row),
              file=out)
    print("{} replayed, {} still failing".format(len(result["replayed"]),
                                                 len(result["still_failing"])), file=out)
    return 1 if result["still_failing"] else 0


FAILED_EVENT_COMMANDS = ("failed", "replay-failed")
