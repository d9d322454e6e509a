"""File stamps: what ``stat`` says about a file, to tell later whether it changed.

A stamp is the modification and change times (nanoseconds), size, inode and device of a path,
``None`` when nothing is there. A change of content or of the directory entries under a
directory changes it; so does replacing a file, even with one whose modification time was set
back (``cp -p``): its change time cannot be set back.

What a stamp cannot tell apart are two changes within one tick of the file system's clock. A
stamp is therefore trusted for a remembered answer only when it is :func:`settled`: the file
last changed long enough before the answer was worked out that any later change must show a
later time ("racily clean" files, in git's words, are looked at again next time).

Only :mod:`os`: the no-op replay of :mod:`pyffin.cli.noop` runs before anything else is
imported.
"""

from __future__ import annotations

import os

#: A stamped file last changed at least this long before the work began: more than the tick
#: of file timestamps (coarse kernel clocks: up to 10 ms)...
SETTLED_NS = 100_000_000
#: ...and, where the file system keeps whole seconds only (FAT keeps two), more than that.
SETTLED_COARSE_NS = 2_100_000_000

Stamp = tuple[int, int, int, int, int]


def stamp(path: str | os.PathLike[str], follow: bool = True) -> Stamp | None:
    """The stamp of ``path`` (of the link itself when not ``follow``), ``None`` if absent or
    unreadable."""
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)


def settled(value: Stamp | None, since_ns: int) -> bool:
    """Whether the file stamped ``value`` last changed long enough before ``since_ns``
    (``time.time_ns()`` when the work began) that a later change cannot share its times. An
    absent file is settled."""
    if value is None:
        return True
    mtime, ctime = value[0], value[1]
    coarse = mtime % 1_000_000_000 == 0 and ctime % 1_000_000_000 == 0
    return max(mtime, ctime) < since_ns - (SETTLED_COARSE_NS if coarse else SETTLED_NS)
