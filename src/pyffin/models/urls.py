"""URLs fit to store, show and compare: credentials stripped (:func:`strip_credentials`),
passwords redacted (:func:`redact`), and the canonical form used to key caches
(:func:`normalize_url`).
"""

from __future__ import annotations

# urllib.parse is imported where it is used: a warm command keys its index with
# :func:`normalize_url` alone, which reads a plain URL without it (importing it, and the
# ipaddress module it imports, costs ~1 ms).

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: What a URL :func:`normalize_url` reads with string methods may hold: no userinfo, IPv6
#: brackets, query, fragment, escapes, spaces or controls (``urlsplit`` has rules for each).
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                   "-._~/:+!$&'()*,;=")


def _netloc_without_userinfo(netloc: str) -> str:
    return netloc.rpartition("@")[2]


def strip_credentials(url: str) -> str:
    """``url`` without its ``user:password@`` part."""
    if "@" not in url:
        return url  # nearly every URL: no need to split it
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=_netloc_without_userinfo(parts.netloc)))


def redact(url: str) -> str:
    """``url`` fit to show: the password (or a lone token) replaced by ``****``."""
    if "@" not in url:
        return url  # nearly every URL: no need to split it
    from urllib.parse import urlsplit, urlunsplit

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
    url = url.strip()
    plain = _normalize_plain(url)
    return plain if plain is not None else _normalize_split(url)


def _normalize_plain(url: str) -> str | None:
    """:func:`normalize_url` of ``scheme://host[:port][/path]`` made of :data:`_PLAIN`
    characters, read with string methods (the same answer as :func:`_normalize_split`); ``None``
    for any other URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or not url.isascii() or not scheme.isalnum() or not scheme[0].isalpha() \
            or not _PLAIN.issuperset(rest):
        return None
    netloc, slash, path = rest.partition("/")
    host, colon, port_text = netloc.partition(":")
    if not host or (colon and not (port_text.isdigit() and int(port_text) <= 65535)):
        return None
    scheme = scheme.lower()
    host = host.lower()
    port = int(port_text) if colon else None
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    return f"{scheme}://{host}{(slash + path).rstrip('/')}"


def _normalize_split(url: str) -> str:
    """:func:`normalize_url` of any URL, through ``urlsplit``."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
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
