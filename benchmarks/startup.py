"""Speed of paramcalc: CLI latency against its floors, and the engine's throughput.

Run:  python benchmarks/startup.py [--runs 21] [--seconds 2]

CLI figures are medians of wall time over --runs fresh processes (all commands interleaved,
round by round), with the peak resident memory of one run (GNU time's %M). Each command is
compared with two floors, as ratios:
- the framework floor: a minimal Typer app with two commands, one printing a constant (same
  interpreter, same typer; for the table case it also imports rich and prints a rich table);
- the import floor: Python start + the libraries that command needs (typer and json; typer and
  rich for a table; typer and yaml for convert), nothing of paramcalc's.
and with bare `python -c pass`. The engine figures are configs per second in one process, over all
bundled presets and variants of them: analyze() with its totals, memory and FLOPs read (what
sweep and solve use), and full reports that also build every component term by term. Then
sweeps of 10,000 and 100,000 rows to CSV: wall time, and peak memory, which stays flat because
rows stream. Not a test: figures only.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR_APP = """
import typer
app = typer.Typer(add_completion=False)
@app.command()
def count(config: str) -> None:
    {body}
@app.command()
def other() -> None:
    pass
app()
"""
PRINT_CONSTANT = "print('{\"total\": 1}')"
PRINT_TABLE = (
    "from rich.console import Console; from rich.table import Table; t = Table(); "
    "t.add_column('x'); t.add_row('1'); Console().print(t)"
)
BOMB = (
    "a: &a ["
    + ",".join(['"lol"'] * 9)
    + "]\n"
    + "".join(f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi"))
)


def run_once(cmd: list[str], ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    status = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    if status not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited with status {status}")
    return time.perf_counter() - start


def medians(cmds: dict[str, list[str]], runs: int, ok: tuple[int, ...] = (0,)) -> dict[str, float]:
    """Median wall seconds of each command, the commands interleaved round by round so that
    a slow spell of the machine affects them all alike."""
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(run_once(cmd, ok))
    return {name: statistics.median(values) for name, values in times.items()}


def peak_mb(cmd: list[str]) -> float:
    """Peak resident memory of the command, from GNU time (a fork of this process would count
    this process's own pages too)."""
    time_bin = shutil.which("time") or "/usr/bin/time"
    if not Path(time_bin).exists():
        return float("nan")
    result = subprocess.run([time_bin, "-f", "%M", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        return int(result.stderr.strip().splitlines()[-1]) / 1024
    except (ValueError, IndexError):
        return float("nan")


def compile_package() -> None:
    """Byte-compile paramcalc, as `pip install` does: with PYTHONDONTWRITEBYTECODE set (or a
    source checkout never run), every call would otherwise compile the modules anew."""
    import compileall

    import paramcalc

    compileall.compile_dir(str(Path(paramcalc.__file__).parent), quiet=1)


def paramcalc_cmd() -> list[str]:
    script = Path(sys.executable).with_name("paramcalc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "paramcalc"]


def engine_throughput(seconds: float) -> tuple[float, float, int]:
    """Configs per second in one process, over every preset and three variants of each (other
    layers and d_model): (totals, full reports, how many configs).

    totals: analyze() and reading what sweep and solve read: total, non-embedding, active,
    memory at every dtype, FLOPs. Full reports: also every component, term by term, with its
    factors (what `count --json` and `--explain` render).
    """
    import paramcalc
    from paramcalc.catalog import preset_names
    from paramcalc.engine import analyze

    configs = []
    for name in preset_names():
        base = paramcalc.load(name)
        if base.architecture in ("decoder", "encoder", "encoder-decoder", "ssm", "vision", "mlp"):
            configs.append(base)  # what sweep and solve count by the thousand: one config of a layout
        if base.architecture in ("decoder", "encoder", "encoder-decoder", "ssm", "vision"):
            configs += [base._replace(layers=base.layers + i, d_model=base.d_model + 64 * i) for i in (1, 2, 3)]

    def rate(full: bool) -> float:
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for config in configs:
                report = analyze(config)
                _ = (report.total, report.non_embedding, report.active, report.memory_bytes, report.flops.six_nd)
                if full:
                    _ = report.components
            calls += len(configs)
        return calls / (time.perf_counter() - start)

    return rate(False), rate(True), len(configs)


def nets_per_second(seconds: float) -> dict[str, float]:
    """Whole-model counts in one process (milliseconds each): composites and layer-by-layer nets,
    whose shapes are worked out layer by layer (resnet152, densenet201, sd-1.5-unet, flux-1-dev)."""
    import paramcalc
    from paramcalc.engine import analyze
    from paramcalc.sequential import net

    out = {}
    for name in ("resnet152", "densenet201", "llava-1.5-7b", "sd-1.5-unet", "flux-1-dev"):
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 5:
            net.build.cache_clear()  # the shapes worked out afresh each time (load parses the file again)
            _ = analyze(paramcalc.load(name)).total
            calls += 1
        out[name] = 1000 * (time.perf_counter() - start) / calls
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--seconds", type=float, default=2.0, help="how long to run the engine throughput loop")
    args = parser.parse_args()
    import typer

    compile_package()
    tmp = Path(tempfile.mkdtemp())
    try:
        (tmp / "floor_json.py").write_text(FLOOR_APP.format(body=PRINT_CONSTANT))
        (tmp / "floor_table.py").write_text(FLOOR_APP.format(body=PRINT_TABLE))
        (tmp / "bomb.yaml").write_text(BOMB)
        config_json = (
            Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "hf" / "deepseek-ai__DeepSeek-V3.json"
        )
        py, pc, runs = sys.executable, paramcalc_cmd(), args.runs
        four = ["gpt3", "chinchilla-70b", "llama-2-70b", "mixtral-8x7b"]
        floors = {
            "python -c pass": [py, "-c", "pass"],
            "floor: minimal typer app": [py, str(tmp / "floor_json.py"), "count", "x"],
            "floor: typer app + rich table": [py, str(tmp / "floor_table.py"), "count", "x"],
            "floor: import typer, json": [py, "-c", "import typer, json"],
            "floor: import typer, rich": [py, "-c", "import typer, rich.console, rich.table"],
            "floor: import typer, yaml": [py, "-c", "import typer, yaml"],
        }
        cases = {  # label: (arguments, framework floor, import floor)
            "count gpt3 --json": (["count", "gpt3", "--json"], "floor: minimal typer app", "floor: import typer, json"),
            "count gpt3 (table)": (
                ["count", "gpt3", "--format", "table"],
                "floor: typer app + rich table",
                "floor: import typer, rich",
            ),
            "compare (4 presets) --json": (
                ["compare", *four, "--json"],
                "floor: minimal typer app",
                "floor: import typer, json",
            ),
            "compare (4 presets) (table)": (
                ["compare", *four],
                "floor: typer app + rich table",
                "floor: import typer, rich",
            ),
            "convert DeepSeek-V3 config.json": (
                ["convert", str(config_json)],
                "floor: minimal typer app",
                "floor: import typer, yaml",
            ),
            "count huge values --json": (
                [
                    "count",
                    "mixtral-8x7b",
                    "--json",
                    "--set",
                    "layers=1000000",
                    "--set",
                    "d_model=1000000",
                    "--set",
                    "experts=10000",
                ],
                "floor: minimal typer app",
                "floor: import typer, yaml",
            ),
        }
        commands = {**floors, **{label: [*pc, *a] for label, (a, _, _) in cases.items()}}
        walls = medians(commands, runs)
        bare = walls["python -c pass"]
        print(f"python {sys.version.split()[0]}, typer {typer.__version__}, {runs} interleaved runs each, medians")
        print(f"{'command':42} {'ms':>7} {'x app floor':>12} {'x import floor':>15} {'x python':>9} {'peak MB':>8}")
        for label, cmd in floors.items():
            print(
                f"{label:42} {walls[label] * 1e3:7.1f} {'':>12} {'':>15} {walls[label] / bare:9.2f} {peak_mb(cmd):8.1f}"
            )
        for label, (cmd_args, app_floor, import_floor) in cases.items():
            wall = walls[label]
            print(
                f"{'paramcalc ' + label:42} {wall * 1e3:7.1f} {wall / walls[app_floor]:12.2f} "
                f"{wall / walls[import_floor]:15.2f} {wall / bare:9.2f} {peak_mb([*pc, *cmd_args]):8.1f}"
            )
        bomb = medians({"bomb": [*pc, "count", str(tmp / "bomb.yaml")]}, runs, ok=(1,))["bomb"]
        print(f"{'paramcalc count billion-laughs.yaml':42} {bomb * 1e3:7.1f}   (refused, exit 1)")
        print()
        print(
            "compare of 4 presets / one count: "
            f"json {walls['compare (4 presets) --json'] / walls['count gpt3 --json']:.2f}x, "
            f"table {walls['compare (4 presets) (table)'] / walls['count gpt3 (table)']:.2f}x"
        )
        for rows in (10_000, 100_000):
            cmd = [*pc, "sweep", "gpt2", "--vary", f"layers=1..{rows}", "-f", "csv"]
            print(f"paramcalc sweep, {rows:,} rows to CSV: {run_once(cmd):.2f} s, peak {peak_mb(cmd):.1f} MB")
        totals, full, n = engine_throughput(args.seconds)
        print(f"engine, in-process over {n} configs: {totals:,.0f} configs/s (totals, memory, FLOPs), ", end="")
        print(f"{full:,.0f} configs/s (full reports, every term)")
        nets = nets_per_second(args.seconds)
        print("whole models, ms per count: " + ", ".join(f"{name} {ms:.2f}" for name, ms in nets.items()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
