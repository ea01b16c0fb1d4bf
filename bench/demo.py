"""What the demo of 9 pages costs beside one map, each as a whole process.

Prints figures; not a test. ``geoenv demo -o DIR --overwrite`` and ``geoenv map -o DIR
--overwrite`` run each in a child Python (start-up, reading the embedded data and writing the
maps included) that first wraps ``geoenv.quality.evaluate.evaluate`` (a quality evaluation),
``geoenv.relate.relate`` (section relations) and ``geoenv.jurisdiction.river_lengths``
with counters, wherever geoenv has bound those names, and then calls ``geoenv.cli.main``. The
geoenv measured is the one the child imports from a scratch folder, the installed one or
PYTHONPATH's (the first line printed names it):

    PYTHONPATH=$PWD python bench/demo.py
    PYTHONPATH=/tmp/before python bench/demo.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Counted work: label → (module, function).
COUNTED = {
    "evaluations": ("geoenv.quality.evaluate", "evaluate"),
    "relations": ("geoenv.relate", "relate"),
    "river lengths": ("geoenv.jurisdiction", "river_lengths"),
}

CHILD = """
import functools, importlib, json, sys

import geoenv.cli

counts = {}


def counted(label, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        counts[label] += 1
        return function(*args, **kwargs)

    return wrapper


for label, (module, name) in json.loads(sys.argv[1]).items():
    original = getattr(importlib.import_module(module), name)
    counts[label] = 0
    wrapper = counted(label, original)
    for loaded in list(sys.modules.values()):  # every `from … import name` made so far
        if getattr(loaded, "__name__", "").startswith("geoenv") and getattr(loaded, name, None) is original:
            setattr(loaded, name, wrapper)
try:
    geoenv.cli.main.main(args=sys.argv[3:], prog_name="geoenv")
except SystemExit as exc:
    if exc.code:
        raise
finally:
    with open(sys.argv[2], "w") as out:
        json.dump(counts, out)
"""


def run(args: list[str], folder: Path) -> tuple[float, dict[str, int]]:
    """Wall time of one whole process running ``geoenv ARGS``, and the work it counted."""
    counts = folder / "counts.json"
    command = [sys.executable, "-c", CHILD, json.dumps(COUNTED), str(counts), "-q", *args]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=folder, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    return seconds, json.loads(counts.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="Runs per command (the median and best are shown).")
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        found = subprocess.run([sys.executable, "-c", "import geoenv; print(geoenv.__file__)"], capture_output=True,
                               text=True, check=True, cwd=folder).stdout.strip()  # fmt: skip
        print(f"geoenv from {Path(found).parent.parent}, {options.repeat} runs each")
        for label, args in [("demo (9 pages)", ["demo"]), ("map (1 page)", ["map"])]:
            times = []
            for _ in range(options.repeat):
                seconds, counts = run([*args, "-o", str(folder / label.split()[0]), "--overwrite"], folder)
                times.append(seconds)
            rows.append((label, statistics.median(times), min(times), counts))
    print(f"{'command':<16}{'median s':>10}{'best s':>8}" + "".join(f"{k:>15}" for k in COUNTED))
    for label, median, best, counts in rows:
        print(f"{label:<16}{median:>10.1f}{best:>8.1f}" + "".join(f"{counts[k]:>15}" for k in COUNTED))
    (_, demo, _, _), (_, one, _, _) = rows
    print(f"the demo costs {demo / one:.2f}× one map")


if __name__ == "__main__":
    main()
