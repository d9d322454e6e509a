"""Credentials for requests: from a URL's userinfo or ``~/.netrc``, keyed by realm.

Credentials never reach the cache, a log line or an error message: URLs are stripped of them
before they are stored (:func:`~pyffin.models.urls.strip_credentials`) and redacted before they
are shown (:func:`~pyffin.models.urls.redact`).
"""

from __future__ import annotations

import base64
import os
import threading
from urllib.parse import unquote, urlsplit

Realm = tuple[str, str, int | None]


def realm(url: str) -> Realm:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port)


class Credentials:
    """Remembers credentials per realm (scheme, host, port): an index URL's userinfo also
    authenticates the files it links to on the same host, as pip and uv do."""

    def __init__(self, *, use_netrc: bool = True) -> None:
        self._by_realm: dict[Realm, tuple[str, str]] = {}
        self._lock = threading.Lock()
        self._use_netrc = use_netrc
        self._netrc: object | None = None
        self._netrc_loaded = False

    def remember(self, url: str) -> None:
        """Keep the userinfo of ``url`` (if any) for its realm."""
        parts = urlsplit(url)
        if "@" not in parts.netloc:
            return
        userinfo = parts.netloc.rpartition("@")[0]
        user, _, password = userinfo.partition(":")
        with self._lock:
            self._by_realm[realm(url)] = (unquote(user), unquote(password))

    def authorization(self, url: str) -> str | None:
        """The ``Authorization`` header value for ``url``, if credentials are known."""
        self.remember(url)
        key = realm(url)
        with self._lock:
            found = self._by_realm.get(key)
        if found is None and self._use_netrc:
            found = self._from_netrc(key[1])
            if found is not None:
                with self._lock:
                    self._by_realm[key] = found
        if found is None:
            return None
        user, password = found
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return f"Basic {token}"

    def _from_netrc(self, host: str) -> tuple[str, str] | None:
        if not self._netrc_loaded:
            self._netrc_loaded = True
            path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
            if os.path.isfile(path):
                import netrc

                try:
                    self._netrc = netrc.netrc(path)
                except (netrc.NetrcParseError, OSError) as e:
                    from pyffin import log

                    log.warn_once(f"Ignoring unreadable netrc file {path}: {e}")
        if self._netrc is None:
            return None
        import netrc

        assert isinstance(self._netrc, netrc.netrc)
        entry = self._netrc.authenticators(host)
        if entry is None:
            return None
        login, _account, password = entry
        return (login or "", password or "")
