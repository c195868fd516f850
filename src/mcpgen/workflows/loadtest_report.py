"""``mcpgen loadtest --html``: a self-contained HTML report with two Plotly charts.

The latency histogram (answers that passed and failed, stacked) and the throughput over
time (answers per second, passed and failed) are Plotly figures; plotly.js is inlined once,
so the file opens offline (about 5 MB, whatever the run's length: the latencies are binned
here, not shipped one by one). Plotly is in the ``loadtest`` extra
(``pip install "mcpgen[loadtest]"``): pure Python, interactive (hover, zoom), no numpy.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcpgen.errors import UsageError
from mcpgen.workflows.loadtest import LoadReport

HISTOGRAM_ID = "latency-histogram"
THROUGHPUT_ID = "throughput-over-time"
BINS = 60


def require_plotly() -> Any:
    """``plotly.graph_objects``, or a usage error saying how to install it."""
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise UsageError(
            "--html needs Plotly, which is not installed",
            hint="pip install 'mcpgen[loadtest]'",
        ) from None
    return go


def bins(values: Sequence[float], count: int = BINS) -> tuple[list[float], float]:
    """``(left edges, width)`` of ``count`` equal bins spanning ``values`` (milliseconds)."""
    low, high = min(values), max(values)
    width = (high - low) / count if high > low else max(low, 1e-3) / count
    return [low + i * width for i in range(count)], width


def histogram(values: Sequence[float], edges: list[float], width: float) -> list[int]:
    counts = [0] * len(edges)
    low = edges[0]
    for v in values:
        counts[min(len(edges) - 1, max(0, math.floor((v - low) / width)))] += 1
    return counts


def render_html(report: LoadReport, max_error_rate: float = 0.0) -> str:
    go = require_plotly()
    every = [v * 1000 for v in report.stats.latencies]
    failed = [v * 1000 for v in report.stats.failed]
    figures = []
    if every:
        edges, width = bins(every)
        all_counts, failed_counts = histogram(every, edges, width), histogram(failed, edges, width)
        centers = [e + width / 2 for e in edges]
        hist = go.Figure()
        hist.add_bar(x=centers, y=[a - f for a, f in zip(all_counts, failed_counts, strict=True)],
                     width=width, name="passed", marker_color="#2a9d8f")  # fmt: skip
        if failed:
            hist.add_bar(x=centers, y=failed_counts, width=width, name="failed", marker_color="#e76f51")
        for name, value in report.latency_ms().items():
            if name in ("p50", "p90", "p99"):
                hist.add_vline(x=value, line_dash="dot", annotation_text=f"{name} {value:.2f} ms")
        hist.update_layout(
            title="Latency histogram", barmode="stack", xaxis_title="latency (ms)", yaxis_title="requests"
        )
        figures.append((HISTOGRAM_ID, hist))
    seconds = list(range(len(report.stats.ok_per_second)))
    rate = go.Figure()
    rate.add_scatter(x=seconds, y=report.stats.ok_per_second, mode="lines+markers", name="passed / s",
                     line_color="#2a9d8f")  # fmt: skip
    rate.add_scatter(x=seconds, y=report.stats.errors_per_second, mode="lines+markers", name="failed / s",
                     line_color="#e76f51")  # fmt: skip
    rate.update_layout(
        title="Throughput over time", xaxis_title="second of the run", yaxis_title="answers per second"
    )
    figures.append((THROUGHPUT_ID, rate))
    charts = "\n".join(
        fig.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=div_id, config={"displaylogo": False})
        for i, (div_id, fig) in enumerate(figures)
    )
    return _PAGE.format(
        title=html.escape(f"mcpgen loadtest: {report.options.tool} on {report.target}"),
        summary=_summary(report, max_error_rate),
        charts=charts,
    )


def _summary(report: LoadReport, max_error_rate: float) -> str:
    o = report.options
    lat = report.latency_ms()
    rows: list[tuple[str, str]] = [
        ("target", report.target + (f" (workspace {report.workspace})" if report.workspace else "")),
        ("tool", o.tool),
        ("wire", o.wire + (" (session)" if report.session else "")),
        ("concurrency", str(o.concurrency)),
        ("elapsed", f"{report.elapsed:.2f} s (stopped by {report.stopped_by})"),
        ("requests", f"{report.requests} ({report.rps:.1f} req/s)"),
        ("errors", f"{report.errors} ({report.error_rate:.2%})"),
        ("latency", " · ".join(f"{k} {v:.2f} ms" for k, v in lat.items())),
        ("result", "passed" if report.passed(max_error_rate) else "FAILED"),
    ]
    rows += [(f"error: {kind}", f"{n} — {report.stats.samples.get(kind, '')}") for kind, n in
             sorted(report.stats.errors.items())]  # fmt: skip
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;}} th{{text-align:left;padding-right:1em;}}
td{{font-family:monospace;}}</style></head>
<body><h1>{title}</h1>
{summary}
{charts}
</body></html>
"""


def write_html(report: LoadReport, path: Path, max_error_rate: float = 0.0) -> None:
    page = render_html(report, max_error_rate)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the HTML report {path}: {exc.strerror or exc}") from None
