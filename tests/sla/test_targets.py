"""Targets in days and months, end of day or time of day, counted back; the deadline setting on clocks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servicecore as sc
from servicecore.serialization import structure, unstructure
from servicecore.sla import (
    BusinessCalendar,
    Clocks,
    ClockSpec,
    ClockState,
    DeadlineAt,
    SlaClock,
    SlaPolicy,
    Target,
    TargetUnit,
    initial_due,
)
from servicecore.sla.calendar import add_months_to_date
from tests.sla.strategies import calendars, instants

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
ALWAYS = BusinessCalendar.always_open("Asia/Shanghai")
OFFICE = BusinessCalendar.weekdays("Asia/Shanghai", ["09:00-12:00", "13:30-18:00"])
PROPERTIES = settings(max_examples=60, deadline=None)


def at(*args: int, zone: ZoneInfo = SH) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


# --- calendar months -----------------------------------------------------------------------------------


def test_two_months_after_new_years_eve_is_the_end_of_february() -> None:
    assert add_months_to_date(date(2026, 12, 31), 2) == date(2027, 2, 28)
    assert add_months_to_date(date(2027, 12, 31), 2) == date(2028, 2, 29)  # a leap year
    assert add_months_to_date(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months_to_date(date(2025, 1, 15), 12) == date(2026, 1, 15)
    assert ALWAYS.add_months(at(2026, 12, 31, 16), 2) == at(2027, 2, 28, 16)
    # "by the end of 28 Feb 2027" is the midnight that ends it
    assert ALWAYS.add_months(at(2026, 12, 31, 16), 2, end_of_day=True) == at(2027, 3, 1)
    assert ALWAYS.end_of_day(date(2027, 2, 28)) == at(2027, 3, 1)


def test_a_calendar_month_target_ends_with_the_clamped_day() -> None:
    go_live = at(2026, 12, 31, 16)
    assert initial_due(ALWAYS, Target.calendar_months(2), go_live) == at(2027, 3, 1)  # end of 28 Feb
    assert initial_due(ALWAYS, Target.calendar_months(2), at(2027, 12, 31, 16)) == at(2028, 3, 1)  # end of 29 Feb
    assert initial_due(ALWAYS, Target.calendar_months(2, end_of_day=False), go_live) == at(2027, 2, 28, 16)
    assert initial_due(ALWAYS, Target.calendar_months(-1), at(2025, 3, 31, 9)) == at(2025, 3, 1)  # end of 28 Feb
    # on office hours 28 Feb 2027 is a Sunday: rolled to Monday 1 March unless the agreement says not
    assert initial_due(OFFICE, Target.calendar_months(2), go_live) == at(2027, 3, 2)
    assert initial_due(OFFICE, Target.calendar_months(2, roll_forward=False), go_live) == at(2027, 3, 1)


def test_a_skipped_wall_time_is_read_before_the_change() -> None:
    berlin = BusinessCalendar.always_open("Europe/Berlin")
    # 02:30 does not exist on 30 Mar 2025: read with the winter offset, it is 03:30 summer time
    assert berlin.add_months(at(2025, 1, 30, 2, 30, zone=BERLIN), 2) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)


@PROPERTIES
@given(st.dates(date(1900, 1, 1), date(2100, 12, 31)), st.integers(-1200, 1200))
def test_month_arithmetic_clamps_to_the_end_of_the_month(day: date, months: int) -> None:
    moved = add_months_to_date(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    if day.day <= 28:
        assert moved.day == day.day
        assert add_months_to_date(moved, -months) == day
    else:
        assert moved.day == day.day or (moved + timedelta(days=1)).day == 1, "clamped to the month's last day"
        assert add_months_to_date(moved, -months) <= day


@PROPERTIES
@given(
    st.dates(date(1900, 1, 1), date(2100, 12, 31)),
    st.dates(date(1900, 1, 1), date(2100, 12, 31)),
    st.integers(-240, 240),
    st.integers(-240, 240),
)
def test_month_arithmetic_is_monotonic(a: date, b: date, m: int, n: int) -> None:
    a, b = sorted((a, b))
    m, n = sorted((m, n))
    assert add_months_to_date(a, m) <= add_months_to_date(b, m)
    assert add_months_to_date(a, m) <= add_months_to_date(a, n)


@PROPERTIES
@given(calendars, instants(), st.integers(-25, 25))
def test_the_end_of_day_of_a_month_is_the_next_local_midnight(cal: BusinessCalendar, t: datetime, months: int) -> None:
    same_time = cal.add_months(t, months)
    end = cal.add_months(t, months, end_of_day=True)
    expected_day = add_months_to_date(t.astimezone(cal.time_zone).date(), months)
    assert same_time.astimezone(cal.time_zone).date() == expected_day or cal.time_zone.key != "UTC"
    assert end == cal.start_of_day(expected_day + timedelta(days=1))
    assert same_time < end
    assert cal.between(same_time, end) >= timedelta(0)


# --- day targets: end of day, time of day, counted back -----------------------------------------------------


@PROPERTIES
@given(calendars, instants(), st.integers(-40, 40), st.booleans(), st.booleans())
def test_day_and_month_targets_end_at_a_midnight_or_keep_the_time_of_day(
    cal: BusinessCalendar, start: datetime, count: int, end_of_day: bool, roll_forward: bool
) -> None:
    local = start.astimezone(cal.time_zone)
    for target, n in (
        (Target.calendar_days(count, roll_forward=roll_forward, end_of_day=end_of_day), count),
        (Target.calendar_months(count // 4, roll_forward=roll_forward, end_of_day=end_of_day), count // 4),
    ):
        due = initial_due(cal, target, start)
        due_local = due.astimezone(cal.time_zone)
        if end_of_day:
            assert due == cal.start_of_day(due_local.date()), "a local midnight"
            last = due_local.date() - timedelta(days=1)
        else:
            last = due_local.date()
            assert due_local.time() == local.time() or due_local.utcoffset() != local.utcoffset()
        if roll_forward:
            assert cal.is_working_day(last)
        if n > 0 or (n == 0 and end_of_day):
            assert due > start
        if n < 0:
            assert last < local.date()


@PROPERTIES
@given(calendars, instants(), st.integers(-15, 15))
def test_working_day_targets_end_at_the_close_of_the_last_working_day(
    cal: BusinessCalendar, start: datetime, days: int
) -> None:
    due = initial_due(cal, Target.business_days(days), start)
    assert due == cal.add_working_days(start, days)
    last = cal.working_day(start.astimezone(cal.time_zone).date(), days)
    end_of_last = cal.end_of_day(last)
    if days:
        assert cal.between(due, end_of_last) == timedelta(0), "nothing is worked between the close and midnight"
        if cal.deadline_at is DeadlineAt.WINDOW_END:
            assert due <= end_of_last
            assert cal.between(due - timedelta(microseconds=1), due) > timedelta(0), "the close of a window"
        else:
            assert due >= end_of_last
            assert cal.is_working(due)
    if days < 0:  # with next_start, the close may move past a start outside working time, never past work
        assert due < start or (cal.deadline_at is DeadlineAt.NEXT_START and cal.between(start, due) == timedelta(0))
    kept = initial_due(cal, Target.business_days(days, end_of_day=False), start)
    wall = cal.at_wall_time(last, start.astimezone(cal.time_zone).time())
    assert kept == wall if cal.is_working(wall) else kept == cal.settle(wall)
    assert cal.is_working(kept) or cal.settle(kept) == kept


def test_working_days_keep_the_time_of_day_when_asked() -> None:
    monday = at(2025, 3, 3, 14)
    assert initial_due(OFFICE, Target.business_days(2, end_of_day=False), monday) == at(2025, 3, 5, 14)
    assert initial_due(OFFICE, Target.business_days(2), monday) == at(2025, 3, 5, 18)
    assert initial_due(OFFICE, Target.business_days(-2), at(2025, 3, 13, 10)) == at(2025, 3, 11, 18)
    assert initial_due(OFFICE, Target.business_days(-2, end_of_day=False), at(2025, 3, 13, 10)) == at(2025, 3, 11, 10)
    # a time of day outside working hours settles as the calendar says: that day's close, or the next start
    evening = at(2025, 3, 3, 20)
    assert initial_due(OFFICE, Target.business_days(2, end_of_day=False), evening) == at(2025, 3, 5, 18)
    later = attrs.evolve(OFFICE, deadline_at="next_start")
    assert initial_due(later, Target.business_days(2, end_of_day=False), evening) == at(2025, 3, 6, 9)


def test_calendar_days_keep_their_end_of_day_default() -> None:
    start = at(2025, 3, 3, 14)
    assert Target.calendar_days(5) == Target("calendar_days", 5)
    # day 5 is Sat 8 Mar: rolled to the end of Monday, or the end of Saturday without roll_forward
    assert (
        initial_due(OFFICE, Target.calendar_days(5), start) == at(2025, 3, 11) == OFFICE.end_of_day(date(2025, 3, 10))
    )
    assert initial_due(OFFICE, Target.calendar_days(5, roll_forward=False), start) == at(2025, 3, 9)
    assert initial_due(OFFICE, Target.calendar_days(5, end_of_day=False, roll_forward=False), start) == at(
        2025, 3, 8, 14
    )
    assert initial_due(OFFICE, Target.calendar_days(-2), start) == at(2025, 3, 1), "Sat 1 Mar moves back to Friday"


# --- clear errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field", "message"),
    [
        (lambda: Target("business_time", 61), "amount", "business_time target is a duration"),
        (lambda: Target("calendar_days", "sixty"), "amount", "calendar_days target counts whole days"),
        (lambda: Target("business_days", 2.5), "amount", "business_days target counts whole days"),
        (lambda: Target("business_days", "PT4H"), "amount", "counts whole days, got PT4H"),
        (lambda: Target("calendar_months", 2), "amount", "Target.calendar_months(2)"),
        (lambda: Target("calendar_days", 3, months=1), "months", "only a calendar_months target"),
        (lambda: Target("calendar_months", months="two"), "months", "whole number of months"),
        (lambda: Target.business(H).__class__("business_time", H, end_of_day=False), "end_of_day", "business_time"),
        (lambda: Target.business_days(True), "days", "whole number of days"),
    ],
)
def test_each_unit_explains_its_amount(build: object, field: str, message: str) -> None:
    with pytest.raises(sc.ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field


def test_day_units_accept_a_number_of_days() -> None:
    assert Target("calendar_days", 61).days == 61
    assert Target("business_days", "P5D") == Target.business_days(5)
    assert Target("business_days", -2).days == -2
    assert Target("calendar_months", months=2) == Target.calendar_months(2)
    assert Target.calendar_months(2).days == 0
    assert TargetUnit.CALENDAR_MONTHS.is_calendar
    assert not TargetUnit.BUSINESS_DAYS.is_calendar


# --- serialization ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        Target.business(4 * H),
        Target.business_days(-2, end_of_day=False),
        Target.calendar_days(61, roll_forward=False),
        Target.calendar_months(2),
        Target.calendar_months(-1, end_of_day=False),
    ],
    ids=repr,
)
def test_targets_round_trip_through_the_converter(target: Target) -> None:
    assert structure(json.loads(json.dumps(unstructure(target))), Target) == target


def test_a_target_stored_before_the_new_settings_loads() -> None:
    stored = {"unit": "business_days", "amount": "P5D", "roll_forward": True}
    assert structure(stored, Target) == Target.business_days(5)


@pytest.mark.parametrize("deadline_at", list(DeadlineAt))
def test_calendars_round_trip_with_their_deadline_setting(deadline_at: DeadlineAt) -> None:
    cal = BusinessCalendar.weekdays(
        "Asia/Shanghai",
        ["09:00-12:00", "13:30-18:00"],
        holidays=["2025-10-01"],
        extra_working_days=["2025-09-28"],
        deadline_at=deadline_at,
    )
    data = json.loads(json.dumps(unstructure(cal)))
    assert data["deadline_at"] == deadline_at.value
    assert data["holidays"] == ["2025-10-01"]
    back = structure(data, BusinessCalendar)
    assert back == cal
    assert back.add(at(2025, 9, 30, 9), 7.5 * H) == cal.add(at(2025, 9, 30, 9), 7.5 * H)


def test_a_stored_clock_with_a_month_target_loads_back() -> None:
    spec = ClockSpec(
        name="acceptance", start_on={"installed"}, stop_on={"accepted"}, targets={"*": Target.calendar_months(2)}
    )
    policy = SlaPolicy(name="erp", clocks=[spec])
    clocks = Clocks().observe("installed", at(2026, 12, 31, 16), calendar=ALWAYS, policy=policy, priority="normal")
    data = json.loads(json.dumps(unstructure(clocks)))
    assert structure(data, Clocks) == clocks


# --- clocks: window end, months, and the state at a pause ----------------------------------------------------

TEN_TO_SIX = BusinessCalendar.weekdays("Europe/Berlin", ["10:00-18:00"])
RESPONSE = SlaPolicy(
    name="p",
    clocks=[
        ClockSpec(
            name="resolution",
            start_on={"open"},
            pause_on={"waiting"},
            stop_on={"done"},
            targets={"*": Target.business(6 * H)},
        )
    ],
)


def test_a_clock_is_due_and_breached_at_close_of_business() -> None:
    noon = at(2025, 3, 4, 12, zone=BERLIN)
    clocks = Clocks().observe("open", noon, calendar=TEN_TO_SIX, policy=RESPONSE, priority="normal")
    running = clocks.get("resolution")
    assert running is not None
    assert running.due_at == at(2025, 3, 4, 18, zone=BERLIN)
    scanned, alerts = clocks.scan(at(2025, 3, 4, 18, zone=BERLIN))
    assert [a.level for a in alerts] == ["warning", "breach"]
    assert scanned.scan(at(2025, 3, 5, 10, zone=BERLIN))[1] == ()
    later = attrs.evolve(TEN_TO_SIX, deadline_at=DeadlineAt.NEXT_START)
    next_start = Clocks().observe("open", noon, calendar=later, policy=RESPONSE, priority="normal")
    assert next_start.scan(at(2025, 3, 4, 18, zone=BERLIN))[1][-1].level == "warning"
    found = next_start.get("resolution")
    assert found is not None
    assert found.due_at == at(2025, 3, 5, 10, zone=BERLIN)


def test_a_month_clock_counts_its_pauses_like_calendar_days() -> None:
    spec = ClockSpec(
        name="acceptance",
        start_on={"installed"},
        pause_on={"blocked"},
        stop_on={"accepted"},
        targets={"*": Target.calendar_months(2)},
    )
    policy = SlaPolicy(name="erp", clocks=[spec])
    events = [("installed", at(2025, 12, 31, 16)), ("blocked", at(2026, 1, 10, 12)), ("installed", at(2026, 1, 13, 12))]
    clocks = Clocks()
    for status, when in events:
        clocks = clocks.observe(status, when, calendar=ALWAYS, policy=policy, priority="normal")
    clock = clocks.get("acceptance")
    assert clock is not None
    assert clock.due_at == at(2026, 3, 4), "the end of 28 Feb, moved by the three days of the pause"
    assert clock.paused_time(at(2026, 1, 20), ALWAYS) == timedelta(days=3)
    assert clock.remaining(at(2026, 3, 1), ALWAYS) == timedelta(days=3)


def test_a_clock_is_paused_from_the_instant_its_pause_begins() -> None:
    start, pause = at(2025, 3, 4, 11, zone=BERLIN), at(2025, 3, 4, 13, zone=BERLIN)
    clocks = Clocks().observe("open", start, calendar=TEN_TO_SIX, policy=RESPONSE, priority="normal")
    clocks = clocks.observe("waiting", pause, calendar=TEN_TO_SIX, policy=RESPONSE, priority="normal")
    clock = clocks.get("resolution")
    assert clock is not None
    assert clock.is_paused
    assert clock.is_paused_at(pause)
    assert clock.state(pause) is ClockState.PAUSED
    assert clock.state(pause - timedelta(microseconds=1)) is ClockState.RUNNING
    waiting = SlaPolicy(
        name="w",
        clocks=[attrs.evolve(RESPONSE.clocks[0], start_on={"open", "waiting"})],
    )
    born_paused = Clocks().observe("waiting", start, calendar=TEN_TO_SIX, policy=waiting, priority="normal")
    first = born_paused.get("resolution")
    assert first is not None
    assert first.is_paused
    assert first.state(start) is ClockState.PAUSED, "a clock that starts paused is paused at its start"


EVENTS = st.lists(
    st.tuples(st.sampled_from(["open", "waiting", "done"]), st.integers(0, 3 * 24 * 60)), min_size=1, max_size=8
)


@PROPERTIES
@given(EVENTS, st.integers(0, 3 * 24 * 60), st.sampled_from([TEN_TO_SIX, OFFICE, ALWAYS]))
def test_state_and_pauses_agree_at_every_instant(
    events: list[tuple[str, int]], later: int, cal: BusinessCalendar
) -> None:
    clocks, now = Clocks(), datetime(2025, 3, 3, 8, tzinfo=UTC)
    for status, minutes in events:
        now += timedelta(minutes=minutes)
        clocks = clocks.observe(status, now, calendar=cal, policy=RESPONSE, priority="normal")
    clock: SlaClock | None = clocks.get("resolution")
    if clock is None:
        return
    for instant in (now, now + timedelta(minutes=later)):
        state = clock.state(instant)
        assert clock.is_paused_at(instant) == clock.is_paused
        late = clock._reference(instant) >= clock.due_at
        assert (state is ClockState.PAUSED) == (clock.is_paused_at(instant) and not late)
        if clock.is_running:
            assert (state is ClockState.BREACHED) == (instant >= clock.due_at)
        if clock.is_stopped:
            assert state in (ClockState.MET, ClockState.BREACHED)


def test_ten_to_six_with_time_in_the_morning_of_the_start() -> None:
    # a start before opening counts from 10:00: 8 business hours end at that day's close
    early = at(2025, 3, 4, 7, zone=BERLIN)
    assert TEN_TO_SIX.add(early, 8 * H) == at(2025, 3, 4, 18, zone=BERLIN)
    assert TEN_TO_SIX.next_working_instant(early).time() == time(10)
