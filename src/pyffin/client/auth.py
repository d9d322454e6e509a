"""Credentials for requests: from a URL's userinfo, ``~/.netrc`` or the ``keyring`` command,
kept per realm (scheme, host, port) for the life of the process.

Where a request's credentials come from, in order (uv's rules, see its ``uv-auth`` crate):

1. a URL's ``user:password@`` — it also authenticates every other URL of its realm (the files
   an index page links to), as pip and uv do;
2. ``~/.netrc`` (``NETRC``): the entry of the host (else ``default``), whose login must be the
   URL's username when it has one;
3. with ``--keyring-provider subprocess``, the ``keyring`` command: for a URL that names a
   username but no password, before the first request (``keyring get SERVICE USERNAME``, the
   password on its standard output); for a realm without any username, only once a server has
   refused a request (HTTP 401/403: ``keyring get SERVICE --mode creds``, the username and the
   password on two lines; uv asks this only of an index set to ``authenticate = always``).
   ``SERVICE`` is the index URL the request belongs to (else the request's URL), then
   ``host[:port]``, then for plain HTTP ``http://host[:port]``: the names pip and uv ask for.

Each lookup runs once per realm and username, whatever the number of threads asking.
Credentials never reach the cache, a log line or an error message: URLs are stripped of them
before they are stored (:func:`~pyffin.models.urls.strip_credentials`) and redacted before they
are shown (:func:`~pyffin.models.urls.redact`), and a response to an authenticated request is
not stored when the server calls it ``private``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from pyffin import log
from pyffin.models.urls import strip_credentials

Realm = tuple[str, str, int | None]
#: A username and its password.
Pair = tuple[str, str]

def realm(url: str) -> Realm:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port)


def basic(username: str, password: str) -> str:
    """The ``Authorization`` header value of HTTP basic authentication."""
    import base64

    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


class Keyring:
    """The ``keyring`` command line (``--keyring-provider subprocess``), asked as uv and pip ask
    it: ``keyring get SERVICE USERNAME`` prints the password; ``keyring get SERVICE --mode
    creds`` (keyring 25.2.1 and later) prints the username and the password on two lines.

    With a username, the command's standard error goes straight to the terminal: a keyring
    backend may ask the user to sign in (Azure Artifacts shows a device code there)."""

    def __init__(self, command: str = "keyring") -> None:
        self.command = command

    def get(self, service: str, username: str | None) -> Pair | None:
        """The credentials the keyring has for ``service`` (and ``username``), else ``None``."""
        import subprocess

        argv = [self.command, "get", service, *([username] if username else
                                                 ["--mode", "creds"])]
        # Usernames are not shown either: some are tokens (https://TOKEN@host/...).
        log.debug(f"Asking the keyring for {service}"
                  f"{' (the URL names a username)' if username else ' (--mode creds)'}")
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=None if username else subprocess.PIPE, check=False)
        except OSError as e:
            log.warn_once(f"--keyring-provider subprocess: cannot run {self.command!r}: "
                          f"{e.strerror or e}", key="keyring-missing")
            return None
        errors = (done.stderr or b"").decode("utf-8", "replace").strip()
        if done.returncode != 0:
            if "unrecognized arguments: --mode" in errors:
                log.warn_once("The keyring command does not support --mode creds: upgrade to "
                              "keyring 25.2.1 or later, or put the username in the index URL "
                              "(https://USERNAME@host/...)", key="keyring-mode")
            elif errors:
                log.info(errors)
            return None
        if errors:
            log.info(errors)
        try:
            output = done.stdout.decode("utf-8")
        except UnicodeDecodeError:
            log.debug(f"The keyring's answer for {service} is not UTF-8; ignored")
            return None
        if username:
            password = output.rstrip()
        else:
            lines = output.splitlines()
            if len(lines) < 2:
                log.debug(f"The keyring gave no username and password for {service}")
                return None
            username, password = lines[0], lines[1]
        if not password:
            log.debug(f"The keyring gave an empty password for {service}")
        return username, password


class Credentials:
    """Remembers credentials per realm; see the module docstring for where they come from.

    ``indexes`` are the index URLs of the session: a request under one of them asks the
    keyring for that URL (the name a user stores their token under)."""

    def __init__(self, *, use_netrc: bool = True, keyring: Keyring | None = None,
                 indexes: Iterable[str] = ()) -> None:
        #: What URLs gave: the username and the password (``None``: none given).
        self._given: dict[Realm, tuple[str, str | None]] = {}
        #: What netrc or the keyring gave, by realm and the username looked up.
        self._found: dict[tuple[Realm, str | None], Pair | None] = {}
        #: Realms whose refusal the keyring was asked about (``--mode creds``).
        self._asked_after_refusal: set[Realm] = set()
        self._lock = threading.Lock()
        #: Held while netrc or the keyring is consulted: one lookup at a time, each done once.
        self._lookup_lock = threading.Lock()
        self._use_netrc = use_netrc
        self.keyring = keyring
        self._indexes = tuple(strip_credentials(url) for url in indexes if "://" in url)
        self._netrc: object | None = None
        self._netrc_loaded = False

    def remember(self, url: str) -> None:
        """Keep the userinfo of ``url`` (if any) for its realm."""
        parts = urlsplit(url)
        if "@" not in parts.netloc:
            return
        userinfo = parts.netloc.rpartition("@")[0]
        user, sep, password = userinfo.partition(":")
        if not user and not password:
            return  # "https://@host/": nothing given
        with self._lock:
            # A username alone (or with an empty password) leaves the password to look up.
            self._given[realm(url)] = (unquote(user), unquote(password) if sep and password
                                       else None)

    def authorization(self, url: str) -> str | None:
        """The ``Authorization`` header value for ``url``, if credentials are known (netrc and,
        for a URL with a username but no password, the keyring are asked once per realm)."""
        self.remember(url)
        key = realm(url)
        with self._lock:
            given = self._given.get(key)
        if given is not None and given[1] is not None:
            return basic(given[0], given[1])
        username = given[0] if given is not None else None
        found = self._lookup(url, key, username)
        if found is not None:
            return basic(*found)
        if username is not None:  # no password anywhere: a token as the username, maybe
            return basic(username, "")
        return None

    def refused(self, url: str, sent: str | None) -> str | None:
        """After a server refused ``url`` (HTTP 401/403) with the ``Authorization`` ``sent``:
        other credentials to try, from the keyring (asked once per realm), else ``None``."""
        if self.keyring is None:
            return None
        key = realm(url)
        with self._lock:
            given = self._given.get(key)
        if given is not None:
            return None  # a username: the keyring was asked before the request was sent
        with self._lookup_lock:
            with self._lock:
                asked = key in self._asked_after_refusal
                self._asked_after_refusal.add(key)
            if not asked:
                found = self._from_keyring(url, None)
                if found is not None:
                    with self._lock:
                        self._found[(key, None)] = found
        with self._lock:
            found = self._found.get((key, None))
        if found is None:
            return None
        header = basic(*found)
        return None if header == sent else header

    # ----------------------------------------------------------------------------- lookups
    def _lookup(self, url: str, key: Realm, username: str | None) -> Pair | None:
        memo = (key, username)
        with self._lock:
            if memo in self._found:
                return self._found[memo]
        if not self._use_netrc and (username is None or self.keyring is None):
            return None
        with self._lookup_lock:
            with self._lock:
                if memo in self._found:
                    return self._found[memo]
            found = self._from_netrc(key[1], username) if self._use_netrc else None
            if found is not None:
                log.debug(f"Using the credentials of ~/.netrc for {key[1]}")
            elif username is not None and self.keyring is not None:
                found = self._from_keyring(url, username)
            with self._lock:
                self._found[memo] = found
        return found

    def _from_keyring(self, url: str, username: str | None) -> Pair | None:
        assert self.keyring is not None
        clean = strip_credentials(url).partition("#")[0]
        parts = urlsplit(clean)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        try:
            port = parts.port
        except ValueError:
            port = None
        host_port = host if port is None else f"{host}:{port}"
        services = [self._index_of(clean), host_port]
        if parts.scheme != "https":
            services.append(f"{parts.scheme}://{host_port}")
        for service in services:
            found = self.keyring.get(service, username)
            if found is not None:
                log.debug(f"Found credentials for {service} in the keyring")
                return found
        return None

    def _index_of(self, url: str) -> str:
        """The index URL ``url`` lies under (pip's rule), else ``url`` itself."""
        for index in self._indexes:
            prefix = index.rstrip("/") + "/"
            if url.startswith(prefix) or url + "/" == prefix:
                return index
        return url

    def _from_netrc(self, host: str, username: str | None) -> Pair | None:
        if not self._netrc_loaded:
            self._netrc_loaded = True
            path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
            if os.path.isfile(path):
                import netrc

                try:
                    self._netrc = netrc.netrc(path)
                except (netrc.NetrcParseError, OSError) as e:
                    log.warn_once(f"Ignoring unreadable netrc file {path}: {e}")
        if self._netrc is None:
            return None
        import netrc

        assert isinstance(self._netrc, netrc.netrc)
        entry = self._netrc.authenticators(host)
        if entry is None:
            return None
        login, _account, password = entry
        if username is not None and login != username:
            return None  # uv's rule: the URL's username decides whose password is wanted
        return (login or "", password or "")
