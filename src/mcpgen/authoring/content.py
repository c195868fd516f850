"""Content helpers: what a tool (or prompt) returns when plain text is not enough.

Return one of these, or a list mixing them with strings, from a tool::

    from mcpgen import Audio, EmbeddedResource, Image, ResourceLink, tool

    @tool
    def chart(series: list[float]) -> list:
        png = render(series)
        return ["Here is the chart:", Image(png, mime_type="image/png")]

Each helper holds plain Python values (raw ``bytes`` for binary data; base64
happens on the wire) and knows its own wire form (:meth:`Content.to_wire`).
They are frozen dataclasses, so a tool can build them once at import time.
"""

from __future__ import annotations

import base64
import mimetypes
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

__all__ = ["Audio", "Content", "EmbeddedResource", "Image", "ResourceLink"]


def _mime_for(path: Path, fallback: str) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or fallback


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _with_annotations(wire: dict[str, Any], annotations: dict[str, Any] | None) -> dict[str, Any]:
    if annotations:
        wire["annotations"] = dict(annotations)
    return wire


class Content(ABC):
    """Base class of the content helpers (lets the runtime recognise them)."""

    __slots__ = ()

    @abstractmethod
    def to_wire(self) -> dict[str, Any]:
        """The MCP content block, as a wire dict."""


@dataclass(frozen=True, slots=True)
class _Binary(Content):
    data: bytes
    mime_type: str
    annotations: dict[str, Any] | None = None
    kind: ClassVar[str]
    default_mime: ClassVar[str]

    def __post_init__(self) -> None:
        if not isinstance(self.data, bytes | bytearray | memoryview):
            kind = type(self).__name__
            raise TypeError(f"{kind}(data) takes raw bytes; use {kind}.from_base64() for base64 text")
        object.__setattr__(self, "data", bytes(self.data))
        if not isinstance(self.mime_type, str) or "/" not in self.mime_type:
            raise ValueError(
                f"{type(self).__name__}: mime_type must look like 'type/subtype', got {self.mime_type!r}"
            )

    @classmethod
    def from_file(cls, path: str | Path, mime_type: str | None = None) -> Self:
        """Read ``path``; the MIME type is guessed from its extension unless given."""
        file = Path(path)
        return cls(file.read_bytes(), mime_type or _mime_for(file, cls.default_mime))

    @classmethod
    def from_base64(cls, data: str, mime_type: str | None = None) -> Self:
        return cls(base64.b64decode(data, validate=True), mime_type or cls.default_mime)

    def to_wire(self) -> dict[str, Any]:
        wire = {"type": self.kind, "data": _b64(self.data), "mimeType": self.mime_type}
        return _with_annotations(wire, self.annotations)


@dataclass(frozen=True, slots=True)
class Image(_Binary):
    """An image content block: ``Image(png_bytes)``, ``Image.from_file("chart.png")``."""

    mime_type: str = "image/png"
    kind: ClassVar[str] = "image"
    default_mime: ClassVar[str] = "image/png"


@dataclass(frozen=True, slots=True)
class Audio(_Binary):
    """An audio content block: ``Audio(wav_bytes, mime_type="audio/wav")``."""

    mime_type: str = "audio/wav"
    kind: ClassVar[str] = "audio"
    default_mime: ClassVar[str] = "audio/wav"


@dataclass(frozen=True, slots=True)
class EmbeddedResource(Content):
    """A resource embedded in the result: text (``text=``) or binary (``blob=`` bytes), exactly one."""

    uri: str
    text: str | None = None
    blob: bytes | None = None
    mime_type: str | None = None
    annotations: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.uri, str) or ":" not in self.uri:
            raise ValueError(f"EmbeddedResource: uri must be an absolute URI, got {self.uri!r}")
        if (self.text is None) == (self.blob is None):
            raise ValueError(f"EmbeddedResource({self.uri}): give exactly one of text= or blob=")

    def to_wire(self) -> dict[str, Any]:
        resource: dict[str, Any] = {"uri": self.uri}
        if self.mime_type:
            resource["mimeType"] = self.mime_type
        if self.text is not None:
            resource["text"] = self.text
        else:
            assert self.blob is not None
            resource["blob"] = _b64(bytes(self.blob))
        return _with_annotations({"type": "resource", "resource": resource}, self.annotations)


@dataclass(frozen=True, slots=True)
class ResourceLink(Content):
    """A link to a resource the client can read later (``resources/read``), not its contents."""

    uri: str
    name: str
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    size: int | None = None
    annotations: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.uri, str) or ":" not in self.uri:
            raise ValueError(f"ResourceLink: uri must be an absolute URI, got {self.uri!r}")
        if not self.name:
            raise ValueError(f"ResourceLink({self.uri}): name is required")

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"type": "resource_link", "uri": self.uri, "name": self.name}
        for key, value in (
            ("title", self.title),
            ("description", self.description),
            ("mimeType", self.mime_type),
            ("size", self.size),
        ):
            if value is not None:
                wire[key] = value
        return _with_annotations(wire, self.annotations)
