"""One exception tree for everything a user can get wrong.

The CLI catches :class:`ParamcalcError` in one place and turns it into a message on stderr and
an exit code (httpie's ``ExitStatus`` habit). Library users catch the same classes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import NamedTuple


class ExitStatus(enum.IntEnum):
    OK = 0
    BAD_INPUT = 1
    USAGE = 2
    INTERRUPTED = 130


def show(value: object) -> str:
    """A short repr for messages: long strings and deep or huge structures are abbreviated."""
    import reprlib

    short = reprlib.Repr()
    short.maxstring = short.maxother = 40
    short.maxlist = short.maxdict = short.maxtuple = 6
    short.maxlevel = 3
    return short.repr(value)


def suggest(word: str, options: Iterable[str], cutoff: float = 0.6) -> str:
    """The one "did you mean" of paramcalc: " (did you mean 'kv_heads'?)", or "" if nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ""


class ParamcalcError(Exception):
    """Base of every error paramcalc raises on purpose."""

    exit_status = ExitStatus.BAD_INPUT

    def lines(self) -> list[str]:
        """One line per problem, ready for stderr."""
        return [str(self)]


class Problem(NamedTuple):
    """One thing wrong with a config: where, which field, what."""

    source: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.field}" if self.field else self.source
        return f"{where}: {self.message}"


class ConfigError(ParamcalcError, ValueError):
    """A config failed validation; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(dict.fromkeys(problems))  # the same problem found in several places: once
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class LoadError(ParamcalcError, OSError):
    """A config could not be found, read or parsed."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class UsageError(ParamcalcError):
    """A command-line option has a value that makes no sense (exit 2)."""

    exit_status = ExitStatus.USAGE


class SettingError(UsageError):
    """Settings of a command (train's `tp`, infer's `gpu_memory`, ...) that make no sense
    together. The engine names *settings*, never command-line flags: each problem is
    (setting, message), and the CLI shows it as its flag (`--tp 3 does not divide ...`)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{setting}: {message}" for setting, message in self.problems))

    def lines(self, flag: Callable[[str], str] | None = None) -> list[str]:
        name = flag or (lambda setting: setting)
        return [f"{name(setting)}: {message}" for setting, message in self.problems]
