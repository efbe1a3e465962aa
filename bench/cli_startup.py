"""CLI start-up: ``missionbase --help`` vs ``python -c pass``.

Runs each command (default 15 times; ``--quick`` 7), alternating the two
so that machine load hits both alike, and compares the medians. The
console script installed next to this interpreter is used when present,
else ``python -m missionbase.core.cli``.

    .venv/bin/python bench/cli_startup.py [--quick] [--runs N]

Ends with ``figure: cli_help_ratio = <median help / median python -c pass> (target <= 5)``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 5.0


def help_command() -> list[str]:
    script = Path(sys.executable).parent / "missionbase"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), "--help"]
    found = shutil.which("missionbase")
    if found:
        return [found, "--help"]
    return [sys.executable, "-m", "missionbase.core.cli", "--help"]


def timed(command: list[str], cwd: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} exited with {result.returncode}:\n{result.stderr.decode(errors='replace')}"
        )
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="7 runs each instead of 15")
    parser.add_argument("--runs", type=int, help="runs of each command")
    args = parser.parse_args(argv)
    runs = args.runs or (7 if args.quick else 15)

    helper = help_command()
    baseline = [sys.executable, "-c", "pass"]
    # An empty folder and no MISSIONBASE_* variables: no org is found, as on a fresh machine.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISSIONBASE_")}
    with tempfile.TemporaryDirectory(prefix="mb-bench-") as cwd:
        timed(helper, cwd, env)  # warm the file cache and .pyc files
        timed(baseline, cwd, env)
        help_times, base_times = [], []
        for _ in range(runs):
            help_times.append(timed(helper, cwd, env))
            base_times.append(timed(baseline, cwd, env))

    help_median = statistics.median(help_times)
    base_median = statistics.median(base_times)
    ratio = help_median / base_median
    print(
        f"{' '.join(helper)}: median {help_median * 1000:.0f} ms over {runs} runs (min {min(help_times) * 1000:.0f})"
    )
    print(
        f"{' '.join(baseline)}: median {base_median * 1000:.0f} ms over {runs} runs (min {min(base_times) * 1000:.0f})"
    )
    print(f"figure: cli_help_ratio = {ratio:.2f} (target <= {TARGET:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
