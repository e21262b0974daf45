"""A reader that closes the pipe early is not bad input (issue 11, item 2): `paramcalc ... | head`
exits 0, quietly, in every format of every command that writes one.

Each case is a real process (the interpreter's last flush of stdout is where a closed pipe
usually shows up), its stdout a pipe whose read end is closed before the process writes. The
formats are those each command's --help offers, so a new format is covered when it is added.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import Run

COMMANDS = {
    "count": ("count", "gpt2"),
    "compare": ("compare", "gpt2", "gpt2-medium"),
    "train": ("train", "gpt2"),
    "infer": ("infer", "gpt2"),
    "solve": ("solve", "--params", "7B", "--base", "llama-2-7b"),
    "sweep": ("sweep", "gpt2", "--vary", "layers=6,12"),
    "presets": ("presets",),
    "gpus": ("gpus",),
}


def offered(run: Run, command: str) -> list[str]:
    """The formats `paramcalc COMMAND --help` lists for --format."""
    match = re.search(r"--format <([a-z|]+)>", run(command, "--help").stdout)
    assert match, f"{command} --help shows no --format"
    return match.group(1).split("|")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_closed_pipe_exits_0_quietly(run: Run, command: str) -> None:
    env = {**os.environ, "COLUMNS": "100", "PYTHONWARNINGS": "default"}
    started = []
    for fmt in offered(run, command):
        read, write = os.pipe()
        os.close(read)  # the reader is gone before anything is written
        argv = [sys.executable, "-m", "paramcalc", *COMMANDS[command], "--format", fmt]
        process = subprocess.Popen(argv, stdout=write, stderr=subprocess.PIPE, text=True, env=env)
        os.close(write)
        started.append((fmt, process))
    outcomes = {}
    for fmt, process in started:  # all formats run at once: a few hundred ms in all
        _, stderr = process.communicate(timeout=60)
        outcomes[fmt] = (process.returncode, stderr)
    assert outcomes == {fmt: (0, "") for fmt, _ in started}
