"""The mainland China calendar, hand-checked against the State Council's 2025 and 2026 holiday notices.

2025: Spring Festival 28 Jan–4 Feb off, Sun 26 Jan and Sat 8 Feb worked; Labour Day 1–5 May
off, Sun 27 Apr worked; National Day and Mid-Autumn 1–8 Oct off, Sun 28 Sep and Sat 11 Oct worked.
2026: New Year 1–3 Jan off, Sun 4 Jan worked; Spring Festival 15–23 Feb off, Sat 14 Feb and
Sat 28 Feb worked; Mid-Autumn 25–27 Sep off; National Day 1–7 Oct off, Sun 20 Sep and Sat 10 Oct worked.
Working hours: 09:00–12:00 and 13:30–18:00 (7.5 hours a day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

import servicecore as sc
from servicecore.plugins import Plugins
from servicecore.sla import BusinessCalendar, Target, WorkingHours
from servicecore_adapters.calendars import china_calendar, holiday_calendar, latest_make_up_year
from servicecore_adapters.calendars.providers import CHINA_HOURS

CN = china_calendar(years=range(2024, 2028))
SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
DAY = 7.5 * H


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 26), True),  # Sunday, make-up working day
        (date(2025, 1, 27), True),
        *[(date(2025, 1, d), False) for d in range(28, 32)],
        *[(date(2025, 2, d), False) for d in range(1, 5)],
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),  # Saturday, make-up working day
        (date(2025, 2, 9), False),
        (date(2025, 4, 27), True),  # Sunday, make-up for Labour Day
        *[(date(2025, 5, d), False) for d in range(1, 6)],
        (date(2025, 9, 28), True),  # Sunday, make-up for National Day
        *[(date(2025, 10, d), False) for d in range(1, 9)],
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, make-up
        (date(2026, 1, 2), False),
        (date(2026, 1, 4), True),  # Sunday, make-up for New Year
        (date(2026, 2, 14), True),  # Saturday, make-up
        *[(date(2026, 2, d), False) for d in range(15, 24)],
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, make-up
        (date(2026, 9, 20), True),  # Sunday, make-up
        (date(2026, 9, 25), False),  # Mid-Autumn Festival
        *[(date(2026, 10, d), False) for d in range(1, 8)],
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday, make-up
    ],
)
def test_working_days_follow_the_state_council_notices(day: date, working: bool) -> None:
    assert CN.is_working_day(day) is working


def test_make_up_days_work_the_normal_hours() -> None:
    assert CN.working_hours(date(2026, 2, 28)) == (WorkingHours("09:00", "12:00"), WorkingHours("13:30", "18:00"))


def test_a_request_on_the_last_day_before_spring_festival_2025() -> None:
    # Mon 27 Jan 16:00 + 4 h: 2 h that day, then nothing until Wed 5 Feb, 2 h more
    assert CN.add(at(2025, 1, 27, 16), 4 * H) == at(2025, 2, 5, 11)
    assert CN.between(at(2025, 1, 27, 18), at(2025, 2, 5, 9)) == timedelta(0)


def test_the_make_up_sunday_before_spring_festival_2025_counts() -> None:
    assert CN.add(at(2025, 1, 25, 10), 2 * H) == at(2025, 1, 26, 11)  # Sat -> make-up Sun
    assert CN.add(at(2025, 2, 7, 17), 3 * H) == at(2025, 2, 8, 11)  # Fri -> make-up Sat


def test_spring_festival_2026_with_its_make_up_saturdays() -> None:
    # Fri 13 Feb 16:00 + one working day: 2 h Friday, 5.5 h on make-up Saturday 14 Feb
    assert CN.add(at(2026, 2, 13, 16), DAY) == at(2026, 2, 14, 16)
    # one more day: 2 h on the Saturday, then the holiday, Tue 24 Feb from 09:00
    assert CN.add(at(2026, 2, 14, 16), DAY) == at(2026, 2, 24, 16)
    assert CN.between(at(2026, 2, 14, 16), at(2026, 2, 24, 16)) == DAY


def test_national_day_2025() -> None:
    assert CN.add(at(2025, 9, 30, 17), 1.5 * H) == at(2025, 10, 9, 9, 30)
    assert CN.next_working_instant(at(2025, 10, 3, 10)) == at(2025, 10, 9, 9)
    assert CN.is_working(at(2025, 10, 11, 10))  # make-up Saturday
    week_of_holidays = CN.between(at(2025, 9, 29, 0), at(2025, 10, 13, 0))
    assert week_of_holidays == 5 * DAY  # 29, 30 Sep; 9, 10, 11 Oct


def test_mid_autumn_and_national_day_2026() -> None:
    assert CN.add(at(2026, 9, 24, 17), 2 * H) == at(2026, 9, 28, 10)
    assert CN.add(at(2026, 9, 30, 17), 2 * H) == at(2026, 10, 8, 10)
    assert CN.subtract(at(2026, 10, 8, 10), 2 * H) == at(2026, 9, 30, 17)


def test_working_days_around_national_day_2025() -> None:
    # a rectification ordered Fri 26 Sep with 3 working days: Sun 28 (make-up), Mon 29, Tue 30 Sep
    assert CN.add_working_days(at(2025, 9, 26, 15), 3) == at(2025, 9, 30, 18), "the close of Tuesday"
    assert attrs.evolve(CN, deadline_at="next_start").add_working_days(at(2025, 9, 26, 15), 3) == at(2025, 10, 9, 9)
    # 7.5 business hours from Tue 30 Sep 10:30 end at 10:30 on 9 Oct; from 09:00 at Tuesday's close
    assert CN.add(at(2025, 9, 30, 9), DAY) == at(2025, 9, 30, 18)
    assert CN.add(at(2025, 9, 30, 10, 30), DAY) == at(2025, 10, 9, 10, 30)


def test_counting_working_days_back_across_holidays_and_make_up_days() -> None:
    # a visit on Thu 9 Oct 2025, the first day after the holiday: two working days before is Mon 29 Sep
    assert CN.add_working_days(at(2025, 10, 9, 10), -2) == at(2025, 9, 29, 18)
    assert CN.add_working_days(at(2025, 9, 29, 10), -1) == at(2025, 9, 28, 18), "the make-up Sunday counts"
    # after Spring Festival 2026 the working day before Tue 24 Feb is the make-up Saturday 14 Feb
    assert CN.add_working_days(at(2026, 2, 24, 9), -1) == at(2026, 2, 14, 18)
    assert CN.working_day(date(2026, 2, 24), -2) == date(2026, 2, 13)


def test_day_and_month_targets_on_the_chinese_calendar() -> None:
    installed = at(2025, 4, 27, 15)  # the make-up Sunday before Labour Day
    # five calendar days later is Fri 2 May, a holiday: the period ends with Tue 6 May
    assert sc.sla.initial_due(CN, Target.calendar_days(5), installed) == at(2025, 5, 7)
    assert sc.sla.initial_due(CN, Target.calendar_days(5, end_of_day=False), installed) == at(2025, 5, 6, 15)
    assert sc.sla.initial_due(CN, Target.calendar_days(5, roll_forward=False), installed) == at(2025, 5, 3)
    ordered = at(2025, 9, 26, 15)
    assert sc.sla.initial_due(CN, Target.business_days(3, end_of_day=False), ordered) == at(2025, 9, 30, 15)
    visit = at(2025, 10, 9, 10)
    assert sc.sla.initial_due(CN, Target.business_days(-2, end_of_day=False), visit) == at(2025, 9, 29, 10)
    assert sc.sla.initial_due(CN, Target.business_days(-2), visit) == at(2025, 9, 29, 18)
    # counting back, a holiday moves the last day earlier: 4 Oct is a holiday, 30 Sep the working day before
    assert sc.sla.initial_due(CN, Target.calendar_days(-5), visit) == at(2025, 10, 1)
    # go-live on Wed 31 Dec 2025: two months later is Sat 28 Feb 2026, a make-up working day
    assert sc.sla.initial_due(CN, Target.calendar_months(2), at(2025, 12, 31, 16)) == at(2026, 3, 1)
    # go-live on Thu 31 Dec 2026: 28 Feb 2027 is a Sunday, rolled to Monday unless the agreement says not
    assert sc.sla.initial_due(CN, Target.calendar_months(2), at(2026, 12, 31, 16)) == at(2027, 3, 2)
    assert sc.sla.initial_due(CN, Target.calendar_months(2, roll_forward=False), at(2026, 12, 31, 16)) == at(2027, 3, 1)


def test_the_package_carries_official_make_up_days_through_2026() -> None:
    year = latest_make_up_year("CN")
    assert year is not None
    assert year >= 2026


def test_corrections_for_a_year_the_package_does_not_know_yet() -> None:
    cal = china_calendar(years=[2030], extra_working_days=["2030-02-09"], not_holidays=["2030-10-07"])
    assert cal.is_working_day(date(2030, 2, 9))
    assert cal.is_working_day(date(2030, 10, 7)) is (date(2030, 10, 7).weekday() < 5)


def test_other_countries_use_their_own_weekend_and_zone() -> None:
    riyadh = holiday_calendar("SA", time_zone="Asia/Riyadh", years=[2025])
    assert riyadh.is_working_day(date(2025, 3, 9))  # a Sunday
    assert not riyadh.is_working_day(date(2025, 3, 7))  # a Friday
    bavaria = holiday_calendar("DE", subdivision="BY", time_zone="Europe/Berlin", years=[2025])
    assert not bavaria.is_working_day(date(2025, 1, 6))  # Epiphany in Bavaria


# --- providers through the plugin hook ---------------------------------------------------


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    return Plugins(entry_points=False)


def test_builtin_calendar_providers(plugins: Plugins) -> None:
    assert set(plugins.available("calendar")) >= {"cn", "holidays", "weekly", "24x7"}
    cn = plugins.calendar("cn", {"years": "2025-2026"})
    assert cn.time_zone == SH
    assert cn.is_working_day(date(2025, 9, 28))
    de = plugins.calendar(
        "holidays", {"country": "de", "subdivision": "BY", "time_zone": "Europe/Berlin", "years": [2025]}
    )
    assert not de.is_working_day(date(2025, 1, 6))
    always = plugins.calendar("24x7", {"time_zone": "Asia/Shanghai"})
    assert always.is_working(at(2025, 1, 29, 3))
    weekly = plugins.calendar("weekly", {"time_zone": "UTC", "hours": ["08:00-16:00"], "workdays": ["sat", "sun"]})
    assert weekly.is_working_day(date(2025, 3, 8))
    assert not weekly.is_working_day(date(2025, 3, 10))
    assert isinstance(
        plugins.calendar("weekly", {"time_zone": "UTC", "week": {"mon": ["09:00-17:00"]}}), BusinessCalendar
    )


def test_every_provider_takes_the_deadline_setting(plugins: Plugins) -> None:
    for name, options in [
        ("cn", {"years": [2025]}),
        ("holidays", {"country": "CN", "time_zone": "Asia/Shanghai", "years": [2025], "hours": list(CHINA_HOURS)}),
        ("weekly", {"time_zone": "Asia/Shanghai", "hours": ["09:00-12:00", "13:30-18:00"]}),
    ]:
        default = plugins.calendar(name, options)
        later = plugins.calendar(name, {**options, "deadline_at": "next_start"})
        assert default.deadline_at is sc.sla.DeadlineAt.WINDOW_END
        assert default.add(at(2025, 9, 30, 9), DAY) == at(2025, 9, 30, 18)
        assert later.add(at(2025, 9, 30, 9), DAY) == (at(2025, 10, 9, 9) if name != "weekly" else at(2025, 10, 1, 9))
    assert plugins.calendar("24x7", {"deadline_at": "next_start"}).deadline_at == "next_start"


def test_an_unknown_calendar_lists_the_known_ones(plugins: Plugins) -> None:
    with pytest.raises(sc.BackendNotFoundError) as caught:
        plugins.calendar("mars")
    assert caught.value.kind == "calendar"
    assert "cn" in caught.value.available


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("cn", {"colour": "red"}, "colour"),
        ("cn", {"years": "soon"}, "years"),
        ("cn", {"hours": ["09:00-25:00"]}, "hours"),
        ("cn", {"hours": "09:00-17:00"}, "hours"),
        ("cn", {"time_zone": "Asia/Beijing"}, "time_zone"),
        ("holidays", {"time_zone": "UTC"}, "country"),
        ("holidays", {"country": "XX", "time_zone": "UTC", "years": [2025]}, "country"),
        ("holidays", {"country": "DE", "time_zone": "UTC", "workdays": ["someday"], "years": [2025]}, "workdays"),
        ("weekly", {"hours": ["09:00-17:00"]}, "time_zone"),
        ("weekly", {"time_zone": "UTC", "week": {"mon": ["09:00-17:00"]}, "hours": ["09:00-17:00"]}, "either"),
        ("24x7", {"hours": ["09:00-17:00"]}, "hours"),
        ("cn", {"deadline_at": "close_of_business"}, "deadline_at"),
        ("weekly", {"time_zone": "UTC", "deadline_at": ["next_start"]}, "deadline_at"),
    ],
)
def test_bad_options_are_configuration_errors_naming_the_option(
    plugins: Plugins, name: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(sc.ConfigurationError, match=message):
        plugins.calendar(name, options)
