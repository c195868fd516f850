"""Fetch the OpenAPI specs ``mcpgen.yaml`` names by URL into ``openapi/`` (the generator's one network step).

``openapi.<api>.url`` is fetched when the manifest is generated and saved as
``openapi/<api>.json`` (or ``.yaml``, by what the server sent): a snapshot the workspace keeps,
so builds are reproducible and the runtime never fetches a spec. A fetch that fails keeps the
last snapshot (a warning) or, without one, is an error naming the URL.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from mcpgen.config.project import PROJECT_FILE, OpenApiSource
from mcpgen.discovery import Diagnostic, OpenApiOptions
from mcpgen.discovery.diagnostics import error, warning
from mcpgen.discovery.openapi import FOLDER, spec_files, stale_snapshots, suffix_for
from mcpgen.workflows.project import Project

TIMEOUT = 30.0
MAX_BYTES = 32 * 1024 * 1024


def options_of(sources: Mapping[str, OpenApiSource]) -> dict[str, OpenApiOptions]:
    """The discovery options of each ``openapi.<api>`` entry of ``mcpgen.yaml``."""
    return {
        api: OpenApiOptions(
            include_tags=s.include_tags,
            exclude_tags=s.exclude_tags,
            include_paths=s.include_paths,
            exclude_paths=s.exclude_paths,
            prefix=s.prefix,
            source_url=s.url,
        )
        for api, s in sources.items()
    }


def fetch_specs(project: Project, client: httpx.Client | None = None) -> list[Diagnostic]:
    """Fetch every ``openapi.<api>.url`` into ``openapi/<api>.<suffix>``; a diagnostic per failed fetch."""
    wanted = {api: s.url for api, s in project.file.openapi.items() if s.url}
    if not wanted:
        return []
    diagnostics: list[Diagnostic] = []
    own = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True)
    try:
        for api, url in sorted(wanted.items()):
            assert url is not None
            problem = _fetch(project, api, url, own)
            if problem is None:
                continue
            kept = [p for p in spec_files(project.root) if p.stem == api]
            message = f"openapi.{api}: cannot fetch {url}: {problem}"
            if kept:
                diagnostics.append(
                    warning("openapi-fetch", f"{message}; using the snapshot {kept[0].name}", PROJECT_FILE)
                )
            else:
                diagnostics.append(error("openapi-fetch", message, PROJECT_FILE))
    finally:
        if client is None:
            own.close()
    return diagnostics


def _fetch(project: Project, api: str, url: str, client: httpx.Client) -> str | None:
    try:
        response = client.get(url, headers={"Accept": "application/json, application/yaml;q=0.9, */*;q=0.5"})
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    if len(response.content) > MAX_BYTES:
        return f"the spec is larger than {MAX_BYTES} bytes"
    text = response.text
    folder = project.root / FOLDER
    folder.mkdir(exist_ok=True)
    target = folder / f"{api}{suffix_for(url, response.headers.get('content-type', ''), text)}"
    if not target.is_file() or target.read_text(encoding="utf-8", errors="replace") != text:
        target.write_text(text, encoding="utf-8")
    for stale in stale_snapshots(project.root, api, target):
        stale.unlink()
    return None
