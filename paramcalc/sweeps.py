"""Sweeps: the Cartesian product of varied values over a base config, one count per row,
streamed (a generator: nothing is collected, so a million rows take no more memory than one).

`where` filters rows with comparisons joined by `and` (`params < 3e9 and layers >= 24`), parsed
here into (column, operator, number) triples: user text is never evaluated.

:func:`prepare` checks every setting (and, when strict, every combination) before the first row,
so that a bad sweep writes nothing on stdout; :meth:`Sweep.rows` then streams.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from paramcalc.config import parse_config, parse_count, parse_value
from paramcalc.engine import analyze
from paramcalc.errors import ConfigError, LoadError, Problem, SettingError, suggest

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


def _yaml_value(text: str) -> Any:
    from paramcalc import _yaml

    try:
        return _yaml.load(text, "vary")
    except LoadError as exc:
        raise SettingError([("vary", f"{text!r}: {exc.reason}")]) from None


def parse_vary(text: str, parse_value: Callable[[str], Any] = _yaml_value) -> Vary:
    """'layers=24,32,48' or 'd_model=1024..4096:512' (inclusive) -> Vary. Values of a list are
    read as YAML (`activation=gelu,swiglu`)."""
    key, sep, spec = text.partition("=")
    key = key.strip()
    if not sep or not key or not spec.strip():
        raise SettingError([("vary", f"{text!r}: write KEY=V1,V2,... or KEY=START..STOP[:STEP]")])
    match = _RANGE.match(spec)
    if match:
        if max(len(match.group(1)), len(match.group(2)), len(match.group(3) or "")) > 30:
            raise SettingError([("vary", f"{text[:60]!r}: a range bound of more than 30 digits")])
        start, stop, step = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
        if step < 1 or stop < start:
            raise SettingError([("vary", f"{text!r}: a range needs START <= STOP and a positive STEP")])
        if (stop - start) // step + 1 > MAX_RANGE:
            raise SettingError([("vary", f"{text!r}: more than {MAX_RANGE:,} values")])
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
    conditions = []
    for part in re.split(r"\s+and\s+", text.strip()):
        match = _CONDITION.match(part)
        if not match:
            raise SettingError(
                [
                    (
                        "where",
                        f"{part!r} is not COLUMN OP NUMBER (e.g. params < 3e9; OP is one of "
                        "< <= > >= == !=; join conditions with 'and')",
                    )
                ]
            )
        column, op, number = match.groups()
        if column not in columns:
            raise SettingError(
                [
                    (
                        "where",
                        f"unknown column {column!r}{suggest(column, columns)}; columns: {', '.join(sorted(columns))}",
                    )
                ]
            )
        try:
            value: float = float(number)
        except ValueError:
            try:
                value = parse_count(number)  # 300B, 1.5T
            except ValueError:
                raise SettingError([("where", f"{number!r} is not a number")]) from None
        if value != value:  # NaN compares false with everything: a filter that keeps nothing
            raise SettingError([("where", f"{number!r} is not a number")])
        conditions.append(Condition(column, op, value))
    return conditions


class Outcome(NamedTuple):
    row: dict[str, Any] | None  # None: the combination is not a valid config
    problem: str | None


def _label(changes: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in changes.items())


def combinations(varies: Sequence[Vary]) -> Iterator[dict[str, Any]]:
    """The changes of each row, in order: the last --vary varies fastest."""
    keys = [v.key for v in varies]
    for combo in itertools.product(*(v.values for v in varies)):
        yield dict(zip(keys, combo))


def rows(base: Mapping[str, Any], label: str, varies: Sequence[Vary], tokens: int | None = None) -> Iterator[Outcome]:
    """One outcome per combination of the varied values, in order, computed lazily."""
    for changes in combinations(varies):
        try:
            report = analyze(parse_config({**base, **changes}, label), tokens=tokens)
        except ConfigError as exc:
            yield Outcome(None, f"{_label(changes)}: {exc.lines()[0]}")
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


def count_combinations(varies: Sequence[Vary]) -> int:
    total = 1
    for vary in varies:
        total *= len(vary.values)
    return total


# Fields a sweep cannot vary: resolved when the base is read, before any row exists.
UNVARIED = {"extends": "extends is resolved when the base is read; sweep each file, or vary the fields themselves"}


class Sweep(NamedTuple):
    """A checked sweep: every setting made sense, and (strict) every combination is a valid config."""

    base: dict[str, Any]
    label: str
    varies: tuple[Vary, ...]
    conditions: tuple[Condition, ...]
    tokens: int | None
    strict: bool

    @property
    def columns(self) -> list[str]:
        return [v.key for v in self.varies] + list(RESULT_COLUMNS)

    @property
    def total(self) -> int:
        return count_combinations(self.varies)

    def rows(self) -> Iterator[Outcome]:
        return rows(self.base, self.label, self.varies, self.tokens)


def prepare(
    base: Mapping[str, Any],
    label: str,
    vary: Sequence[str | Vary],
    where: str | None = None,
    tokens: int | str | None = None,
    strict: bool = False,
) -> Sweep:
    """Check a sweep before its first row: the varied fields (known, not repeated, not
    `extends`), the `where` filter, the `tokens`; with `strict`, every combination, so that
    an invalid one stops the sweep before anything is written (ConfigError naming it).
    Bad settings raise SettingError naming `vary`, `where` or `tokens`."""
    from paramcalc.fields import FIELDS

    varies = tuple(v if isinstance(v, Vary) else parse_vary(v) for v in vary)
    problems: list[tuple[str, str]] = []
    if not varies:
        problems.append(("vary", "give at least one field to vary (KEY=V1,V2,... or KEY=START..STOP[:STEP])"))
    seen: set[str] = set()
    for v in varies:
        if v.key in UNVARIED:
            problems.append(("vary", f"{v.key}: {UNVARIED[v.key]}"))
        elif v.key not in FIELDS:
            problems.append(("vary", f"unknown field {v.key}{suggest(v.key, FIELDS)}"))
        elif v.key in seen:
            problems.append(("vary", f"{v.key} is varied twice: give its values once"))
        seen.add(v.key)
    parsed_tokens: int | None = None
    if tokens is not None:
        try:
            parsed_tokens = parse_value("tokens", tokens)  # the field's own rule, as count's --tokens
        except ValueError as exc:
            problems.append(("tokens", str(exc)))
    if base.get("architecture") == "sequential":
        problems.append(
            ("config", "sweep varies a transformer's sizes; a layer-by-layer net's are its layers' arguments")
        )
    if base.get("architecture") == "composite":
        problems.append(("config", "sweep varies one config's fields; a composite's are its parts' (sweep a part)"))
    if problems:
        raise SettingError(problems)
    columns = {v.key for v in varies} | set(RESULT_COLUMNS)
    conditions = tuple(parse_where(where, columns)) if where else ()
    sweep = Sweep(dict(base), label, varies, conditions, parsed_tokens, strict)
    if strict:
        for changes in combinations(varies):
            try:
                parse_config({**sweep.base, **changes}, label)
            except ConfigError as exc:
                raise ConfigError(
                    [Problem(label, None, f"invalid combination {_label(changes)}: {exc.lines()[0]}")]
                ) from None
    return sweep
