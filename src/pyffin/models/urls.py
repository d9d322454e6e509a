"""URLs fit to store, show and compare: credentials stripped (:func:`strip_credentials`),
passwords redacted (:func:`redact`), and the canonical form used to key caches
(:func:`normalize_url`).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _netloc_without_userinfo(netloc: str) -> str:
    return netloc.rpartition("@")[2]


def strip_credentials(url: str) -> str:
    """``url`` without its ``user:password@`` part."""
    if "@" not in url:
        return url  # nearly every URL: no need to split it
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=_netloc_without_userinfo(parts.netloc)))


def redact(url: str) -> str:
    """``url`` fit to show: the password (or a lone token) replaced by ``****``."""
    if "@" not in url:
        return url  # nearly every URL: no need to split it
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user, sep, _password = userinfo.partition(":")
    shown = f"{user}:****" if sep else "****"
    return urlunsplit(parts._replace(netloc=f"{shown}@{host}"))


def normalize_url(url: str) -> str:
    """The canonical form of ``url`` for keying: lower-case scheme and host, no credentials,
    no default port, no fragment, no trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, parts.query, ""))
