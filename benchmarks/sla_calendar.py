"""Business-time arithmetic against a naive minute-by-minute walk, and a scan over many open SLA clocks.

    python benchmarks/sla_calendar.py [--cases 6] [--hours 1875] [--clocks 100000] [--quick]

1. ``BusinessCalendar.add`` on the mainland China calendar (holidays and make-up working
   days from ``holidays``, 09:00–12:00 and 13:30–18:00), for durations up to ``--hours``
   business hours (1875 h is about a year of office time), against a naive reference
   computed in the same run that steps a minute at a time and asks, for each minute,
   whether its local wall time is inside the day's working hours. Both must give the
   same instant; the ratio naive / engine is reported, with the engine measured cold (a
   fresh calendar, nothing cached) and warm.
2. ``Clocks.scan`` over ``--clocks`` open cases in memory (each with a first-response and
   a resolution clock and escalation levels), at an instant where some checkpoints are
   due, then again (idempotent: nothing new to record).
3. ``ServiceDesk.scan_sla`` over ``--clocks`` open service requests in the in-memory
   storage: the storage query for due cases, one transaction per case with an alert,
   the outbox notifications — against step 2's bare clock scan of the same number of
   cases, measured in the same run (the ratio is what the facade adds per case).

Absolute times on shared machines are noise; the ratio measured in one run is what carries over.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

import attrs

from servicecore.sla import BusinessCalendar, Clocks, ClockSpec, DeadlineAt, EscalationLevel, SlaPolicy, Target
from servicecore_adapters.calendars import china_calendar

MINUTE = timedelta(minutes=1)


def naive_add(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant ``duration`` (whole minutes) of business time after ``start``, a minute at a time.

    With the calendar's ``window_end`` setting the first instant at which that much has
    passed (it may close a window); with ``next_start`` the last one, in working time.
    """
    zone = calendar.time_zone
    instant, left = start.astimezone(UTC), duration
    earliest = duration > timedelta(0) and calendar.deadline_at is DeadlineAt.WINDOW_END

    def working(moment: datetime) -> bool:
        local = moment.astimezone(zone)
        seconds = local.hour * 3600 + local.minute * 60
        return any(h.start_seconds <= seconds < h.end_seconds for h in calendar.working_hours(local.date()))

    while left > timedelta(0) or not (earliest or working(instant)):
        if working(instant):
            left -= MINUTE
        instant += MINUTE
    return instant


def fresh(calendar: BusinessCalendar) -> BusinessCalendar:
    """An equal calendar with nothing cached."""
    return attrs.evolve(calendar)


def bench_add(cases: int, hours: int, seed: int) -> None:
    base = china_calendar(years=range(2024, 2030))
    rng = random.Random(seed)
    starts = [
        datetime(2025, 1, 1, tzinfo=base.time_zone) + timedelta(minutes=rng.randrange(365 * 24 * 60))
        for _ in range(cases)
    ]
    durations = [timedelta(minutes=rng.randrange(hours * 60 // 2, hours * 60 + 1)) for _ in range(cases)]

    began = time.perf_counter()
    expected = [naive_add(base, s, d) for s, d in zip(starts, durations, strict=True)]
    naive = (time.perf_counter() - began) / cases

    calendars = [fresh(base) for _ in range(cases)]
    began = time.perf_counter()
    cold_results = [c.add(s, d) for c, s, d in zip(calendars, starts, durations, strict=True)]
    cold = (time.perf_counter() - began) / cases

    warm_calendar = fresh(base)
    for s, d in zip(starts, durations, strict=True):
        warm_calendar.add(s, d)
    repeat = max(1, 2000 // cases)
    began = time.perf_counter()
    for _ in range(repeat):
        warm_results = [warm_calendar.add(s, d) for s, d in zip(starts, durations, strict=True)]
    warm = (time.perf_counter() - began) / (cases * repeat)

    same = expected == cold_results == warm_results
    measured = [base.between(s, r) for s, r in zip(starts, cold_results, strict=True)]
    print(f"add: {cases} durations of {hours // 2}-{hours} business hours on the 'cn' calendar")
    print(f"  naive minute walk  {naive * 1e3:10.1f} ms/add")
    print(f"  engine, cold       {cold * 1e6:10.1f} µs/add   (fresh calendar: builds its day blocks)")
    print(f"  engine, warm       {warm * 1e6:10.1f} µs/add")
    print(f"  ratio naive / engine: {naive / cold:,.0f}x cold, {naive / warm:,.0f}x warm")
    print(
        f"  same answers as the reference: {'yes' if same else 'NO'}; add-then-measure exact: "
        f"{'yes' if measured == durations else 'NO'}"
    )
    if not same or measured != durations:
        raise SystemExit("the engine disagrees with the naive reference")


POLICY = SlaPolicy(
    name="bench",
    clocks=[
        ClockSpec(
            name="first_response",
            start_on={"received"},
            stop_on={"acknowledged", "closed"},
            targets={"urgent": Target.business(timedelta(hours=1)), "*": Target.business(timedelta(hours=4))},
        ),
        ClockSpec(
            name="resolution",
            start_on={"received"},
            pause_on={"waiting"},
            stop_on={"closed"},
            targets={"urgent": Target.business(timedelta(hours=8)), "*": Target.business(timedelta(days=2))},
        ),
    ],
    escalations=[
        EscalationLevel.at_elapsed("team_lead", "0.75", notify=["team_lead"]),
        EscalationLevel.after("manager", timedelta(hours=2), notify=["manager"]),
    ],
)


def _copy(clocks: Clocks) -> Clocks:
    return attrs.evolve(clocks, clocks=tuple(attrs.evolve(clock) for clock in clocks.clocks))


def bench_scan(count: int, distinct: int, seed: int) -> float:
    calendar = china_calendar(years=range(2024, 2030))
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 9, tzinfo=calendar.time_zone)
    began = time.perf_counter()
    templates = []
    for _ in range(min(distinct, count)):
        opened = start + timedelta(minutes=rng.randrange(10 * 24 * 60))
        clocks = Clocks().observe(
            "received", opened, calendar=calendar, policy=POLICY, priority=rng.choice(["urgent", "normal"])
        )
        if rng.random() < 0.5:
            clocks = clocks.observe(
                "acknowledged", opened + timedelta(minutes=30), calendar=calendar, policy=POLICY, priority="normal"
            )
        templates.append(clocks)
    built = time.perf_counter() - began
    # distinct objects (as loaded from storage), so nothing computed for one case is reused by another
    cases = [_copy(templates[i % len(templates)]) for i in range(count)]
    now = start + timedelta(days=7)

    began = time.perf_counter()
    scanned = [case.scan(now) for case in cases]
    first = time.perf_counter() - began
    alerts = sum(len(found) for _, found in scanned)
    began = time.perf_counter()
    again = sum(len(case.scan(now)[1]) for case, _ in scanned)
    second = time.perf_counter() - began
    print(f"scan: {count:,} open cases (2 clocks each, {len(templates):,} distinct), at {now:%Y-%m-%d %H:%M}")
    print(f"  building by observe   {len(templates) / built:12,.0f} cases/s")
    print(f"  first scan            {count / first:12,.0f} clock sets/s  ({alerts:,} alerts recorded)")
    print(f"  second scan           {count / second:12,.0f} clock sets/s  ({again} new alerts: idempotent)")
    if again:
        raise SystemExit("a second scan recorded alerts again")
    return count / first


def bench_desk_scan(count: int, seed: int, bare_rate: float) -> None:
    import servicecore as sc
    from servicecore.testing import full_lifecycle
    from servicecore_adapters.clocks import ManualClock
    from servicecore_adapters.ids import SequentialIds
    from servicecore_adapters.markdown import MarkdownRenderer
    from servicecore_adapters.memory import MemoryStorage
    from servicecore_adapters.notifiers import RecordingNotifier

    calendar = china_calendar(years=range(2024, 2030))
    sla = sc.SlaService(calendar, {"ServiceRequest": POLICY})
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 9, tzinfo=calendar.time_zone)
    template = full_lifecycle("bench").requests[0]
    storage = MemoryStorage()
    with storage.unit_of_work() as uow:
        for n in range(count):
            opened = start + timedelta(minutes=rng.randrange(10 * 24 * 60))
            request = attrs.evolve(template, id=sc.RequestId(f"REQ-{n:07d}"), received_at=opened, history=())
            uow.requests.add(sla.observe(request, opened))
        uow.commit()
    now = start + timedelta(days=7)
    desk = sc.ServiceDesk(
        storage=storage,
        notifier=RecordingNotifier(),
        renderer=MarkdownRenderer(),
        clock=ManualClock(now),
        ids=SequentialIds(),
        sla=sla,
    )
    began = time.perf_counter()
    result = desk.scan_sla(now, batch=500)
    first = time.perf_counter() - began
    began = time.perf_counter()
    again = desk.scan_sla(now, batch=500)
    second = time.perf_counter() - began
    rate = count / first
    print(f"scan_sla: {count:,} open requests in memory storage, at {now:%Y-%m-%d %H:%M}")
    due, found = result.scanned, len(result.alerts)
    print(f"  first scan            {rate:12,.0f} open cases/s  ({due:,} due, {found:,} alerts)")
    print(f"  second scan           {count / second:12,.0f} open cases/s  ({len(again.alerts)} new alerts: idempotent)")
    print(f"  ratio, cost per case, scan_sla / bare Clocks.scan: {bare_rate / rate:.1f}x")
    if again.alerts:
        raise SystemExit("a second scan_sla recorded alerts again")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=6, help="durations added (each walked by the naive reference)")
    parser.add_argument("--hours", type=int, default=1875, help="largest duration, in business hours")
    parser.add_argument("--clocks", type=int, default=100_000, help="open cases scanned")
    parser.add_argument("--distinct", type=int, default=2_000, help="distinct cases built (then repeated)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny sizes")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.hours, args.clocks, args.distinct = 2, 40, 500, 50
    bench_add(args.cases, args.hours, args.seed)
    bare_rate = bench_scan(args.clocks, args.distinct, args.seed)
    bench_desk_scan(args.clocks, args.seed, bare_rate)


if __name__ == "__main__":
    main()
