"""The gateway's lock-free histograms (gateway/request_metrics.py) say what
prometheus_client's own Histogram would say of the same observations, and label a request
by its route's rule, never by its path."""
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from werkzeug.routing import Map, Rule

from gateway.request_metrics import BUCKETS, LockFreeHistogram, observe_request, HTTP_SECONDS


def exposition(collector):
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


def test_the_buckets_count_and_sum_are_those_of_prometheus_clients_histogram():
    ours = LockFreeHistogram("t_seconds", "Timed", ["route"])
    theirs_registry = CollectorRegistry()
    theirs = Histogram("t_seconds", "Timed", ["route"], buckets=BUCKETS,
                       registry=theirs_registry)
    # on a bound, between bounds, past the last one, and a second series
    for route, seconds in (("/a", 0.001), ("/a", 0.003), ("/a", 0.003), ("/a", 42.0),
                           ("/b", 0.25), ("/a", 0.0)):
        ours.observe((route,), seconds)
        theirs.labels(route).observe(seconds)

    def samples(text):
        return sorted(line for line in text.splitlines()
                      if line and not line.startswith("#") and "_created" not in line)

    assert samples(exposition(ours)) == samples(generate_latest(theirs_registry).decode())


def rule_of(path, method):
    url_map = Map([Rule("/api/organizations/<int:org_id>/orders", methods=["GET", "POST"])])
    return url_map.bind("localhost").match(path, method, return_rule=True)[0]


def count_of(route, method, code):
    for family in HTTP_SECONDS.collect():
        for sample in family.samples:
            if sample.name.endswith("_count") and sample.labels == {
                    "route": route, "method": method, "code": code}:
                return sample.value
    return 0


def test_a_request_is_labelled_by_its_rule_and_an_unmatched_one_by_no_path_at_all():
    route = "/api/organizations/<int:org_id>/orders"
    before = count_of(route, "POST", "201")
    for org_id in (1, 2, 3):
        observe_request(rule_of("/api/organizations/{}/orders".format(org_id), "POST"),
                        "POST", 201, 0.01)
    assert count_of(route, "POST", "201") == before + 3

    unmatched = count_of("unmatched", "other", "405")
    observe_request(None, "BREW", 405, 0.001)  # any word can come as a method
    assert count_of("unmatched", "other", "405") == unmatched + 1
    assert count_of("unmatched", "BREW", "405") == 0
