"""Health probes under load: `/health/live` (this gateway process answers) and
`/health/ready` (the services' health from the gateway's background check), 32 clients at
once, as a busy Kubernetes node's probes and a load balancer would (issue targets:
/health/live at least 3,000 requests/s; /health/ready at least 1,000 requests/s with p99
at most 50 ms)."""
from bench.harness import report, running_system, wrk_load
from scripts.system import DEFAULT_GATEWAY_WORKERS

CLIENTS = 32
LOAD_SECONDS = 8


def run():
    print("health probes (SQLite, {} gateway processes, {} clients):".format(
        DEFAULT_GATEWAY_WORKERS, CLIENTS), flush=True)
    with running_system("sqlite") as (system, _portal):
        for path, target in (("/health/live", 3000), ("/health/ready", 1000)):
            rate, p99 = wrk_load(system.base_url + path, CLIENTS, LOAD_SECONDS)
            report("{}: requests/s".format(path), [rate], target, unit="/s",
                   higher_is_better=True)
            report("{}: p99 latency".format(path), [p99 * 1000], 50, unit=" ms")
