"""The files in deploy/ stay true to the code: metric names, ports, probe paths."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import correlator_connectors.transports.metrics  # noqa: F401 (registers the connector metrics)
import yaml
from prometheus_client import REGISTRY, CollectorRegistry

from correlator.runtime.metrics import RuntimeMetrics
from correlator.settings import Settings

DEPLOY = Path(__file__).parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "correlator-dashboard.json"
METRIC = re.compile(r"\b((?:correlator|process|python)_[a-z0-9_]+)\b")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum",
            "_created"), "gauge": ("",)}  # fmt: skip


def exported(registry: CollectorRegistry) -> set[str]:
    """Every series name ``registry`` can expose, labelled children or not."""
    names: set[str] = set()
    for family in registry.collect():
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def queries(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            else:
                yield from queries(value)
    elif isinstance(node, list):
        for item in node:
            yield from queries(item)


def dashboard_metrics() -> set[str]:
    exprs = list(queries(json.loads(DASHBOARD.read_text())))
    assert exprs, "the dashboard has no queries"
    return {name for expr in exprs for name in METRIC.findall(expr)}


def test_every_dashboard_metric_is_exported() -> None:
    known = exported(RuntimeMetrics().registry) | exported(REGISTRY)
    unknown = dashboard_metrics() - known
    assert not unknown, f"{DASHBOARD.name} queries metrics nobody exports: {sorted(unknown)}"


def test_every_runtime_metric_has_a_panel() -> None:
    used = dashboard_metrics()
    runtime = RuntimeMetrics().registry
    ours = [f for f in runtime.collect() if f.name.startswith("correlator_")]
    assert len(ours) == 16
    missing = [f.name for f in ours if not any(f.name + s in used for s in SUFFIXES[f.type])]
    assert not missing, f"no panel for {missing}"


def test_dashboard_panels_have_unique_ids_and_a_datasource() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    graphs = [p for p in panels if p["type"] != "row"]
    assert all(p["datasource"]["uid"] == "${datasource}" for p in graphs)


def k8s_documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def test_k8s_probes_and_ports_match_the_metrics_endpoint() -> None:
    docs = k8s_documents()
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    port = int(config["CORRELATOR_METRICS_PORT"])
    workloads = [d for d in docs if d["kind"] in ("StatefulSet", "Deployment")]
    assert {d["kind"] for d in workloads} == {"StatefulSet", "Deployment"}
    for workload in workloads:
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == port, workload["metadata"]["name"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    # env variables the manifests set must be settings the code reads
    known = {f"CORRELATOR_{name.upper()}" for name in Settings.model_fields}
    secret = next(d for d in docs if d["kind"] == "Secret")["stringData"]
    assert set(config) | set(secret) <= known


def test_prometheus_config_parses_and_scrapes_both_kinds() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert {"correlator-worker", "correlator-connector"} <= jobs
