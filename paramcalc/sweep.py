"""Sweeps: the Cartesian product of --vary values over a base config, one count per row,
streamed (a generator: nothing is collected, so a million rows take no more memory than one).

--where filters rows with comparisons joined by `and` (`params < 3e9 and layers >= 24`), parsed
here into (column, operator, number) triples: user text is never evaluated.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from paramcalc.config import parse_config
from paramcalc.engine import analyze
from paramcalc.errors import ConfigError, UsageError

RESULT_COLUMNS = ("params", "non_embedding", "active", "fp16_bytes", "int4_bytes", "forward_flops_per_token", "six_nd")
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*(?::\s*(\d+))?\s*$")
_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")
MAX_RANGE = 10**7


class Vary(NamedTuple):
    key: str
    values: tuple[Any, ...]


def parse_vary(text: str, parse_value: Callable[[str], Any]) -> Vary:
    """'layers=24,32,48' or 'd_model=1024..4096:512' (inclusive) -> Vary."""
    key, sep, spec = text.partition("=")
    key = key.strip()
    if not sep or not key or not spec.strip():
        raise UsageError(f"--vary {text!r}: write KEY=V1,V2,... or KEY=START..STOP[:STEP]")
    match = _RANGE.match(spec)
    if match:
        start, stop, step = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
        if step < 1 or stop < start:
            raise UsageError(f"--vary {text!r}: a range needs START <= STOP and a positive STEP")
        if (stop - start) // step + 1 > MAX_RANGE:
            raise UsageError(f"--vary {text!r}: more than {MAX_RANGE:,} values")
        return Vary(key, tuple(range(start, stop + 1, step)))
    return Vary(key, tuple(parse_value(v) for v in spec.split(",")))


class Condition(NamedTuple):
    column: str
    op: str
    value: float

    def holds(self, row: dict[str, Any]) -> bool:
        left = row.get(self.column)
        if not isinstance(left, (int, float)) or isinstance(left, bool):
            return False
        return OPERATORS[self.op](left, self.value)


def parse_where(text: str, columns: set[str]) -> list[Condition]:
    """'params < 3e9 and layers >= 24' -> conditions; only these forms are understood."""
    from paramcalc.config import parse_count

    conditions = []
    for part in re.split(r"\s+and\s+", text.strip()):
        match = _CONDITION.match(part)
        if not match:
            raise UsageError(
                f"--where: {part!r} is not COLUMN OP NUMBER (e.g. params < 3e9; OP is one of "
                "< <= > >= == !=; join conditions with 'and')"
            )
        column, op, number = match.groups()
        if column not in columns:
            raise UsageError(f"--where: unknown column {column!r}; columns: {', '.join(sorted(columns))}")
        try:
            value: float = float(number)
        except ValueError:
            try:
                value = parse_count(number)  # 300B, 1.5T
            except ValueError:
                raise UsageError(f"--where: {number!r} is not a number") from None
        conditions.append(Condition(column, op, value))
    return conditions


class Outcome(NamedTuple):
    row: dict[str, Any] | None  # None: the combination is not a valid config
    problem: str | None


def rows(base: dict[str, Any], label: str, varies: list[Vary], tokens: int | None = None) -> Iterator[Outcome]:
    """One outcome per combination of the varied values, in order, computed lazily."""
    keys = [v.key for v in varies]
    for combo in itertools.product(*(v.values for v in varies)):
        changes = dict(zip(keys, combo))
        try:
            report = analyze(parse_config({**base, **changes}, label), tokens=tokens)
        except ConfigError as exc:
            yield Outcome(None, f"{', '.join(f'{k}={v}' for k, v in changes.items())}: {exc.lines()[0]}")
            continue
        yield Outcome(
            {
                **changes,
                "params": report.total,
                "non_embedding": report.non_embedding,
                "active": report.active,
                "fp16_bytes": report.memory_bytes["fp16"],
                "int4_bytes": report.memory_bytes["int4"],
                "forward_flops_per_token": report.flops.forward_per_token,
                "six_nd": report.flops.six_nd,
            },
            None,
        )


def count_combinations(varies: list[Vary]) -> int:
    total = 1
    for vary in varies:
        total *= len(vary.values)
    return total
