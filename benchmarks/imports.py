"""What importing servicecore costs, against importing the two libraries its model is built on.

    python benchmarks/imports.py [--runs 15]

Each statement runs in a fresh interpreter (nothing cached in ``sys.modules``),
timed inside that interpreter around the statement alone, so the interpreter's
own start-up is left out. The baseline, ``import attrs, cattrs``, loads the
libraries every servicecore model class and its serialization need; the statements
are run in turns, ``--runs`` times each, and the best and the median are reported
with their ratio to the baseline's. The target: ``import servicecore`` costs at most
1.5x the baseline (it resolves its public names on first use). Absolute times on
shared machines are noise; the ratio measured in one run is what carries over.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

BASELINE = "import attrs, cattrs"
STATEMENTS = (
    BASELINE,
    "import servicecore",
    "import servicecore.domain.values",
    "import servicecore; servicecore.Money",
    "import servicecore; servicecore.ServiceDesk",
    "import servicecore_adapters.sqlalchemy",
)
TARGET = 1.5
"""The most ``import servicecore`` may cost, as a multiple of the baseline."""

_TIMED = "import time\nstart = time.perf_counter()\n{statement}\nprint(time.perf_counter() - start)\n"


def time_once(statement: str) -> float:
    """Seconds ``statement`` takes in a fresh interpreter (its start-up excluded)."""
    code = _TIMED.format(statement=statement.replace("; ", "\n"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def measure(statements: tuple[str, ...], runs: int) -> dict[str, list[float]]:
    """Each statement timed ``runs`` times, in turns (so a busy moment on the machine hits all alike)."""
    times: dict[str, list[float]] = {statement: [] for statement in statements}
    for _ in range(runs):
        for statement in statements:
            times[statement].append(time_once(statement))
    return times


def main(argv: list[str] | None = None) -> int:
    """Print each statement's best and median time and their ratios to the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per statement (default 15)")
    args = parser.parse_args(argv)
    times = measure(STATEMENTS, max(1, args.runs))
    base_best, base_median = min(times[BASELINE]), statistics.median(times[BASELINE])
    print(f"import cost in a fresh interpreter, {args.runs} runs each, best / median (ratio to the baseline)")
    print(f"baseline: {BASELINE!r}, the libraries every servicecore model class is built on")
    for statement, measured in times.items():
        best, median = min(measured), statistics.median(measured)
        print(
            f"  {statement:<46} {best * 1000:8.1f} ms / {median * 1000:8.1f} ms"
            f"   ({best / base_best:5.2f}x / {median / base_median:5.2f}x)"
        )
    ratio = statistics.median(times["import servicecore"]) / base_median
    verdict = "within" if ratio <= TARGET else "over"
    print(f"ratio, import servicecore / {BASELINE} (medians): {ratio:.2f}x, {verdict} the target of {TARGET}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
