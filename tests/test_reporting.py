"""``pyffin.reporting``: progress events, and the records a Python API caller receives."""

from __future__ import annotations

from pyffin.reporting import CallbackReporter, Event, HeldFetches


def test_events_show_what_they_say() -> None:
    assert repr(Event("install", "app==1.0")) == "Event('install', 'app==1.0')"
    assert str(Event("install", "app==1.0")) == "Installed app==1.0"
    assert repr(Event("download-start", "a.whl", 2048)) == \
        "Event('download-start', 'a.whl', amount=2048)"
    assert str(Event("download-start", "a.whl", 2048)) == "Downloading a.whl (2048 bytes)"
    assert str(Event("resolve-progress", amount=1)) == "Resolving dependencies... (1 package)"
    assert repr(Event("message", level=30, message="careful")) == \
        "Event('message', level=30, message='careful')"
    assert str(Event("message", level=30, message="careful")) == "careful"


def test_a_callback_reporter_turns_every_call_into_an_event() -> None:
    heard: list[Event] = []
    reporter = CallbackReporter(heard.append)
    reporter.on_resolve_progress(3)
    reporter.on_resolve_done()
    reporter.on_build_start("pkg==1.0")
    reporter.on_build_done("pkg==1.0")
    reporter.on_fetch_start("a.whl", None)
    reporter.on_fetch_progress("a.whl", 10)
    reporter.on_fetch_done("a.whl")
    reporter.on_install("a", "1.0")
    reporter.on_uninstall("b", "2.0")
    assert [str(event) for event in heard] == [
        "Resolving dependencies... (3 packages)", "Resolved", "Building pkg==1.0",
        "Built pkg==1.0", "Downloading a.whl", "Downloading a.whl: 10 more bytes",
        "Downloaded a.whl", "Installed a==1.0", "Uninstalled b==2.0"]


def test_held_downloads_are_passed_on_in_order_once_released_and_at_once_after() -> None:
    heard: list[Event] = []
    held = HeldFetches(CallbackReporter(heard.append))
    held.on_fetch_start("a.whl", 30)
    held.on_fetch_progress("a.whl", 10)
    held.on_fetch_start("b.whl", None)
    held.on_fetch_progress("a.whl", 20)  # a download's chunks held are passed on as one
    held.on_fetch_done("a.whl")
    held.on_fetch_progress("b.whl", 5)
    assert heard == []
    held.release()
    assert [(e.kind, e.subject, e.amount) for e in heard] == [
        ("download-start", "a.whl", 30), ("download-progress", "a.whl", 30),
        ("download-start", "b.whl", None), ("download-done", "a.whl", None),
        ("download-progress", "b.whl", 5)]
    held.on_fetch_progress("b.whl", 7)
    held.on_fetch_done("b.whl")
    assert [(e.kind, e.amount) for e in heard[5:]] == [("download-progress", 7),
                                                       ("download-done", None)]


def test_a_retry_held_is_passed_on_as_the_bytes_that_count() -> None:
    heard: list[Event] = []
    held = HeldFetches(CallbackReporter(heard.append))
    held.on_fetch_start("a.whl", 8)
    held.on_fetch_progress("a.whl", 5)
    held.on_fetch_progress("a.whl", -5)  # a retry starts over
    held.on_fetch_progress("a.whl", 8)
    held.on_fetch_done("a.whl")
    held.release()
    assert [(e.kind, e.amount) for e in heard] == [
        ("download-start", 8), ("download-progress", 8), ("download-done", None)]


def test_holding_for_no_reporter_holds_nothing() -> None:
    held = HeldFetches(None)
    held.on_fetch_start("a.whl", 1)
    held.on_fetch_done("a.whl")
    held.release()
