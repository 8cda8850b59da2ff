"""The small built-in adapters: notifiers, clocks and id generators."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

import servicecore as sc
from servicecore.ports import Clock, IdGenerator, Notification, Notifier
from servicecore_adapters.clocks import ManualClock, SystemClock
from servicecore_adapters.ids import SequentialIds, UuidIds
from servicecore_adapters.notifiers import LoggingNotifier, RecordingNotifier

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def notification(subject: str = "Hello") -> Notification:
    return Notification(
        id="NTF-1",
        event="RequestReceived",
        aggregate_type="ServiceRequest",
        aggregate_id="REQ-1",
        recipients=("customer:C-1",),
        subject=subject,
        created_at=NOW,
    )


def test_adapters_satisfy_their_ports():
    assert isinstance(RecordingNotifier(), Notifier)
    assert isinstance(LoggingNotifier(), Notifier)
    assert isinstance(SystemClock(), Clock)
    assert isinstance(ManualClock(NOW), Clock)
    assert isinstance(UuidIds(), IdGenerator)
    assert isinstance(SequentialIds(), IdGenerator)


def test_recording_notifier_keeps_order():
    notifier = RecordingNotifier()
    notifier.send(notification("one"))
    notifier.send(notification("two"))
    assert [n.subject for n in notifier.sent] == ["one", "two"]


def test_logging_notifier_logs_event_recipients_and_subject(caplog):
    notifier = sc.Plugins().notifier("logging", {"logger": "test.notify", "level": "WARNING"})
    with caplog.at_level(logging.WARNING, logger="test.notify"):
        notifier.send(notification("Your request"))
    assert caplog.records[0].getMessage() == "RequestReceived to customer:C-1: Your request"


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("logging", {"level": "LOUD"}, "unknown level"),
        ("logging", {"colour": 1}, "colour"),
        ("recording", {"x": 1}, "no options"),
    ],
)
def test_notifier_options_are_validated(name, options, message):
    with pytest.raises(sc.ConfigurationError, match=message):
        sc.Plugins().notifier(name, options)


def test_system_clock_is_aware():
    assert SystemClock().now().tzinfo is not None


def test_manual_clock_moves_only_forward():
    clock = ManualClock(NOW)
    assert clock.advance(timedelta(minutes=5)) == NOW + timedelta(minutes=5)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="backwards"):
        clock.set(NOW)
    with pytest.raises(sc.ValidationError, match="start"):
        ManualClock(datetime(2026, 1, 1))  # naive


def test_sequential_ids_count_per_kind():
    ids = SequentialIds()
    assert [ids.new_id("request"), ids.new_id("request"), ids.new_id("work_order")] == [
        "REQ-0001",
        "REQ-0002",
        "WO-0001",
    ]


def test_uuid_ids_are_unique_and_prefixed():
    ids = UuidIds()
    made = {ids.new_id("agreement") for _ in range(1000)}
    assert len(made) == 1000
    assert all(i.startswith("AGR-") for i in made)
