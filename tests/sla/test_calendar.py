"""Business calendars: hand-checked cases (midnight, weekends, DST, 24:00) and Hypothesis properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servicecore as sc
from servicecore.sla import BusinessCalendar, DeadlineAt, WorkingHours, day_hours
from tests.sla import reference
from tests.sla.strategies import calendar_and_durations, calendars, instants, random_calendars

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
OFFICE = BusinessCalendar.weekdays("Asia/Shanghai", ["09:00-12:00", "13:30-18:00"])
NEXT_START = attrs.evolve(OFFICE, deadline_at=DeadlineAt.NEXT_START)


def at(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


# --- office hours ------------------------------------------------------------------


def test_add_within_a_morning() -> None:
    assert OFFICE.add(at(SHANGHAI, 2025, 3, 3, 9), 2 * H) == at(SHANGHAI, 2025, 3, 3, 11)


def test_a_result_at_the_end_of_an_interval_stays_there_by_default() -> None:
    assert OFFICE.add(at(SHANGHAI, 2025, 3, 3, 9), 3 * H) == at(SHANGHAI, 2025, 3, 3, 12)
    assert OFFICE.add(at(SHANGHAI, 2025, 3, 3, 9), 7.5 * H) == at(SHANGHAI, 2025, 3, 3, 18)


def test_with_next_start_a_result_at_the_end_of_an_interval_lands_at_the_start_of_the_next() -> None:
    assert NEXT_START.add(at(SHANGHAI, 2025, 3, 3, 9), 3 * H) == at(SHANGHAI, 2025, 3, 3, 13, 30)
    assert NEXT_START.add(at(SHANGHAI, 2025, 3, 3, 9), 7.5 * H) == at(SHANGHAI, 2025, 3, 4, 9)


def test_six_business_hours_from_noon_on_a_ten_to_six_day() -> None:
    # ERPNext, Frappe Helpdesk and GLPI: 18:00 the same day, "by close of business"
    day = BusinessCalendar.weekdays("Europe/Berlin", ["10:00-18:00"])
    noon = at(BERLIN, 2025, 3, 4, 12)
    assert day.add(noon, 6 * H) == at(BERLIN, 2025, 3, 4, 18)
    assert attrs.evolve(day, deadline_at="next_start").add(noon, 6 * H) == at(BERLIN, 2025, 3, 5, 10)
    assert day.between(noon, at(BERLIN, 2025, 3, 4, 18)) == day.between(noon, at(BERLIN, 2025, 3, 5, 10)) == 6 * H


def test_add_across_the_weekend() -> None:
    friday = at(SHANGHAI, 2025, 3, 7, 16)
    assert OFFICE.add(friday, 3 * H) == at(SHANGHAI, 2025, 3, 10, 10)
    assert OFFICE.between(friday, at(SHANGHAI, 2025, 3, 10, 10)) == 3 * H


def test_add_from_outside_working_time_starts_counting_at_the_next_working_instant() -> None:
    assert OFFICE.add(at(SHANGHAI, 2025, 3, 8, 23), H) == at(SHANGHAI, 2025, 3, 10, 10)
    assert OFFICE.add(at(SHANGHAI, 2025, 3, 3, 12, 15), H) == at(SHANGHAI, 2025, 3, 3, 14, 30)


def test_add_zero_is_the_next_working_instant() -> None:
    assert OFFICE.add(at(SHANGHAI, 2025, 3, 3, 10), timedelta(0)) == at(SHANGHAI, 2025, 3, 3, 10)
    assert OFFICE.add(at(SHANGHAI, 2025, 3, 3, 12), timedelta(0)) == at(SHANGHAI, 2025, 3, 3, 13, 30)
    assert OFFICE.next_working_instant(at(SHANGHAI, 2025, 3, 7, 18)) == at(SHANGHAI, 2025, 3, 10, 9)


def test_subtract_goes_back_across_the_weekend() -> None:
    monday = at(SHANGHAI, 2025, 3, 10, 10)
    assert OFFICE.subtract(monday, 3 * H) == at(SHANGHAI, 2025, 3, 7, 16)
    assert OFFICE.add(monday, -3 * H) == at(SHANGHAI, 2025, 3, 7, 16)
    # exactly the business time before Monday 09:00: Friday's close, or Monday 09:00 itself with next_start
    assert OFFICE.subtract(monday, H) == at(SHANGHAI, 2025, 3, 7, 18)
    assert NEXT_START.subtract(monday, H) == at(SHANGHAI, 2025, 3, 10, 9)


def test_between_is_signed_and_zero_outside_working_time() -> None:
    friday_evening, monday_morning = at(SHANGHAI, 2025, 3, 7, 18), at(SHANGHAI, 2025, 3, 10, 9)
    assert OFFICE.between(friday_evening, monday_morning) == timedelta(0)
    assert OFFICE.between(at(SHANGHAI, 2025, 3, 10, 10), at(SHANGHAI, 2025, 3, 7, 17)) == -2 * H


def test_is_working_includes_the_start_and_excludes_the_end() -> None:
    assert OFFICE.is_working(at(SHANGHAI, 2025, 3, 3, 9))
    assert not OFFICE.is_working(at(SHANGHAI, 2025, 3, 3, 12))
    assert OFFICE.is_working(at(SHANGHAI, 2025, 3, 3, 11, 59, 59))
    assert not OFFICE.is_working(at(SHANGHAI, 2025, 3, 8, 10))


def test_instants_in_other_zones_are_read_in_the_calendars_zone() -> None:
    # 01:00 UTC is 09:00 in Shanghai: the server's or the caller's zone does not matter
    utc = datetime(2025, 3, 3, 1, tzinfo=UTC)
    assert OFFICE.is_working(utc)
    assert OFFICE.add(utc, H) == at(SHANGHAI, 2025, 3, 3, 10)
    result = OFFICE.add(utc, H)
    assert result.utcoffset() == timedelta(hours=8)
    assert result.astimezone(SHANGHAI).tzinfo is SHANGHAI


def test_a_year_of_business_time() -> None:
    start = at(SHANGHAI, 2025, 1, 6, 9)  # a Monday; 52 weeks of 37.5 hours, no holidays in this calendar
    assert OFFICE.add(start, 52 * 37.5 * H) == at(SHANGHAI, 2026, 1, 2, 18)  # the close of the 52nd Friday
    assert NEXT_START.add(start, 52 * 37.5 * H) == at(SHANGHAI, 2026, 1, 5, 9)
    assert OFFICE.between(start, at(SHANGHAI, 2026, 1, 5, 9)) == 52 * 37.5 * H


def test_add_working_days_does_not_count_the_start_date() -> None:
    friday = at(SHANGHAI, 2025, 3, 7, 10)
    assert OFFICE.add_working_days(friday, 1) == at(SHANGHAI, 2025, 3, 10, 18)  # Monday done
    assert OFFICE.add_working_days(friday, 0) == at(SHANGHAI, 2025, 3, 7, 18)  # the rest of Friday
    assert NEXT_START.add_working_days(friday, 1) == at(SHANGHAI, 2025, 3, 11, 9)
    assert NEXT_START.add_working_days(friday, 0) == at(SHANGHAI, 2025, 3, 10, 9)
    holiday = BusinessCalendar.weekdays("Asia/Shanghai", ["09:00-18:00"], holidays=[date(2025, 3, 10)])
    assert holiday.add_working_days(friday, 1) == at(SHANGHAI, 2025, 3, 11, 18)
    assert attrs.evolve(holiday, deadline_at="next_start").add_working_days(friday, 1) == at(SHANGHAI, 2025, 3, 12, 9)


def test_add_working_days_counts_back_to_the_end_of_an_earlier_working_day() -> None:
    thursday_visit = at(SHANGHAI, 2025, 3, 13, 10)
    # "contact the customer two working days before the visit": by the end of Tuesday
    assert OFFICE.add_working_days(thursday_visit, -2) == at(SHANGHAI, 2025, 3, 11, 18)
    assert NEXT_START.add_working_days(thursday_visit, -2) == at(SHANGHAI, 2025, 3, 12, 9)
    monday = at(SHANGHAI, 2025, 3, 10, 10)
    assert OFFICE.add_working_days(monday, -1) == at(SHANGHAI, 2025, 3, 7, 18), "the weekend is skipped"
    assert OFFICE.working_day(date(2025, 3, 10), -1) == date(2025, 3, 7)
    assert OFFICE.working_day(date(2025, 3, 8), 0) == date(2025, 3, 8)


def test_a_day_with_no_working_time_left_ends_at_the_next_working_instant() -> None:
    evening = at(SHANGHAI, 2025, 3, 7, 19)
    assert OFFICE.add_working_days(evening, 0) == at(SHANGHAI, 2025, 3, 10, 9)
    assert OFFICE.add(evening, timedelta(0)) == at(SHANGHAI, 2025, 3, 10, 9)


# --- midnight, 24:00 and daylight saving ----------------------------------------------


def test_an_interval_ending_at_24_00_runs_into_one_starting_at_midnight() -> None:
    night = BusinessCalendar(time_zone="Asia/Shanghai", week={"mon": ["18:00-24:00"], "tue": ["00:00-06:00"]})
    assert night.add(at(SHANGHAI, 2025, 3, 3, 23), 2 * H) == at(SHANGHAI, 2025, 3, 4, 1)
    assert night.between(at(SHANGHAI, 2025, 3, 3, 20), at(SHANGHAI, 2025, 3, 4, 2)) == 6 * H
    assert not night.is_working(at(SHANGHAI, 2025, 3, 4, 6))


def test_a_result_at_the_midnight_that_ends_a_24_00_interval() -> None:
    evening = BusinessCalendar(time_zone="Asia/Shanghai", week={"mon": ["18:00-24:00"], "tue": ["09:00-12:00"]})
    assert evening.add(at(SHANGHAI, 2025, 3, 3, 18), 6 * H) == at(SHANGHAI, 2025, 3, 4, 0)  # Monday 24:00
    later = attrs.evolve(evening, deadline_at="next_start")
    assert later.add(at(SHANGHAI, 2025, 3, 3, 18), 6 * H) == at(SHANGHAI, 2025, 3, 4, 9)


def test_the_skipped_spring_hour_is_not_worked() -> None:
    shift = BusinessCalendar(time_zone="Europe/Berlin", week=[["01:00-04:00"]] * 7)
    assert shift.between(at(BERLIN, 2025, 3, 29, 12), at(BERLIN, 2025, 3, 30, 12)) == 2 * H
    assert shift.between(at(BERLIN, 2025, 3, 30, 12), at(BERLIN, 2025, 3, 31, 12)) == 3 * H
    # 02:30 does not exist that night: 01:00 CET + 1.5 h is 03:30 CEST
    assert shift.add(at(BERLIN, 2025, 3, 30, 1), 1.5 * H) == at(BERLIN, 2025, 3, 30, 3, 30)


def test_the_repeated_autumn_hour_is_worked_twice() -> None:
    shift = BusinessCalendar(time_zone="Europe/Berlin", week=[["01:00-04:00"]] * 7)
    assert shift.between(at(BERLIN, 2025, 10, 25, 12), at(BERLIN, 2025, 10, 26, 12)) == 4 * H
    first_two_thirty = datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert shift.add(at(BERLIN, 2025, 10, 26, 1), 1.5 * H) == first_two_thirty
    assert shift.add(at(BERLIN, 2025, 10, 26, 1), 2.5 * H) == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # 02:30 CET


def test_a_night_shift_through_the_spring_gap() -> None:
    nights = BusinessCalendar(time_zone="Europe/Berlin", week=[["00:00-06:00", "22:00-24:00"]] * 7)
    # Sat 22:00 to 24:00 (2 h), Sun 00:00-02:00 CET (2 h), 03:00 CEST + 2 h
    assert nights.add(at(BERLIN, 2025, 3, 29, 22), 6 * H) == at(BERLIN, 2025, 3, 30, 5)


def test_24x7_days_are_23_and_25_hours_long_in_new_york() -> None:
    always = BusinessCalendar.always_open("America/New_York")
    assert always.between(at(NEW_YORK, 2025, 3, 9), at(NEW_YORK, 2025, 3, 10)) == 23 * H
    assert always.between(at(NEW_YORK, 2025, 11, 2), at(NEW_YORK, 2025, 11, 3)) == 25 * H
    sundays = BusinessCalendar(time_zone="America/New_York", week={"sun": ["00:00-24:00"]})
    assert sundays.between(at(NEW_YORK, 2025, 3, 8, 12), at(NEW_YORK, 2025, 3, 10, 12)) == 23 * H
    assert sundays.between(at(NEW_YORK, 2025, 11, 1, 12), at(NEW_YORK, 2025, 11, 3, 12)) == 25 * H
    assert sundays.add(at(NEW_YORK, 2025, 11, 1, 12), 25 * H) == at(NEW_YORK, 2025, 11, 3)  # Sunday 24:00
    assert attrs.evolve(sundays, deadline_at="next_start").add(at(NEW_YORK, 2025, 11, 1, 12), 25 * H) == at(
        NEW_YORK, 2025, 11, 9
    )


def test_24x7_is_plain_elapsed_time() -> None:
    always = BusinessCalendar.always_open()
    start = datetime(2025, 1, 1, 12, 34, 56, 789, tzinfo=UTC)
    assert always.add(start, timedelta(days=400, microseconds=3)) == start + timedelta(days=400, microseconds=3)
    assert always.is_working(start)


# --- holidays and extra working days --------------------------------------------------


def test_holidays_and_extra_working_days() -> None:
    cal = BusinessCalendar.weekdays(
        "Asia/Shanghai", ["09:00-17:00"], holidays=["2025-05-01"], extra_working_days=[date(2025, 4, 27)]
    )
    assert not cal.is_working_day(date(2025, 5, 1))
    assert cal.is_working_day(date(2025, 4, 27))  # a Sunday
    assert cal.working_hours(date(2025, 4, 27)) == (WorkingHours("09:00", "17:00"),)
    assert cal.add(at(SHANGHAI, 2025, 4, 26, 10), H) == at(SHANGHAI, 2025, 4, 27, 10)


def test_extra_working_days_can_have_their_own_hours() -> None:
    cal = BusinessCalendar(
        time_zone="UTC",
        week={"mon": ["09:00-17:00"]},
        extra_working_days=["2025-03-08"],
        extra_day_hours=["10:00-12:00"],
    )
    assert cal.between(datetime(2025, 3, 8, tzinfo=UTC), datetime(2025, 3, 9, tzinfo=UTC)) == 2 * H


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize("argument", ["instant", "duration"])
def test_add_refuses_naive_datetimes_and_non_durations(argument: str) -> None:
    good = {"instant": at(SHANGHAI, 2025, 3, 3, 9), "duration": H}
    bad = {"instant": datetime(2025, 3, 3, 9), "duration": 3600}
    with pytest.raises(sc.ValidationError) as caught:
        OFFICE.add(**{**good, argument: bad[argument]})
    assert caught.value.field == argument


def test_every_query_names_its_naive_argument() -> None:
    naive, aware = datetime(2025, 3, 3, 9), at(SHANGHAI, 2025, 3, 3, 9)
    for call, field in [
        (lambda: OFFICE.between(naive, aware), "start"),
        (lambda: OFFICE.between(aware, naive), "end"),
        (lambda: OFFICE.next_working_instant(naive), "instant"),
        (lambda: OFFICE.is_working(naive), "instant"),
        (lambda: OFFICE.subtract(naive, H), "instant"),
        (lambda: OFFICE.add_working_days(naive, 1), "instant"),
    ]:
        with pytest.raises(sc.ValidationError, match="timezone-aware") as caught:
            call()
        assert caught.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_zone": "Mars/Olympus", "week": {"mon": ["09:00-17:00"]}}, "time_zone"),
        ({"time_zone": "UTC", "week": {}}, "week"),
        ({"time_zone": "UTC", "week": {"funday": ["09:00-17:00"]}}, "week"),
        ({"time_zone": "UTC", "week": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "week[mon]"),
        ({"time_zone": "UTC", "week": {"mon": "09:00-17:00"}}, "week[mon]"),
        ({"time_zone": "UTC", "week": {"tue": ["17:00-09:00"]}}, "week[tue][0]"),
        ({"time_zone": "UTC", "week": {"mon": ["24:00-24:00"]}}, "week[mon][0]"),
        ({"time_zone": "UTC", "week": {"mon": ["9-17"]}}, "week[mon][0]"),
        ({"time_zone": "UTC", "week": {"mon": ["09:00-17:00"]}, "holidays": ["2025-13-01"]}, "holidays"),
        ({"time_zone": "UTC", "week": {"mon": ["09:00-17:00"]}, "holidays": "2025-01-01"}, "holidays"),
        (
            {
                "time_zone": "UTC",
                "week": {"mon": ["09:00-17:00"]},
                "holidays": ["2025-01-04"],
                "extra_working_days": ["2025-01-04"],
            },
            "extra_working_days",
        ),
    ],
)
def test_bad_calendars_are_refused_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(sc.ValidationError) as caught:
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_working_hours_accept_times_and_normalise() -> None:
    assert WorkingHours(time(9), "18:00:00") == WorkingHours("09:00", "18:00")
    assert day_hours([("13:30", "18:00"), "09:00–12:00"]) == (
        WorkingHours("09:00", "12:00"),
        WorkingHours("13:30", "18:00"),
    )
    assert WorkingHours.parse("22:00 - 24:00").end_seconds == 86_400


# --- properties -----------------------------------------------------------------------

PROPERTIES = settings(max_examples=60, deadline=None)
Case = tuple[BusinessCalendar, list[timedelta]]


@PROPERTIES
@given(calendar_and_durations(), instants())
def test_adding_then_measuring_gives_the_duration(case: Case, start: datetime) -> None:
    cal, (d,) = case
    end = cal.add(start, d)
    assert end >= start
    assert cal.between(start, end) == d


def closes_a_window(cal: BusinessCalendar, instant: datetime) -> bool:
    """True if working time stops at ``instant``: the microsecond before it is worked, it is not."""
    return not cal.is_working(instant) and cal.between(instant - timedelta(microseconds=1), instant) > timedelta(0)


@PROPERTIES
@given(calendar_and_durations(), instants())
def test_results_land_inside_working_time_or_at_the_close_with_window_end(case: Case, start: datetime) -> None:
    cal, (d,) = case
    assert cal.is_working(cal.next_working_instant(start))
    for result in (cal.add(start, d), cal.subtract(start, d)):
        if d and cal.deadline_at is DeadlineAt.WINDOW_END:
            assert cal.is_working(result) or closes_a_window(cal, result)
            assert not cal.is_working(result) or cal.between(result - timedelta(microseconds=1), result), (
                "never at the start of a window: that is the previous close"
            )
        else:
            assert cal.is_working(result)


@PROPERTIES
@given(calendar_and_durations(), instants())
def test_subtracting_then_measuring_gives_the_duration(case: Case, end: datetime) -> None:
    cal, (d,) = case
    start = cal.subtract(end, d)
    assert start <= cal.next_working_instant(end)  # subtracting zero settles on working time, like adding it
    assert cal.between(start, end) == d


@PROPERTIES
@given(calendar_and_durations(), instants())
def test_add_and_subtract_undo_each_other_up_to_settling(case: Case, t: datetime) -> None:
    cal, (d,) = case
    settled = cal.settle(t) if d else cal.next_working_instant(t)
    assert cal.add(cal.subtract(t, d), d) == settled
    assert cal.subtract(cal.add(t, d), d) == settled
    assert cal.between(settled, t) == timedelta(0) or cal.between(t, settled) == timedelta(0)


@PROPERTIES
@given(calendars, instants())
def test_settle_follows_the_deadline_setting(cal: BusinessCalendar, t: datetime) -> None:
    settled = cal.settle(t)
    assert cal.between(settled, t) == timedelta(0)
    if cal.deadline_at is DeadlineAt.NEXT_START:
        assert settled == cal.next_working_instant(t)
    elif cal.is_working(t) and cal.between(t - timedelta(microseconds=1), t):
        assert settled == t
    else:
        assert settled <= t
        assert closes_a_window(cal, settled) or cal.is_working(settled)


@PROPERTIES
@given(calendar_and_durations(), instants())
def test_the_two_settings_differ_only_where_working_time_stops(case: Case, start: datetime) -> None:
    cal, (d,) = case
    other = attrs.evolve(
        cal,
        deadline_at=DeadlineAt.NEXT_START if cal.deadline_at is DeadlineAt.WINDOW_END else DeadlineAt.WINDOW_END,
    )
    a, b = sorted((cal.add(start, d), other.add(start, d)))
    assert cal.between(a, b) == timedelta(0)
    assert a == b or (closes_a_window(cal, a) and cal.next_working_instant(a) == b)


@PROPERTIES
@given(calendar_and_durations(2), instants(), instants())
def test_add_is_monotonic_in_the_start_and_the_duration(case: Case, a: datetime, b: datetime) -> None:
    cal, (d, e) = case
    a, b = sorted((a, b))
    d, e = sorted((d, e))
    assert cal.add(a, d) <= cal.add(b, d)
    assert cal.add(a, d) <= cal.add(a, e)


@PROPERTIES
@given(calendars, instants(), instants(), instants())
def test_between_adds_up_and_changes_sign(cal: BusinessCalendar, a: datetime, b: datetime, c: datetime) -> None:
    assert cal.between(a, b) + cal.between(b, c) == cal.between(a, c)
    assert cal.between(a, b) == -cal.between(b, a)


@settings(max_examples=30, deadline=None)
@given(
    st.one_of(calendars, random_calendars()),
    instants(minutes=True),
    st.integers(0, 2 * 24 * 60).map(lambda m: timedelta(minutes=m)),
)
def test_agrees_with_a_minute_by_minute_reference(cal: BusinessCalendar, start: datetime, span: timedelta) -> None:
    end = (start.astimezone(UTC) + span).astimezone(start.tzinfo)
    assert cal.between(start, end) == reference.between(cal, start, end)
    assert cal.is_working(start) == reference.working(cal, start)
    business = reference.between(cal, start, end)
    assert cal.add(start, business) == reference.add(cal, start, business)
