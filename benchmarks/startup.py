"""Start-up latency and peak memory of the paramcalc CLI, against the framework floor.

Run:  python benchmarks/startup.py [--runs 21]

Also: `compare` of four presets against a single `count` of one (target: under 1.2x).

The floor is a minimal Typer app with two commands, one of which prints a constant (same
interpreter, same typer); for the table case the floor app also imports rich and prints a rich
table. Each command runs --runs times in a fresh process; the figures are medians of wall time,
and the peak resident memory (ru_maxrss) of the child. Not a test: it prints figures only.
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

FLOOR_JSON = """
import typer
app = typer.Typer(add_completion=False)
@app.command()
def count(config: str) -> None:
    print('{"total": 1}')
@app.command()
def other() -> None:
    pass
app()
"""

FLOOR_TABLE = """
import typer
app = typer.Typer(add_completion=False)
@app.command()
def count(config: str) -> None:
    from rich.console import Console
    from rich.table import Table
    table = Table()
    table.add_column("x")
    table.add_row("1")
    Console().print(table)
@app.command()
def other() -> None:
    pass
app()
"""


def measure(cmd: list[str], runs: int) -> tuple[float, float]:
    """(median wall seconds, peak RSS in MB) over `runs` fresh processes."""
    times, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        peaks.append(usage.ru_maxrss / 1024)
        if status != 0:
            raise SystemExit(f"{' '.join(cmd)} failed with status {status}")
    return statistics.median(times), max(peaks)


def compile_package() -> None:
    """Byte-compile paramcalc, as `pip install` does: with PYTHONDONTWRITEBYTECODE set (or a
    source checkout never run), every call would otherwise compile the modules anew."""
    import compileall

    import paramcalc

    compileall.compile_dir(str(Path(paramcalc.__file__).parent), quiet=1)


def paramcalc_cmd() -> list[str]:
    script = Path(sys.executable).with_name("paramcalc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "paramcalc"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    import typer

    compile_package()
    tmp = Path(tempfile.mkdtemp())
    try:
        (tmp / "floor_json.py").write_text(FLOOR_JSON)
        (tmp / "floor_table.py").write_text(FLOOR_TABLE)
        py = sys.executable
        pc = paramcalc_cmd()
        bare, bare_mem = measure([py, "-c", "pass"], args.runs)
        floor_json, floor_json_mem = measure([py, str(tmp / "floor_json.py"), "count", "x"], args.runs)
        floor_table, floor_table_mem = measure([py, str(tmp / "floor_table.py"), "count", "x"], args.runs)
        cases = [
            ("paramcalc count gpt3 --json", [*pc, "count", "gpt3", "--json"], floor_json),
            ("paramcalc count gpt3 --format table", [*pc, "count", "gpt3", "--format", "table"], floor_table),
            ("paramcalc count llama-2-7b --json", [*pc, "count", "llama-2-7b", "--json"], floor_json),
        ]
        four = ["gpt3", "chinchilla-70b", "llama-2-70b", "mixtral-8x7b"]
        compares = [
            ("paramcalc compare (4 presets) --json", [*pc, "compare", *four, "--json"], "--json"),
            ("paramcalc compare (4 presets) table", [*pc, "compare", *four], "table"),
        ]
        single: dict[str, float] = {}
        print(f"python {sys.version.split()[0]}, typer {typer.__version__}, {args.runs} runs each, medians")
        print(f"{'command':44} {'ms':>7} {'x floor':>8} {'x python':>9} {'peak MB':>8}")
        print(f"{'python -c pass':44} {bare * 1e3:7.1f} {'':>8} {1:9.2f} {bare_mem:8.1f}")
        print(f"{'floor: minimal typer app':44} {floor_json * 1e3:7.1f} {1:8.2f} {floor_json / bare:9.2f} {floor_json_mem:8.1f}")
        print(f"{'floor: minimal typer app + rich table':44} {floor_table * 1e3:7.1f} {1:8.2f} "
              f"{floor_table / bare:9.2f} {floor_table_mem:8.1f}")
        for label, cmd, floor in cases:
            wall, mem = measure(cmd, args.runs)
            print(f"{label:44} {wall * 1e3:7.1f} {wall / floor:8.2f} {wall / bare:9.2f} {mem:8.1f}")
            single[label] = wall
        print()
        print(f"{'compare of 4 presets':44} {'ms':>7} {'x count':>8}")
        for label, cmd, kind in compares:
            wall, _ = measure(cmd, args.runs)
            count_wall = single["paramcalc count gpt3 --json" if kind == "--json" else "paramcalc count gpt3 --format table"]
            print(f"{label:44} {wall * 1e3:7.1f} {wall / count_wall:8.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
