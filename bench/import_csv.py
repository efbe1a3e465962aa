"""Import of a large CSV: peak memory must stay flat as the file grows.

Generates Contact CSV files of N and 10×N rows (default 100,000 and
1,000,000; ``--quick`` 10,000 and 100,000), imports each with the real
command line (``missionbase import Contact FILE``) into a fresh org in a
child process, and reads that process's peak resident memory. The baseline
measured in the same run is the plain-Python floor: ``csv.reader`` over the
same file into ``sqlite3.executemany`` in batches of the same size, in its
own child process, so both the memory growth and the time ratio against
the simplest possible loader are printed.

    .venv/bin/python bench/import_csv.py [--quick] [--rows N]

Ends with ``figure: import_peak_memory_growth = <peak at 10N / peak at N> (target <= 1.2)``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET = 1.2
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Esi", "Farah", "Goran", "Hana", "Ines", "Jamal", "Kai", "Lena"]
LAST = ["Okafor", "Nguyen", "García", "Smith", "Kowalski", "Haddad", "Ito", "Moreau", "Silva", "Berg"]
CITIES = ["Lagos", "Hanoi", "Lyon", "Leeds", "Kraków", "Beirut", "Osaka", "Porto", "Recife", "Bergen"]
HEADER = ["first_name", "last_name", "email", "phone", "birthdate", "mailing_city", "title"]

# Runs in a child so ru_maxrss is that child's own peak, not this process's.
MEASURE = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
elapsed = time.perf_counter() - start
print(json.dumps({"rc": done.returncode, "seconds": elapsed, "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "out": done.stdout[-500:], "err": done.stderr[-2000:]}))
"""

RAW_LOADER = r"""
import csv, sqlite3, sys
path, db, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL"); conn.execute("PRAGMA synchronous=NORMAL")
conn.execute("CREATE TABLE contact (first_name TEXT, last_name TEXT, email TEXT, phone TEXT, birthdate DATE, mailing_city TEXT, title TEXT)")
with open(path, newline="", encoding="utf-8") as handle:
    reader = csv.reader(handle); next(reader)
    rows = []
    for row in reader:
        rows.append(row)
        if len(rows) == batch:
            conn.execute("BEGIN"); conn.executemany("INSERT INTO contact VALUES (?,?,?,?,?,?,?)", rows); conn.execute("COMMIT"); rows = []
    if rows:
        conn.execute("BEGIN"); conn.executemany("INSERT INTO contact VALUES (?,?,?,?,?,?,?)", rows); conn.execute("COMMIT")
"""


def write_csv(path: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            writer.writerow(
                [
                    first,
                    last,
                    f"{first.lower()}.{n}@example.org",
                    f"+33 6 {n % 100:02d} {n % 97:02d} 10 20",
                    f"{rng.randint(1940, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    rng.choice(CITIES),
                    "Client" if n % 3 else "",
                ]
            )


def measure(command: list[str], cwd: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], cwd=cwd, capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"command failed ({result['rc']}): {' '.join(command)}\n{result['err']}")
    return result


def run_size(rows: int, batch: int, work: Path) -> tuple[dict, dict]:
    folder = work / f"n{rows}"
    folder.mkdir()
    source = folder / "contacts.csv"
    write_csv(source, rows)
    missionbase = shutil.which("missionbase", path=str(Path(sys.executable).parent)) or "missionbase"
    subprocess.run(
        [missionbase, "init", "--database-url", "sqlite:///org.db"],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    ours = measure(
        [missionbase, "import", "Contact", str(source), "--batch-size", str(batch), "--json"], folder
    )
    report = json.loads(ours["out"][ours["out"].index("{") :]) if "{" in ours["out"] else {}
    if report and report.get("created") != rows:
        raise SystemExit(f"import created {report.get('created')} of {rows} rows")
    raw = measure([sys.executable, "-c", RAW_LOADER, str(source), str(folder / "raw.db"), str(batch)], folder)
    return ours, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k rows (under a minute)")
    parser.add_argument("--rows", type=int, help="the smaller size (the larger is 10x)")
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    small = args.rows or (10_000 if args.quick else 100_000)
    sizes = [small, small * 10]
    with tempfile.TemporaryDirectory(prefix="mb-bench-import-") as tmp:
        results = {n: run_size(n, args.batch, Path(tmp)) for n in sizes}
    print(
        f"{'rows':>10}  {'import s':>9}  {'raw s':>7}  {'time ratio':>10}  {'import peak MiB':>15}  {'raw peak MiB':>12}"
    )
    for n, (ours, raw) in results.items():
        print(
            f"{n:>10,}  {ours['seconds']:>9.2f}  {raw['seconds']:>7.2f}  {ours['seconds'] / raw['seconds']:>10.1f}  "
            f"{ours['peak_kib'] / 1024:>15.1f}  {raw['peak_kib'] / 1024:>12.1f}"
        )
    (small_ours, _), (big_ours, _) = results[sizes[0]], results[sizes[1]]
    growth = big_ours["peak_kib"] / small_ours["peak_kib"]
    per_row_growth = (big_ours["seconds"] / sizes[1]) / (small_ours["seconds"] / sizes[0])
    print(f"per-row import time at {sizes[1]:,} / at {sizes[0]:,}: {per_row_growth:.2f}")
    print(
        f"import time / raw csv+executemany time at {sizes[1]:,}: {big_ours['seconds'] / results[sizes[1]][1]['seconds']:.1f}"
    )
    print(f"figure: import_peak_memory_growth = {growth:.2f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
