"""Child processes for the multi-process git tests: ``python -m tests.git.workers MODE CACHE URL``.

``checkout``: resolve ``URL`` and check it out, print the checkout's path.
``hang-before-checkout-rename``: the same, but print ``ready`` and hang just before the finished
checkout is renamed into place (the test kills it there).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from pyffin.cache import Cache
from pyffin.git import GitSource
from pyffin.models.git_url import parse_git_url


def main(argv: list[str]) -> int:
    mode, root, url = argv[0], Path(argv[1]), parse_git_url(argv[2])
    if mode == "hang-before-checkout-rename":
        real_rename = os.rename

        def rename(src: str, dst: str) -> None:
            if "checkouts" in Path(dst).parts:
                print("ready", flush=True)
                time.sleep(3600)
            real_rename(src, dst)

        os.rename = rename  # type: ignore[assignment]
    elif mode != "checkout":
        raise SystemExit(f"unknown mode {mode}")
    with Cache(root) as cache:
        source = GitSource(cache)
        print(source.checkout(url, source.resolve(url)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
