"""Built-in notifiers: one that records (for tests and demos) and one that logs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from servicecore.domain.errors import ConfigurationError
from servicecore.hookspecs import NotifierFactory, hookimpl
from servicecore.ports.notification import Notification


class RecordingNotifier:
    """Keeps every notification it is sent in :attr:`sent`, in order."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        """Record the notification."""
        self.sent.append(notification)


class LoggingNotifier:
    """Writes each notification to a :mod:`logging` logger (default ``servicecore.notifications``)."""

    def __init__(self, logger_name: str = "servicecore.notifications", level: int = logging.INFO) -> None:
        self._logger = logging.getLogger(logger_name)
        self._level = level

    def send(self, notification: Notification) -> None:
        """Log one line per notification."""
        self._logger.log(
            self._level,
            "%s to %s: %s",
            notification.event,
            ", ".join(notification.recipients),
            notification.subject,
        )


def _recording(options: Mapping[str, Any]) -> RecordingNotifier:
    if options:
        raise ConfigurationError(f"the recording notifier takes no options, got {sorted(options)}")
    return RecordingNotifier()


def _logging(options: Mapping[str, Any]) -> LoggingNotifier:
    unknown = set(options) - {"logger", "level"}
    if unknown:
        raise ConfigurationError(f"unknown logging notifier options: {sorted(unknown)}; known: logger, level")
    level = options.get("level", "INFO")
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        raise ConfigurationError(f"logging notifier option 'level': unknown level {level!r}")
    return LoggingNotifier(str(options.get("logger", "servicecore.notifications")), numeric)


@hookimpl
def servicecore_notifiers() -> dict[str, NotifierFactory]:
    """Provide the ``recording`` and ``logging`` notifiers."""
    return {"recording": _recording, "logging": _logging}
