"""Stand-ins for the ``keyring`` command line that ``--keyring-provider subprocess`` calls.

* :class:`FakeKeyring`: a :class:`~pyffin.client.auth.Keyring` answering from a dict, for unit
  tests of the credentials logic;
* :func:`keyring_command`: a real ``keyring`` executable (a small Python script) that answers as
  keyring 25 does — ``keyring get SERVICE USERNAME`` prints the password, ``keyring get SERVICE
  --mode creds`` the username and the password on two lines, exit status 1 when it has
  nothing — and logs each command line, for tests that put it on ``PATH``.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

from pyffin.client.auth import Keyring

#: ``(service, username or None for --mode creds) -> (username, password)``.
Answers = dict[tuple[str, "str | None"], tuple[str, str]]


class FakeKeyring(Keyring):
    """Answers from ``answers`` and records every question."""

    def __init__(self, answers: Answers) -> None:
        super().__init__()
        self.answers = answers
        self.asked: list[tuple[str, str | None]] = []

    def get(self, service: str, username: str | None) -> tuple[str, str] | None:
        self.asked.append((service, username))
        return self.answers.get((service, username))


_SCRIPT = """#!{python}
import json, sys
here = {here!r}
with open(here + "/keyring.log", "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
with open(here + "/answers.json") as f:
    answers = {{tuple(k.split("\\t")): v for k, v in json.load(f).items()}}
args = sys.argv[1:]
if args[:1] != ["get"] or len(args) < 3:
    sys.exit("usage: keyring get SERVICE USERNAME")
if args[2:] == ["--mode", "creds"]:
    found = answers.get((args[1], ""))
    if found is None:
        sys.exit(1)
    print(found[0])
    print(found[1])
    sys.exit(0)
found = answers.get((args[1], args[2]))
if found is None:
    sys.exit(1)
print(found[1])
"""


def keyring_command(directory: Path, answers: Answers) -> Path:
    """Write an executable ``directory/keyring`` answering from ``answers``; return its path.
    Each command line it runs is appended to ``directory/keyring.log``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "answers.json").write_text(json.dumps(
        {f"{service}\t{username or ''}": list(pair)
         for (service, username), pair in answers.items()}))
    script = directory / "keyring"
    script.write_text(_SCRIPT.format(python=sys.executable, here=str(directory)))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def keyring_calls(directory: Path) -> list[str]:
    """The command lines the ``keyring`` of ``directory`` ran (arguments after the name)."""
    log = directory / "keyring.log"
    return log.read_text().splitlines() if log.exists() else []
