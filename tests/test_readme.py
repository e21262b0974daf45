"""The README's examples are exact tests.

An example is a fenced block (indented or not) whose first line starts with ``$ paramcalc ``.
Each ``$`` line is a command, and the lines after it, up to the next ``$`` line, are exactly what
a terminal shows (stdout, with stderr where it writes any, in the order written). Conventions:

- the table width is 100 columns, or N with ``<!-- columns: N -->`` on a line before the block;
- commands run in a fresh folder holding ``configs/`` and ``tests/`` of this repository and the
  README's files: a YAML block whose first line is ``# NAME.yaml...`` is the file NAME.yaml, and
  ``<!-- file NAME ... -->`` (the lines up to ``-->``) a file the README does not show;
- besides ``paramcalc ...``, a command may be ``cat FILE``, end in ``| head -N`` (or ``-n N``)
  or in ``> FILE`` (which later examples, in README order, can read: the README's walkthroughs);
- ``<!-- not a test: reason -->`` before a block skips it (keep these rare).

``pytest --update-golden`` rewrites the output lines of every example in place, nothing else.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Run, write_if_changed

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
COLUMNS = 100
FENCE = re.compile(r"^( *)```")
COLUMNS_MARK = re.compile(r"<!-- columns: (\d+) -->")
SKIP_MARK = re.compile(r"<!-- not a test: .+ -->")
FILE_MARK = re.compile(r"<!-- file ([\w.-]+)\n(.*?)-->", re.S)


@dataclass
class Command:
    line: str  # as written after "$ "
    output: list[str]


@dataclass
class Example:
    start: int  # index of the block's first line (after the fence) in README lines
    end: int  # index of the closing fence
    indent: str
    columns: int
    skip: bool
    commands: list[Command]

    @property
    def id(self) -> str:
        return f"line {self.start + 1}: {self.commands[0].line}"


def _marks_before(lines: list[str], fence: int) -> list[str]:
    """The HTML comments on the lines just before a fence (blank lines between allowed)."""
    marks, i = [], fence - 1
    while i >= 0 and (not lines[i].strip() or lines[i].strip().startswith("<!--")):
        if lines[i].strip():
            marks.append(lines[i].strip())
        i -= 1
    return marks


def parse(text: str) -> tuple[list[Example], dict[str, str]]:
    """The README's examples, and the files it defines."""
    lines = text.split("\n")
    examples: list[Example] = []
    files = {name: body for name, body in FILE_MARK.findall(text)}
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, start = match.group(1), i + 1
        end = start
        while end < len(lines) and not lines[end].startswith(indent + "```"):
            end += 1
        body = [line[len(indent) :] if line.startswith(indent) else line.strip() for line in lines[start:end]]
        yaml_file = re.match(r"# ([\w.-]+\.ya?ml)\b", body[0]) if body else None  # a name, not a path
        if yaml_file:
            files.setdefault(yaml_file.group(1), "\n".join(body) + "\n")
        if body and body[0].startswith("$ paramcalc "):
            marks = " ".join(_marks_before(lines, i))
            width = COLUMNS_MARK.search(marks)
            commands: list[Command] = []
            for line in body:
                if line.startswith("$ "):
                    commands.append(Command(line[2:], []))
                else:
                    commands[-1].output.append(line)
            examples.append(
                Example(
                    start,
                    end,
                    indent,
                    int(width.group(1)) if width else COLUMNS,
                    bool(SKIP_MARK.search(marks)),
                    commands,
                )
            )
        i = end + 1
    return examples, files


EXAMPLES, FILES = parse(README.read_text())


def execute(run: Run, command: str, columns: int) -> str:
    """What a terminal shows for one command line, run in the current folder."""
    words = shlex.split(command)
    redirect = head = None
    if len(words) >= 2 and words[-2] == ">":
        redirect, words = words[-1], words[:-2]
    if "|" in words:
        bar = words.index("|")
        pipe, words = words[bar + 1 :], words[:bar]
        assert pipe[0] == "head" and len(pipe) in (2, 3), f"unsupported pipe in the README: {command}"
        head = int(pipe[-1].lstrip("-"))
    if words[0] == "cat" and len(words) == 2:
        return Path(words[1]).read_text()
    assert words[0] == "paramcalc", f"not a paramcalc command: {command}"
    result = run(*words[1:], columns=columns)
    if redirect is not None:
        assert "/" not in redirect, f"the README's examples write only into their folder: {command}"
        Path(redirect).write_text(result.stdout)
        return result.stderr
    if head is not None:
        return result.stderr + "".join(result.stdout.splitlines(keepends=True)[:head])
    return result.output  # stdout and stderr as written, as a terminal shows them


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("configs", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    for name, body in FILES.items():
        assert "/" not in name, name  # never written through the links to the repository
        (tmp_path / name).write_text(body)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def expected(command: Command) -> str:
    return "".join(line + "\n" for line in command.output)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_readme_example(run: Run, folder: Path, updating: bool, example: Example) -> None:
    if updating:
        pytest.skip("--update-golden: test_readme_update rewrites the examples")
    if example.skip:
        pytest.skip("marked 'not a test' in the README")
    for earlier in EXAMPLES[: EXAMPLES.index(example)]:  # the files the walkthrough wrote so far
        for command in earlier.commands:
            if re.search(r"> \S+$", command.line):
                execute(run, command.line, earlier.columns)
    for command in example.commands:
        assert execute(run, command.line, example.columns) == expected(command), command.line


def rewrite(text: str, outputs: dict[int, list[str]]) -> str:
    """The README with each example's output replaced: outputs[start][i] is the i-th command's
    output. Nothing but those lines changes (the `$` lines, marks and prose stay as written)."""
    lines = text.split("\n")
    for example in reversed(parse(text)[0]):  # from the end, so that earlier line numbers stay valid
        if example.start not in outputs:
            continue
        block: list[str] = []
        for command, output in zip(example.commands, outputs[example.start]):
            block.append("$ " + command.line)
            block.extend(output.splitlines())
        lines[example.start : example.end] = [example.indent + line if line else "" for line in block]
    return "\n".join(lines)


def test_rewrite_changes_only_output_lines() -> None:
    text = README.read_text()
    same = {e.start: [expected(c) for c in e.commands] for e in EXAMPLES}
    assert rewrite(text, same) == text
    first = EXAMPLES[0]
    changed = rewrite(text, {first.start: ["new\n"] * len(first.commands)}).split("\n")
    block = [line for c in first.commands for line in (first.indent + "$ " + c.line, first.indent + "new")]
    assert changed[: first.start] == text.split("\n")[: first.start]
    assert changed[first.start : first.start + len(block)] == block
    assert changed[first.start + len(block) :] == text.split("\n")[first.end :]


def test_readme_update(run: Run, folder: Path, updating: bool) -> None:
    """With --update-golden: every example's output lines become what the command prints now."""
    if not updating:
        pytest.skip("runs with --update-golden")
    outputs: dict[int, list[str]] = {}
    for example in EXAMPLES:  # in README order: a walkthrough's files exist when it reads them
        if not example.skip:
            outputs[example.start] = [execute(run, c.line, example.columns) for c in example.commands]
    write_if_changed(README, rewrite(README.read_text(), outputs))
