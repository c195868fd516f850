"""Read, write and describe manifests. Dumping is canonical: sorted keys, sorted lists, no timestamps."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from mcpgen.errors import ManifestError
from mcpgen.manifest.models import MANIFEST_VERSION, Manifest


def canonical(manifest: Manifest) -> Manifest:
    """Return ``manifest`` with every list in a stable order."""
    return manifest.model_copy(
        update={
            "tools": sorted(manifest.tools, key=lambda t: t.name),
            "resources": sorted(manifest.resources, key=lambda r: (r.uri or r.uri_template or "", r.name)),
            "prompts": sorted(manifest.prompts, key=lambda p: p.name),
            "connectors": sorted(manifest.connectors, key=lambda c: c.name),
            "credentials": sorted(manifest.credentials, key=lambda c: c.name),
        }
    )


def to_data(manifest: Manifest) -> dict[str, Any]:
    data: dict[str, Any] = canonical(manifest).model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def dumps(manifest: Manifest) -> bytes:
    """Canonical JSON bytes: identical input gives identical bytes."""
    return orjson.dumps(to_data(manifest), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def digest(manifest: Manifest) -> str:
    """A short content hash of the canonical form (what changed? compare digests)."""
    return hashlib.sha256(dumps(manifest)).hexdigest()[:16]


def write(manifest: Manifest, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = dumps(manifest)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def loads(data: bytes | str, *, path: Path | None = None) -> Manifest:
    where = f" {path}" if path else ""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ManifestError(f"manifest{where} is not valid JSON: {exc}", path=path) from exc
    if not isinstance(raw, dict):
        raise ManifestError(f"manifest{where} must be a JSON object", path=path)
    version = raw.get("manifestVersion")
    if version != MANIFEST_VERSION:
        raise ManifestError(
            f"manifest{where} has manifestVersion {version!r}; this mcpgen reads version {MANIFEST_VERSION}",
            path=path,
        )
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ManifestError(f"manifest{where} is invalid at {loc}: {first['msg']}", path=path) from exc


def load(path: Path) -> Manifest:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc.strerror}", path=path) from exc
    return loads(data, path=path)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of manifest v1 (``mcpgen manifest --schema``)."""
    schema = Manifest.model_json_schema(by_alias=True, mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://mcpgen.dev/schemas/manifest-v1.json"
    schema["title"] = "mcpgen manifest v1"
    return schema
