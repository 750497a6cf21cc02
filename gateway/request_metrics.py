"""The gateway's Prometheus figures: how long its HTTP requests and its RPC calls take.

A gateway process answers thousands of requests a second, so timing one must cost next to
nothing. prometheus_client's Histogram takes a mutex per bucket and per sum on every
observation; these histograms are plain lists instead, which is safe because every
request of a gateway process runs in a greenthread of one OS thread, and an observation
(a lookup, a bisection, two additions) never yields to another greenthread. The figures
are turned into Prometheus families only when scraped, on the probe address
(services/common/probes.py, ProbeServer).

HTTP requests are labelled by the route's rule (`/api/organizations/<int:org_id>/orders`,
never the path itself, whose ids would make a series per organization), the method and
the status code; a request no rule matched is `route="unmatched"`.
"""
from bisect import bisect_left

from prometheus_client import REGISTRY
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.utils import floatToGoString

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
UNMATCHED = "unmatched"
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


class LockFreeHistogram:
    """A histogram for one greenthread-only OS thread: `observe(labels, seconds)` with
    `labels` a tuple in the order of `labelnames`."""

    def __init__(self, name, documentation, labelnames, buckets=BUCKETS):
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self.bounds = tuple(buckets)
        self._upper = [floatToGoString(bound) for bound in self.bounds] + ["+Inf"]
        self._series = {}  # labels -> [count in each bucket (not cumulative)..., sum]

    def observe(self, labels, seconds):
        series = self._series.get(labels)
        if series is None:
            series = self._series[labels] = [0] * (len(self.bounds) + 1) + [0.0]
        series[bisect_left(self.bounds, seconds)] += 1
        series[-1] += seconds

    def collect(self):
        family = HistogramMetricFamily(self.name, self.documentation,
                                       labels=self.labelnames)
        for labels, series in list(self._series.items()):
            series = list(series)  # a copy: requests go on while this one is read
            cumulative, buckets = 0, []
            for upper, count in zip(self._upper, series[:-1]):
                cumulative += count
                buckets.append((upper, cumulative))
            family.add_metric(list(labels), buckets, sum_value=series[-1])
        yield family

    def describe(self):
        yield HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)


HTTP_SECONDS = LockFreeHistogram(
    "clep_http_request_seconds",
    "How long the gateway took to have a response ready, by route rule, method and status",
    ["route", "method", "code"])
RPC_SECONDS = LockFreeHistogram(
    "clep_rpc_call_seconds",
    "How long the gateway waited for an RPC's answer (or its refusal), by service and method",
    ["service", "method"])
REGISTRY.register(HTTP_SECONDS)
REGISTRY.register(RPC_SECONDS)


def observe_request(rule, method, status_code, seconds):
    """One HTTP request: `rule` the werkzeug Rule it matched, None when none did."""
    if rule is None:
        route = UNMATCHED
        method = method if method in METHODS else "other"  # any word can be a method
    else:
        route = rule.rule
    HTTP_SECONDS.observe((route, method, str(status_code)), seconds)
