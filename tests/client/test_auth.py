"""Where credentials come from — the URL, ``~/.netrc``, the ``keyring`` command — asked in
uv's order, once per realm, and never shown."""

from __future__ import annotations

import base64
import os
import threading
from pathlib import Path

import pytest

from pyffin import log
from pyffin.client.auth import Credentials, Keyring
from tests.support.keyring import FakeKeyring, keyring_calls, keyring_command

INDEX = "https://pkgs.example/org/_packaging/feed/pypi/simple/"


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    captured: list[str] = []
    monkeypatch.setattr(log, "_warned", set())
    monkeypatch.setattr(log, "_sink", lambda level, message: captured.append(message))
    monkeypatch.setattr(log, "_level", log.INFO)
    return captured


# ------------------------------------------------------------------------------ the order
def test_a_username_without_password_asks_the_keyring_for_the_index_url_once() -> None:
    keyring = FakeKeyring({(INDEX, "VssSessionToken"): ("VssSessionToken", "t0ken")})
    credentials = Credentials(use_netrc=False, keyring=keyring, indexes=[INDEX])
    url = INDEX.replace("https://", "https://VssSessionToken@") + "foo/"
    assert credentials.authorization(url) == header("VssSessionToken", "t0ken")
    # The files the page links to, on the same host, use the same answer.
    file_url = "https://pkgs.example/org/_packaging/feed/pypi/download/foo/1.0/foo.whl"
    assert credentials.authorization(file_url) == header("VssSessionToken", "t0ken")
    assert keyring.asked == [(INDEX, "VssSessionToken")]


def test_the_keyring_is_asked_for_the_host_when_the_url_has_nothing() -> None:
    keyring = FakeKeyring({("pkgs.example:8443", "me"): ("me", "pw")})
    credentials = Credentials(use_netrc=False, keyring=keyring)
    url = "https://me@pkgs.example:8443/simple/foo/"
    assert credentials.authorization(url) == header("me", "pw")
    assert keyring.asked == [("https://pkgs.example:8443/simple/foo/", "me"),
                             ("pkgs.example:8443", "me")]


def test_plain_http_also_asks_for_scheme_and_host() -> None:
    keyring = FakeKeyring({})
    credentials = Credentials(use_netrc=False, keyring=keyring)
    # Nothing found: the username goes alone (a token as the username, maybe).
    assert credentials.authorization("http://me@host:8080/simple/") == header("me", "")
    assert keyring.asked == [("http://host:8080/simple/", "me"), ("host:8080", "me"),
                             ("http://host:8080", "me")]


def test_without_a_username_the_keyring_is_asked_only_after_a_refusal() -> None:
    keyring = FakeKeyring({(INDEX, None): ("user", "secret")})
    credentials = Credentials(use_netrc=False, keyring=keyring, indexes=[INDEX])
    assert credentials.authorization(INDEX + "foo/") is None
    assert keyring.asked == []
    retry = credentials.refused(INDEX + "foo/", None)
    assert retry == header("user", "secret")
    assert keyring.asked == [(INDEX, None)]  # --mode creds
    # Asked once per realm: later requests carry the answer from the start.
    assert credentials.authorization(INDEX + "bar/") == header("user", "secret")
    assert credentials.refused(INDEX + "bar/", header("user", "secret")) is None
    assert keyring.asked == [(INDEX, None)]


def test_a_refusal_with_full_credentials_in_the_url_asks_nothing() -> None:
    keyring = FakeKeyring({(INDEX, None): ("user", "secret")})
    credentials = Credentials(use_netrc=False, keyring=keyring)
    url = INDEX.replace("https://", "https://a:b@")
    assert credentials.authorization(url) == header("a", "b")
    assert credentials.refused(url, header("a", "b")) is None
    assert keyring.asked == []


def test_without_a_keyring_nothing_is_asked_after_a_refusal() -> None:
    credentials = Credentials(use_netrc=False)
    assert credentials.authorization("https://me@host/simple/") == header("me", "")
    assert credentials.refused("https://host/simple/", None) is None


def test_netrc_comes_before_the_keyring_and_must_match_the_username(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine host login bob password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    keyring = FakeKeyring({("host", "alice"): ("alice", "from-keyring")})
    credentials = Credentials(keyring=keyring)
    assert credentials.authorization("https://bob@host/simple/") == header("bob", "hunter2")
    assert keyring.asked == []
    other = Credentials(keyring=keyring)
    assert other.authorization("https://alice@host/simple/") == header("alice", "from-keyring")
    assert ("host", "alice") in keyring.asked


def test_concurrent_requests_ask_the_keyring_once() -> None:
    gate = threading.Event()

    class Slow(FakeKeyring):
        def get(self, service: str, username: str | None) -> tuple[str, str] | None:
            gate.wait(5)
            return super().get(service, username)

    keyring = Slow({(INDEX, "u"): ("u", "p")})
    credentials = Credentials(use_netrc=False, keyring=keyring, indexes=[INDEX])
    url = INDEX.replace("https://", "https://u@")
    results: list[str | None] = []
    threads = [threading.Thread(target=lambda: results.append(credentials.authorization(url)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert results == [header("u", "p")] * 8
    assert keyring.asked == [(INDEX, "u")]


# --------------------------------------------------------------------- the keyring command
def test_the_keyring_command_lines_are_uvs(tmp_path: Path, warnings: list[str]) -> None:
    command = keyring_command(tmp_path, {("svc", "alice"): ("alice", "pa ss"),
                                         ("svc", None): ("bob", "s3cret")})
    keyring = Keyring(str(command))
    assert keyring.get("svc", "alice") == ("alice", "pa ss")
    assert keyring.get("svc", "carol") is None
    assert keyring.get("svc", None) == ("bob", "s3cret")
    assert keyring.get("other", None) is None
    assert keyring_calls(tmp_path) == ["get svc alice", "get svc carol",
                                       "get svc --mode creds", "get other --mode creds"]
    assert warnings == []  # the answers are never shown


def test_what_the_keyring_says_on_stderr_is_passed_on(tmp_path: Path,
                                                      warnings: list[str]) -> None:
    script = tmp_path / "keyring"
    script.write_text("#!/bin/sh\necho 'sign in at https://example/device' >&2\n"
                      "printf 'user\\npass\\n'\n")
    script.chmod(0o755)
    assert Keyring(str(script)).get("svc", None) == ("user", "pass")
    assert warnings == ["sign in at https://example/device"]


def test_an_old_keyring_without_mode_creds_is_named_once(tmp_path: Path,
                                                         warnings: list[str]) -> None:
    script = tmp_path / "keyring"
    script.write_text("#!/bin/sh\necho 'keyring: error: unrecognized arguments: --mode' >&2\n"
                      "exit 2\n")
    script.chmod(0o755)
    keyring = Keyring(str(script))
    assert keyring.get("a", None) is None
    assert keyring.get("b", None) is None
    assert len(warnings) == 1
    assert "does not support --mode creds" in warnings[0] and "25.2.1" in warnings[0]


def test_a_missing_keyring_command_is_a_warning_not_a_crash(tmp_path: Path,
                                                            warnings: list[str]) -> None:
    keyring = Keyring(os.fspath(tmp_path / "nowhere" / "keyring"))
    assert keyring.get("svc", "alice") is None
    assert keyring.get("svc", "alice") is None
    assert len(warnings) == 1 and "--keyring-provider subprocess: cannot run" in warnings[0]
