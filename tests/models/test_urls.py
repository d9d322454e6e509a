"""URLs fit to show (redacted), to store (no credentials) and to key caches (canonical)."""

from __future__ import annotations

from pyffin.models.urls import normalize_url, redact, strip_credentials


def test_redaction_helpers() -> None:
    assert redact("https://u:p@h/x") == "https://u:****@h/x"
    assert redact("https://token@h/x") == "https://****@h/x"
    assert redact("https://h/x") == "https://h/x"
    assert strip_credentials("https://u:p@h:8/x") == "https://h:8/x"


def test_credentials_never_reach_the_normalized_url() -> None:
    assert "secret" not in normalize_url("https://user:secret@example.org/simple")


def test_the_canonical_form_ignores_case_default_port_fragment_and_trailing_slash() -> None:
    assert normalize_url("HTTPS://Example.ORG:443/simple/#x") == "https://example.org/simple"
    assert normalize_url("http://[::1]:8080/simple") == "http://[::1]:8080/simple"
