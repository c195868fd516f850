"""``mcpgen generate --monitoring``: a Grafana dashboard, Prometheus alert rules and a compose file.

:func:`monitoring_files` is pure: it returns ``{relative path: text}`` for the folder
``monitoring/`` of a workspace; the workflow writes them. What they contain:

- ``prometheus/prometheus.yml``: scrapes the server's ``/metrics`` and loads the rules;
- ``prometheus/alerts.yml``: error ratio, p99 latency, a connector down, Node worker restarts,
  a failed reload, the server gone, refused credentials, the token issuer out of reach, a high
  share of rate-limited calls (checked by ``promtool check rules`` in the tests);
- ``grafana/dashboards/mcpgen.json``: calls, errors, latency, in-flight, workers, connectors;
- ``grafana/provisioning/``: the Prometheus data source and the dashboard folder for Grafana;
- ``docker-compose.yml``: the server image (``mcpgen build``), Prometheus and Grafana.

Every query uses only metrics the runtime exports (see docs/observability.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PROMETHEUS_IMAGE = "prom/prometheus:v2.53.0"
GRAFANA_IMAGE = "grafana/grafana:11.1.0"


@dataclass(frozen=True)
class MonitoringPlan:
    server: str
    """The server's name (job label, dashboard title)."""
    image: str
    """The server's image, as ``mcpgen build`` tags it."""
    port: int = 8080
    metrics_path: str = "/metrics"
    error_ratio: float = 0.05
    p99_seconds: float = 2.0
    rate_limited_ratio: float = 0.1


def _rules(plan: MonitoringPlan) -> str:
    job = plan.server
    rules = [
        (
            "McpgenDown",
            f'up{{job="{job}"}} == 0',
            "2m",
            "critical",
            "The MCP server {{ $labels.instance }} does not answer its metrics endpoint.",
        ),
        (
            "McpgenHighErrorRatio",
            f'sum by (instance) (rate(mcpgen_calls_total{{job="{job}",outcome!~"ok|input_required"}}[5m]))'
            f' / sum by (instance) (rate(mcpgen_calls_total{{job="{job}"}}[5m])) > {plan.error_ratio}',
            "5m",
            "warning",
            f"More than {plan.error_ratio:.0%} of MCP requests fail on {{{{ $labels.instance }}}}.",
        ),
        (
            "McpgenSlowCalls",
            "histogram_quantile(0.99, sum by (le, instance, target) "
            f'(rate(mcpgen_call_duration_seconds_bucket{{job="{job}"}}[5m]))) > {plan.p99_seconds}',
            "10m",
            "warning",
            f"p99 latency of {{{{ $labels.target }}}} is above {plan.p99_seconds:g}s.",
        ),
        (
            "McpgenConnectorDown",
            f'mcpgen_connector_up{{job="{job}"}} == 0',
            "5m",
            "warning",
            "Connector {{ $labels.connector }} is not connected.",
        ),
        (
            "McpgenNodeWorkerRestarts",
            f'increase(mcpgen_node_worker_restarts_total{{job="{job}"}}[15m]) > 3',
            "0m",
            "warning",
            "Node workers keep restarting: a TS/JS tool crashes them.",
        ),
        (
            "McpgenReloadFailed",
            f'mcpgen_last_reload_success{{job="{job}"}} == 0',
            "0m",
            "warning",
            "The last reload failed; the previous tools are still served (see /admin/stats).",
        ),
        (
            "McpgenAuthFailures",
            f'sum by (instance) (rate(mcpgen_auth_failures_total{{job="{job}",reason!="missing"}}[5m])) > 1',
            "10m",
            "warning",
            "More than 1/s of presented credentials are refused on {{ $labels.instance }}: a bad key "
            "rollout, or someone guessing.",
        ),
        (
            "McpgenAuthUnavailable",
            f'sum by (instance) (rate(mcpgen_auth_failures_total{{job="{job}",reason="unavailable"}}[5m])) > 0',
            "5m",
            "critical",
            "{{ $labels.instance }} cannot reach the token issuer (JWKS or introspection): bearer tokens "
            "are refused.",
        ),
        (
            "McpgenRateLimited",
            f'sum by (instance) (rate(mcpgen_rate_limited_total{{job="{job}"}}[5m]))'
            f' / sum by (instance) (rate(mcpgen_calls_total{{job="{job}"}}[5m])) > {plan.rate_limited_ratio}',
            "15m",
            "warning",
            f"More than {plan.rate_limited_ratio:.0%} of MCP requests are refused by the rate limiter on "
            "{{ $labels.instance }}.",
        ),
    ]
    lines = ["groups:", "  - name: mcpgen", "    rules:"]
    for name, expr, duration, severity, summary in rules:
        lines += [
            f"      - alert: {name}",
            f"        expr: {json.dumps(expr)}",
            f"        for: {duration}",
            "        labels:",
            f"          severity: {severity}",
            "        annotations:",
            f"          summary: {json.dumps(summary)}",
        ]
    return "\n".join(lines) + "\n"


def _prometheus(plan: MonitoringPlan) -> str:
    return f"""global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files:
  - alerts.yml
scrape_configs:
  - job_name: {json.dumps(plan.server)}
    metrics_path: {json.dumps(plan.metrics_path)}
    static_configs:
      - targets: ["server:{plan.port}"]
"""


def _panel(n: int, title: str, expr: str, unit: str, legend: str) -> dict[str, Any]:
    return {
        "id": n,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "gridPos": {"h": 8, "w": 12, "x": 12 * ((n - 1) % 2), "y": 8 * ((n - 1) // 2)},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": "A", "expr": expr, "legendFormat": legend}],
    }


def dashboard(plan: MonitoringPlan) -> dict[str, Any]:
    job = f'job="{plan.server}"'
    panels = [
        ("Calls per second by tool", f'sum by (target) (rate(mcpgen_calls_total{{{job},method="tools/call"}}[5m]))', "reqps", "{{target}}"),
        ("Failed calls per second by outcome", f'sum by (outcome) (rate(mcpgen_calls_total{{{job},outcome!~"ok|input_required"}}[5m]))', "reqps", "{{outcome}}"),
        ("p50 latency by tool", f"histogram_quantile(0.5, sum by (le, target) (rate(mcpgen_call_duration_seconds_bucket{{{job}}}[5m])))", "s", "{{target}}"),
        ("p99 latency by tool", f"histogram_quantile(0.99, sum by (le, target) (rate(mcpgen_call_duration_seconds_bucket{{{job}}}[5m])))", "s", "{{target}}"),
        ("Calls in flight", f"sum by (method) (mcpgen_calls_in_flight{{{job}}})", "short", "{{method}}"),
        ("Node workers", f"mcpgen_node_workers{{{job}}}", "short", "live"),
        ("Node workers busy / restarts", f"mcpgen_node_workers_busy{{{job}}} or increase(mcpgen_node_worker_restarts_total{{{job}}}[15m])", "short", "{{__name__}}"),
        ("Connectors up", f"mcpgen_connector_up{{{job}}}", "short", "{{connector}}"),
    ]  # fmt: skip
    return {
        "uid": "mcpgen",
        "title": f"mcpgen: {plan.server}",
        "tags": ["mcpgen", "mcp"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "panels": [_panel(i + 1, *p) for i, p in enumerate(panels)],
    }


_DATASOURCE = """apiVersion: 1
datasources:
  - name: Prometheus
    uid: prometheus
    type: prometheus
    access: proxy
    url: http://prometheus:9090
    isDefault: true
"""
_DASHBOARDS = """apiVersion: 1
providers:
  - name: mcpgen
    folder: mcpgen
    type: file
    options:
      path: /var/lib/grafana/dashboards
"""


def _compose(plan: MonitoringPlan) -> str:
    return f"""# The server with Prometheus (http://127.0.0.1:9090) and Grafana (http://127.0.0.1:3000, admin/admin).
# Build the image first: mcpgen build
services:
  server:
    image: {json.dumps(plan.image)}
    environment:
      MCPGEN_SERVER__HOST: 0.0.0.0
      MCPGEN_SERVER__PORT: "{plan.port}"
    ports: ["127.0.0.1:{plan.port}:{plan.port}"]
  prometheus:
    image: {PROMETHEUS_IMAGE}
    volumes:
      - ./prometheus:/etc/prometheus:ro
    ports: ["127.0.0.1:9090:9090"]
    depends_on: [server]
  grafana:
    image: {GRAFANA_IMAGE}
    volumes:
      - ./grafana/provisioning:/etc/grafana/provisioning:ro
      - ./grafana/dashboards:/var/lib/grafana/dashboards:ro
    ports: ["127.0.0.1:3000:3000"]
    depends_on: [prometheus]
"""


def monitoring_files(plan: MonitoringPlan) -> dict[str, str]:
    """The files of ``monitoring/``, by path relative to it."""
    return {
        "prometheus/prometheus.yml": _prometheus(plan),
        "prometheus/alerts.yml": _rules(plan),
        "grafana/dashboards/mcpgen.json": json.dumps(dashboard(plan), indent=2) + "\n",
        "grafana/provisioning/datasources/prometheus.yml": _DATASOURCE,
        "grafana/provisioning/dashboards/mcpgen.yml": _DASHBOARDS,
        "docker-compose.yml": _compose(plan),
    }
