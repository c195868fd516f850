"""Masking secret values for display: the one rule every part of mcpgen uses (config, secrets, CLI).

A masked value never reveals enough to be useful: values longer than eight
characters keep at most their first and last two characters (``sk…z9``);
shorter values show nothing (``********``). Database URLs keep everything but
the password, so ``postgresql://app:hunter2@db/app`` reads
``postgresql://app:********@db/app``.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

HIDDEN = "********"
"""What a short (or empty) secret is shown as."""

_MIN_PARTIAL = 9
"""Values at least this long show their first and last two characters."""


def mask(value: str) -> str:
    """Return ``value`` masked for display; see the module docstring for the rule."""
    if len(value) < _MIN_PARTIAL:
        return HIDDEN
    return f"{value[:2]}…{value[-2:]}"


def mask_url(url: str) -> str:
    """Hide the password of a URL (``scheme://user:pass@host``); other URLs are returned unchanged.

    A value that does not parse as a URL is masked as a whole with :func:`mask`.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return mask(url)
    if password is None:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{HIDDEN}@{hostinfo}"))


def url_has_password(url: str) -> bool:
    """True when ``url`` embeds a password (``scheme://user:pass@host``)."""
    try:
        return urlsplit(url).password is not None
    except ValueError:
        return False
