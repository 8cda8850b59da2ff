"""Clock adapters: the real one and a manual one for tests, demos and docs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from servicecore.domain.values import check_aware


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current instant."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; starts at ``start``."""

    def __init__(self, start: datetime) -> None:
        self._now = check_aware("start", start)

    def now(self) -> datetime:
        """The instant the clock is set to."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` (never backwards) and return the new time."""
        if delta < timedelta(0):
            raise ValueError("a ManualClock never moves backwards")
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to ``instant`` (must not be earlier than now)."""
        instant = check_aware("instant", instant)
        if instant < self._now:
            raise ValueError(f"a ManualClock never moves backwards ({instant} < {self._now})")
        self._now = instant
