"""Errors of the network layer; every message names the (redacted) URL at fault."""

from __future__ import annotations

from pyffin.errors import PyffinError


class NetworkError(PyffinError):
    """A request failed: connection, timeout, TLS, HTTP status, or a bad response body."""

    def __init__(self, message: str, *, url: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        #: The redacted URL of the request.
        self.url = url


class ConnectError(NetworkError):
    """The server could not be reached (refused, DNS, reset)."""


class RequestTimeout(NetworkError):
    """The server did not answer within the timeout."""


class TlsError(NetworkError):
    """The TLS handshake failed (untrusted certificate, protocol mismatch)."""


class HttpStatusError(NetworkError):
    """The server answered with an error status."""

    def __init__(self, message: str, *, url: str, status: int, hint: str | None = None) -> None:
        super().__init__(message, url=url, hint=hint)
        self.status = status


class DownloadStatusError(HttpStatusError):
    """A distribution's file (or a range of it) answered an error status: a distribution that
    failed, uv's exit status 1 (an index page that does is an error, 2)."""

    exit_code = 1


class AuthenticationError(HttpStatusError):
    """401 or 403: credentials are missing or refused."""


class OfflineError(NetworkError):
    """``--offline`` and the cache cannot answer."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1


class ResponseTooLargeError(NetworkError):
    """A response read into memory decodes to more than ``PYFFIN_MAX_PAGE_BYTES``."""


class HashMismatchError(NetworkError):
    """Downloaded bytes do not match the hash the index or the user gave."""

    #: A resolution or a distribution that failed: uv's exit status 1 (errors are 2).
    exit_code = 1
