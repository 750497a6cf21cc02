"""deploy/grafana/clep-dashboard.json asks Prometheus only for what the processes export:
every metric its PromQL names is registered by the services' or the gateway's code, under
that name (with a histogram's or counter's suffix), and every label it groups or filters
by is one of that metric's; and every figure the code exports has a panel."""
import json
import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

import gateway.service  # noqa: F401 - registers the gateway's figures
from services.common.config import SERVICE_NAMES

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy/grafana/clep-dashboard.json"
SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("_total",),
            "gauge": ("",)}
METRIC = re.compile(r"\b(clep_[a-z0-9_]+)")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
MATCHERS = re.compile(r"\{([^}]*)\}")
MATCHED_LABEL = re.compile(r"(\w+)\s*(?:=~|!~|!=|=)")


def exported():
    """{name a query can use: (its family, the family's label names)} of every clep_
    figure registered once every service's module and the gateway's are imported."""
    for name in SERVICE_NAMES:
        __import__("services.{}.service".format(name))
    names = {}
    for collector in set(REGISTRY._collector_to_names):
        described = getattr(collector, "describe", collector.collect)
        for family in described():
            if not family.name.startswith("clep_"):
                continue
            labels = set(labels_of(collector, family))
            for suffix in SUFFIXES[family.type]:
                names[family.name + suffix] = (family.name, labels)
    return names


def labels_of(collector, family):
    """prometheus_client's metrics keep their label names, ours (gateway/request_metrics.py)
    too; a collector's families carry theirs."""
    for holder, attribute in ((collector, "_labelnames"), (collector, "labelnames"),
                              (family, "_labelnames")):
        if getattr(holder, attribute, None) is not None:
            return getattr(holder, attribute)
    raise AssertionError("no label names for {}".format(family.name))


def queries():
    document = json.loads(DASHBOARD.read_text())
    panels = [panel for top in document["panels"]
              for panel in [top] + top.get("panels", [])]
    graphs = [panel for panel in panels if panel["type"] != "row"]
    assert graphs
    for panel in graphs:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            yield panel["title"], target["expr"]


@pytest.fixture(scope="module")
def figures():
    return exported()


def test_every_metric_a_panel_asks_for_is_exported(figures):
    assert {"clep_http_request_seconds_bucket", "clep_vouchers_generated_total",
            "clep_chunk_queue_messages", "clep_outbox_oldest_unsent_seconds"} <= set(figures)
    for title, expr in queries():
        used = METRIC.findall(expr)
        assert used, (title, expr)
        unknown = [name for name in used if name not in figures]
        assert not unknown, (title, unknown)


def test_every_label_a_panel_groups_or_filters_by_is_one_of_its_metric(figures):
    for title, expr in queries():
        labels = set().union(*(figures[name][1] for name in METRIC.findall(expr)))
        if "_bucket" in expr:
            labels.add("le")
        named = {label.strip() for group in GROUPING.findall(expr)
                 for label in group.split(",") if label.strip()}
        named |= {label for matchers in MATCHERS.findall(expr)
                  for label in MATCHED_LABEL.findall(matchers)}
        assert named <= labels, (title, named - labels)


def test_every_exported_figure_has_a_panel(figures):
    shown = {figures[name][0] for _, expr in queries() for name in METRIC.findall(expr)}
    assert shown == {family for family, _ in figures.values()}
