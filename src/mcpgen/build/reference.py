"""Image references and the tags a build gets (pure).

Docker's reference grammar (distribution/reference)::

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ domain "/" ] path-component ( "/" path-component )*
    domain     := host [ ":" port ]
    path-comp  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}

The first component is a domain when it contains ``.`` or ``:`` or is
``localhost``. :func:`parse_reference` raises
:class:`~mcpgen.errors.ImageReferenceError` naming the part that is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from mcpgen.errors import ImageReferenceError

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
MAX_NAME = 255


@dataclass(frozen=True)
class Reference:
    """A parsed image reference; ``str()`` gives it back in canonical form."""

    domain: str | None
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        return f"{self.domain}/{self.path}" if self.domain else self.path

    def with_tag(self, tag: str) -> Reference:
        check_tag(tag, reference=f"{self.repository}:{tag}")
        return Reference(self.domain, self.path, tag, None)

    def __str__(self) -> str:
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _bad(reference: str, part: str, why: str) -> ImageReferenceError:
    return ImageReferenceError(
        f"invalid image reference {reference!r}: {part!r} {why}", reference=reference, part=part
    )


def check_tag(tag: str, *, reference: str | None = None) -> str:
    if not _TAG.match(tag):
        raise _bad(
            reference or tag,
            tag,
            "is not a valid tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')",
        )
    return tag


def _is_domain(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost"


def parse_reference(reference: str) -> Reference:
    """Parse and validate ``reference`` (``[domain/]path[:tag][@digest]``)."""
    if not reference:
        raise _bad(reference, reference, "is empty")
    rest, digest = reference, None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not _DIGEST.match(digest):
            raise _bad(reference, digest, "is not a valid digest (algorithm:hex)")
    tag = None
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        check_tag(tag, reference=reference)
    parts = rest.split("/")
    domain = None
    if len(parts) > 1 and _is_domain(parts[0]):
        domain = parts.pop(0)
        host, _, port = domain.partition(":")
        if not _HOST.match(host):
            raise _bad(reference, domain, "is not a valid registry host")
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise _bad(reference, domain, "has an invalid port")
    for part in parts:
        if not part:
            raise _bad(reference, rest, "has an empty path component")
        if not _COMPONENT.match(part):
            why = (
                "must be lowercase"
                if part.lower() != part and _COMPONENT.match(part.lower())
                else "must be lowercase letters and digits separated by '.', '_', '__' or '-'"
            )
            raise _bad(reference, part, why)
    name = "/".join(parts) if domain is None else f"{domain}/{'/'.join(parts)}"
    if len(name) > MAX_NAME:
        raise _bad(reference, name, f"is longer than {MAX_NAME} characters")
    return Reference(domain, "/".join(parts), tag, digest)


def repository_name(project_name: str) -> str:
    """A default repository from a project name: lowercase, runs of other characters as '-'."""
    name = re.sub(r"[^a-z0-9._-]+", "-", project_name.lower())
    name = re.sub(r"[._-]*([._-])[._-]*", r"\1", name).strip("._-")
    return name or "mcp-server"


def timestamp_tag(now: datetime) -> str:
    """The UTC build-time tag, e.g. ``20260102T030405Z`` (sorts in time order)."""
    return now.strftime("%Y%m%dT%H%M%SZ")


def build_tags(
    repository: str,
    version: str,
    now: datetime,
    *,
    registry: str | None = None,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """``NAME:latest``, ``NAME:v{version}``, ``NAME:{UTC timestamp}`` plus ``extra``; all validated.

    ``registry`` (``host[:port][/namespace]``) prefixes the repository. An
    ``extra`` entry is a tag (``stable``) or a full reference (``other/name:tag``).
    """
    repo = f"{registry.rstrip('/')}/{repository}" if registry else repository
    base = parse_reference(repo)
    if base.tag or base.digest:
        raise _bad(repo, repo, "must be a repository without a tag or digest (use --tag)")
    version_tag = "v" + re.sub(r"[^A-Za-z0-9_.-]", "-", version.removeprefix("v"))
    tags = [base.with_tag("latest"), base.with_tag(version_tag), base.with_tag(timestamp_tag(now))]
    for item in extra:
        if ":" in item or "/" in item:
            ref = parse_reference(item)
            tags.append(ref if ref.tag else ref.with_tag("latest"))
        else:
            tags.append(base.with_tag(item))
    seen: dict[str, None] = {}
    for ref in tags:
        seen.setdefault(str(ref), None)
    return list(seen)
