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


#: URLs of every shape the plain reading takes or leaves to ``urlsplit``.
URLS = [
    "https://pypi.org/simple", "https://pypi.org/simple/", "HTTPS://PyPI.org/Simple/",
    "http://127.0.0.1:42107/simple/", "http://127.0.0.1:80/simple", "https://h:443",
    "https://h:8443/a/b//", "http://h:0/x", "http://h:65535/x", "http://h:65536/x",
    "http://h:/x", "http://h:+80/x", "http://h:8:9/x", "http://h:\uff18\uff10/x", "file:///srv/wheels",
    "file://localhost/srv/wheels", "git+https://h/r.git", "https://h//simple", "https://h/a:b",
    "https://h/a;b=c", "https://h/~u/$x&(y)*,!'", "https://h/x?q=1", "https://h/x#frag",
    "https://u@h/x", "https://u:p@h:8/x", "https://[::1]:8080/x", "https://h/%7Eu",
    "https://h/a b", " https://h/x\n", "https://h/\tx", "https://héhé.org/x", "1http://h/x",
    "ht-tp://h/x", "h/x", "://h/x", "https://", "https:///x", "HTTPS://H.ORG:443/",
]


def test_plain_urls_are_normalized_without_urlsplit_to_the_same_form() -> None:
    from pyffin.models.urls import _normalize_plain, _normalize_split

    taken = 0
    for url in URLS:
        plain = _normalize_plain(url.strip())
        if plain is not None:
            taken += 1
            assert plain == _normalize_split(url.strip()), url
        assert normalize_url(url) == _normalize_split(url.strip()), url
    assert taken >= 15  # the plain reading is the common path, not a corner case
