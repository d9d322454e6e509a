"""Private indexes: credentials from the ``keyring`` command (``--keyring-provider
subprocess``), private CAs (``--cert``, ``SSL_CERT_FILE``), hosts whose certificates are not
checked (``--allow-insecure-host`` / ``--trusted-host``) — each used for real against the local
index, with basic auth or HTTPS (issue 16)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import Result, pyffin
from tests.support.dists import WheelSpec
from tests.support.index import IndexServer
from tests.support.keyring import keyring_calls, keyring_command

PASSWORD = "s3cret-t0ken"


@pytest.fixture
def private(index_server: IndexServer) -> IndexServer:
    """An index that answers only to alice's basic-auth credentials."""
    index_server.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib"]))
    index_server.add_wheel(WheelSpec("lib", "1.0"))
    index_server.add_wheel(WheelSpec("lib", "2.0"))
    index_server.auth = ("alice", PASSWORD)
    return index_server


def with_user(url: str, user: str = "alice") -> str:
    return url.replace("://", f"://{user}@", 1)


def on_path(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ.get('PATH', '')}")


def compile_(tmp_path: Path, *args: str | Path, requirements: str = "app\n") -> Result:
    (tmp_path / "req.in").write_text(requirements)
    return pyffin("pip", "compile", tmp_path / "req.in", "--no-header", "--no-annotate",
                  "--no-config", *args, cache_dir=tmp_path / "cache")


def pins(result: Result) -> list[str]:
    assert result.returncode == 0, result
    return [line for line in result.stdout.splitlines() if line and line[0] not in "#-"]


def files_containing(root: Path, secret: str) -> list[Path]:
    return [path for path in root.rglob("*")
            if path.is_file() and secret.encode() in path.read_bytes()]


# ------------------------------------------------------------------------------ keyring
def test_keyring_gives_the_password_of_the_index_urls_username(
        private: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    keyring_command(bin_dir, {(private.index_url, "alice"): ("alice", PASSWORD)})
    on_path(monkeypatch, bin_dir)
    index = with_user(private.index_url)
    refused = compile_(tmp_path, "-i", index)
    assert refused.returncode == 2
    assert "refused access (HTTP 401)" in refused.stderr and "--keyring-provider" in refused.stderr
    assert keyring_calls(bin_dir) == []  # disabled by default

    result = compile_(tmp_path, "-i", index, "--keyring-provider", "subprocess", "-v")
    assert pins(result) == ["app==1.0", "lib==2.0"]
    # One question for the whole run (pages, metadata files), the index URL as the service.
    assert keyring_calls(bin_dir) == [f"get {private.index_url} alice"]
    # The password is never shown, and never stored.
    assert PASSWORD not in result.stdout + result.stderr
    assert files_containing(tmp_path / "cache", PASSWORD) == []


def test_keyring_without_a_username_is_asked_after_the_401(
        private: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    keyring_command(bin_dir, {(private.index_url, None): ("alice", PASSWORD)})
    on_path(monkeypatch, bin_dir)
    monkeypatch.setenv("PYFFIN_KEYRING_PROVIDER", "subprocess")
    assert pins(compile_(tmp_path, "-i", private.index_url)) == ["app==1.0", "lib==2.0"]
    assert keyring_calls(bin_dir) == [f"get {private.index_url} --mode creds"]
    first = private.request_log[0]
    assert first.path == "/simple/app/" and "authorization" not in first.headers
    assert all("authorization" in r.headers for r in private.request_log[2:])


def test_install_and_list_outdated_use_the_keyring(
        private: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    keyring_command(bin_dir, {(private.index_url, "alice"): ("alice", PASSWORD)})
    on_path(monkeypatch, bin_dir)
    venv = tmp_path / "env"
    assert pyffin("venv", venv, "--python", sys.executable,
                  cache_dir=tmp_path / "cache").returncode == 0
    common = ("--python", venv / "bin" / "python", "-i", with_user(private.index_url),
              "--keyring-provider", "subprocess", "--no-config")
    installed = pyffin("pip", "install", "lib==1.0", *common, cache_dir=tmp_path / "cache")
    assert installed.returncode == 0, installed
    assert " + lib==1.0" in installed.stderr
    outdated = pyffin("pip", "list", "--outdated", *common, cache_dir=tmp_path / "cache")
    assert outdated.returncode == 0, outdated
    assert "lib     1.0     2.0    wheel" in outdated.stdout.splitlines()
    assert files_containing(tmp_path / "cache", PASSWORD) == []


# ---------------------------------------------------------------------------------- TLS
@pytest.fixture
def https_index(tmp_path_factory: pytest.TempPathFactory,
                tls_certificate: tuple[Path, Path]) -> Iterator[IndexServer]:
    with IndexServer(tls=tls_certificate, dist_dir=tmp_path_factory.mktemp("tls")) as server:
        server.add_wheel(WheelSpec("app", "1.0", requires_dist=["lib"]))
        server.add_wheel(WheelSpec("lib", "2.0"))
        yield server


def test_a_private_ca_is_named_with_cert(https_index: IndexServer, tmp_path: Path,
                                         tls_certificate: tuple[Path, Path],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cert, _key = tls_certificate
    untrusted = compile_(tmp_path, "-i", https_index.index_url)
    assert untrusted.returncode == 2
    assert "TLS error talking to https://127.0.0.1" in untrusted.stderr
    assert "--cert" in untrusted.stderr
    assert pins(compile_(tmp_path, "-i", https_index.index_url, "--cert", cert)) == [
        "app==1.0", "lib==2.0"]
    # uv's spellings of "the system's trust store", which pyffin uses anyway, are accepted.
    assert pins(compile_(tmp_path, "-i", https_index.index_url, "--cert", cert,
                         "--native-tls", "--refresh")) == ["app==1.0", "lib==2.0"]
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    assert pins(compile_(tmp_path, "-i", https_index.index_url, "--system-certs",
                         "--refresh")) == ["app==1.0", "lib==2.0"]


def test_a_missing_cert_is_a_clear_error(https_index: IndexServer, tmp_path: Path) -> None:
    result = compile_(tmp_path, "-i", https_index.index_url, "--cert", tmp_path / "nope.pem")
    assert result.returncode == 2
    assert f"the certificate bundle {tmp_path / 'nope.pem'} does not exist" in result.stderr


@pytest.mark.parametrize("option", ["--allow-insecure-host", "--trusted-host"])
def test_an_insecure_host_is_not_verified(https_index: IndexServer, tmp_path: Path,
                                          option: str) -> None:
    port = https_index.url.rsplit(":", 1)[1]
    assert pins(compile_(tmp_path, "-i", https_index.index_url, option, "127.0.0.1")) == [
        "app==1.0", "lib==2.0"]
    assert pins(compile_(tmp_path, "-i", https_index.index_url, option, f"127.0.0.1:{port}",
                         "--refresh")) == ["app==1.0", "lib==2.0"]
    other_port = compile_(tmp_path, "-i", https_index.index_url, option, "127.0.0.1:1",
                          "--refresh")
    assert other_port.returncode == 2 and "TLS error" in other_port.stderr


def test_insecure_hosts_from_the_environment_and_pip_conf(
        https_index: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFFIN_ALLOW_INSECURE_HOST", "localhost 127.0.0.1")
    assert pins(compile_(tmp_path, "-i", https_index.index_url)) == ["app==1.0", "lib==2.0"]
    monkeypatch.delenv("PYFFIN_ALLOW_INSECURE_HOST")
    (tmp_path / "pip.conf").write_text("[global]\ntrusted-host = 127.0.0.1\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "pip.conf"))
    (tmp_path / "req.in").write_text("app\n")
    result = pyffin("pip", "compile", tmp_path / "req.in", "--no-header", "--no-annotate",
                    "-i", https_index.index_url, "--refresh", cache_dir=tmp_path / "cache")
    assert pins(result) == ["app==1.0", "lib==2.0"]


def test_trusted_host_in_a_requirements_file(https_index: IndexServer, tmp_path: Path) -> None:
    # pip's and uv's requirements files may say which host to trust, next to its index.
    lines = f"-i {https_index.index_url}\n--trusted-host 127.0.0.1\napp\n"
    assert pins(compile_(tmp_path, requirements=lines)) == ["app==1.0", "lib==2.0"]


def test_a_bad_insecure_host_is_a_usage_error(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    result = compile_(tmp_path, "--allow-insecure-host", "host:port")
    assert result.returncode == 2
    assert "argument --allow-insecure-host/--trusted-host: invalid port in 'host:port'" in \
        result.stderr
    monkeypatch.setenv("PYFFIN_ALLOW_INSECURE_HOST", ":8080")
    result = compile_(tmp_path)
    assert result.returncode == 2
    assert "invalid --allow-insecure-host value: no host in ':8080'" in result.stderr
