"""What long operations say as they go, for a progress display (the command line's status line,
or a library user's own): a :class:`Reporter` is handed down (on the
:class:`~pyffin.api.session.Session`) and every layer calls it, so that no layer imports the
one that shows it. Calls come from any thread, and must be cheap: the resolver calls once per
package, a download once per chunk. The base class ignores everything.
"""

from __future__ import annotations


class Reporter:
    """Progress events; override what is wanted."""

    def on_resolve_progress(self, packages: int) -> None:
        """Resolving: ``packages`` have been looked at so far (0 at the start)."""

    def on_resolve_done(self) -> None:
        """The resolution is over (whether or not it found a solution)."""

    def on_build_start(self, what: str) -> None:
        """A build of ``what`` (``name==version``, or the source's path or URL) started."""

    def on_build_done(self, what: str) -> None:
        """The build of ``what`` ended (built or failed)."""

    def on_fetch_start(self, name: str, size: int | None) -> None:
        """A download of the file ``name`` (``size`` bytes, if known) started."""

    def on_fetch_progress(self, name: str, nbytes: int) -> None:
        """``nbytes`` more of ``name`` arrived (negative: a retry starts over)."""

    def on_fetch_done(self, name: str) -> None:
        """The download of ``name`` ended."""
