"""One value of one config field: its kind and bounds, and the reason a person reads when it
is wrong. The fields themselves are in fields.py; parse_config (config.py) calls these once per
given value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from paramcalc.errors import show, suggest

if TYPE_CHECKING:
    from paramcalc.fields import Field

MAX_LAYER_SIZES = 10_001  # an MLP's widths: 10,000 layers, far deeper than any real MLP

_COUNT_SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}
# compiled by re on first use, not at import
_COUNT_RE = r"^\s*([0-9][0-9_,]*(?:\.[0-9]*)?(?:e[+-]?[0-9]+)?)\s*([kmbgt]?)\s*$"
COUNT_LIMIT = 10**30  # parse_count refuses more, before building a huge integer


def parse_count(value: object) -> int:
    """A positive whole number from 300000000000, 3e11, '300e9', '300B', '1.5T' or '300_000'.

    Raises ValueError with a reason a person can act on.
    """
    if isinstance(value, bool):
        raise ValueError(f"{show(value)} is not a number")
    if isinstance(value, int):
        number: int = value
    elif isinstance(value, float):
        if math.isfinite(value) and value > COUNT_LIMIT:
            raise ValueError(f"{show(value)} is too large")
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"{show(value)} is not a whole number")
        number = int(value)
    elif isinstance(value, str):
        match = re.match(_COUNT_RE, value, re.I)
        if not match:
            raise ValueError(f"{show(value)} is not a number (examples: 300e9, 3e11, 300B, 1.5T)")
        digits, suffix = match.group(1).replace("_", "").replace(",", ""), match.group(2).lower()
        from decimal import Decimal, InvalidOperation

        try:
            exact = Decimal(digits) * _COUNT_SUFFIX[suffix]
        except InvalidOperation:
            raise ValueError(f"{show(value)} is not a number") from None
        except ArithmeticError:  # decimal.Overflow: an exponent beyond Decimal's range
            raise ValueError(f"{show(value)} is too large") from None
        if exact > COUNT_LIMIT:
            raise ValueError(f"{show(value)} is too large")
        if exact != exact.to_integral_value():
            raise ValueError(f"{show(value)} is not a whole number")
        number = int(exact)
    else:
        raise ValueError(f"{show(value)} is not a number")
    if number <= 0:
        raise ValueError(f"{show(value)} must be positive")
    if number > COUNT_LIMIT:
        raise ValueError(f"{show(value)} is too large")
    return number


def number_words(n: int) -> str:
    """An integer for a message, whatever its size: 64, 2e+12, or 'a 401-digit number'
    (formatting a huge int as a float overflows; as digits, past 4,300, raises)."""
    if abs(n) < 10**6:
        return str(n)
    if abs(n) < 10**300:
        return f"{n:.3g}"
    digits = int(abs(n).bit_length() * math.log10(2)) + 1
    if 10 ** (digits - 1) > abs(n):
        digits -= 1
    return f"a{' negative' if n < 0 else ''} {digits:,}-digit number"


def type_name(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _parse_str(field: Field, value: object) -> str:
    if type(value) is str:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # `name: 2024`
        return str(value)
    raise ValueError(f"must be text, not {type_name(value)}")


def _parse_bool(field: Field, value: object) -> bool:
    if value is True or value is False:
        return value
    raise ValueError(f"must be true or false, not {show(value)}")


def _parse_enum(field: Field, value: object) -> str:
    if isinstance(value, str):
        word = value.lower()  # `norm: RMSNorm` is rmsnorm (the schema accepts any case too)
        if word in field.choices:
            return word
        hint = suggest(word, field.choices)
    else:
        hint = ""
    raise ValueError(f"{show(value)} is not one of {', '.join(field.choices)}{hint}")


def _whole(value: object) -> int | None:
    """An int, or a float with no fraction (JSON Schema's "integer" takes 64.0 too)."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return None


def _parse_int(field: Field, value: object) -> int:
    number = _whole(value)
    if number is None:
        if isinstance(value, float):
            raise ValueError(f"must be a whole number, not {show(value)}")
        raise ValueError(f"must be a whole number, not {type_name(value)} ({show(value)})")
    if number < field.minimum:
        limit = "positive" if field.minimum == 1 else f"at least {field.minimum}"
        raise ValueError(f"must be {limit}, not {number_words(number)}")
    if number > field.maximum:
        raise ValueError(f"must be at most {field.maximum:,}, not {number_words(number)}")
    return number


def _parse_count(field: Field, value: object) -> int:
    number = parse_count(value)
    if number > field.maximum:
        raise ValueError(f"must be at most {field.maximum:.0e}, not {number_words(number)}")
    return number


def _parse_sizes(field: Field, value: object) -> tuple[int, ...]:
    widths = [_whole(v) for v in value] if isinstance(value, list) else []
    if len(widths) < 2 or any(w is None or w <= 0 for w in widths):
        raise ValueError(f"must be a list of at least two positive whole numbers, not {show(value)}")
    if len(widths) > MAX_LAYER_SIZES:
        raise ValueError(f"has {len(widths):,} widths; paramcalc counts at most {MAX_LAYER_SIZES:,} (10,000 layers)")
    widest = max(w for w in widths if w is not None)
    if widest > field.maximum:
        raise ValueError(f"widths must be at most {field.maximum:,}, not {number_words(widest)}")
    return tuple(w for w in widths if w is not None)


KIND_PARSERS: dict[str, Callable[[Field, object], Any]] = {
    "str": _parse_str,
    "bool": _parse_bool,
    "enum": _parse_enum,
    "int": _parse_int,
    "count": _parse_count,
    "sizes": _parse_sizes,
}


def fast_parser(field: Field) -> Callable[[object], Any]:
    """Field.parse with the common case first (an int in bounds, a bool, a lower-case word):
    parse_config calls this once per given value, 35,000 configs a second in a sweep."""
    parse = KIND_PARSERS[field.kind]
    if field.kind == "int":
        low, high = field.minimum, field.maximum

        def parse_int(value: object) -> Any:
            if type(value) is int and low <= value <= high:
                return value
            return parse(field, value)

        return parse_int
    if field.kind == "bool":
        return lambda value: value if value is True or value is False else parse(field, value)
    if field.kind == "enum":
        words = frozenset(field.choices)
        return lambda value: value if type(value) is str and value in words else parse(field, value)
    return lambda value: parse(field, value)


MAX_PARTS = 16  # a model of more parts than this is not a model people download
MAX_TENSORS = 64
MAX_TENSOR_DIMS = 8
MAX_TENSOR_PARAMS = 10**13  # far above any tensor of a published model (DeepSeek-V3's largest: 1.9e9)


def _name(key: object, what: str) -> str:
    if not isinstance(key, str) or not key.isidentifier() or not key.isascii():
        raise ValueError(f"{what} names are words (letters, digits, _), not {show(key)}")
    return key


def _parse_parts(field: Field, value: object) -> tuple[tuple[str, Any], ...]:
    """name -> a config (a mapping, or a preset name), each parsed as a config of its own; the
    problems of a part are reported under its name (``parts.vision.heads: ...``)."""
    from paramcalc.config import parse_config
    from paramcalc.errors import ConfigError
    from paramcalc.loading import part_fields

    if not isinstance(value, dict) or not value:
        raise ValueError(f"must be a mapping of part names to configs, not {show(value)}")
    if len(value) > MAX_PARTS:
        raise ValueError(f"has {len(value)} parts; paramcalc counts at most {MAX_PARTS}")
    parts = []
    problems = []
    for key, part in value.items():
        name = _name(key, "part")
        try:
            fields = part_fields(part, name)
            config = parse_config(fields, name, name)
            # a part may be a composite of plain parts (a diffusion pipeline's U-Net, its blocks), no deeper
            if config.is_composite and any(inner.is_composite for _, inner in config.parts):
                raise ValueError(f"{name}: composite parts nest two levels at most (list the inner parts here)")
            parts.append((name, config))
        except ConfigError as exc:
            problems += [f"{name}.{p.field}: {p.message}" if p.field else f"{name}: {p.message}" for p in exc.problems]
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(parts)


def _parse_tensors(field: Field, value: object) -> tuple[tuple[str, tuple[int, ...]], ...]:
    if not isinstance(value, dict):
        raise ValueError(f"must be a mapping of tensor names to their dimensions, not {show(value)}")
    if len(value) > MAX_TENSORS:
        raise ValueError(f"has {len(value)} tensors; paramcalc counts at most {MAX_TENSORS}")
    out = []
    for key, dims in value.items():
        name = _name(key, "tensor")
        sizes = [_whole(d) for d in dims] if isinstance(dims, list) else []
        if not sizes or len(sizes) > MAX_TENSOR_DIMS or any(d is None or not 1 <= d <= field.maximum for d in sizes):
            limit = f"1 to {MAX_TENSOR_DIMS} positive whole numbers"
            raise ValueError(f"{name}: must be a list of {limit}, not {show(dims)}")
        dimensions = tuple(d for d in sizes if d is not None)
        product = 1
        for d in dimensions:
            product *= d
        if product > MAX_TENSOR_PARAMS:
            raise ValueError(
                f"{name}: {product:.3g} parameters is more than one tensor holds ({MAX_TENSOR_PARAMS:.0e})"
            )
        out.append((name, dimensions))
    return tuple(out)


KIND_PARSERS["parts"] = _parse_parts
KIND_PARSERS["tensors"] = _parse_tensors


def _parse_shape(field: Field, value: object) -> tuple[int, ...]:
    from paramcalc.sequential.spec import parse_input

    return parse_input(value)


def _parse_modules(field: Field, value: object) -> Any:
    from paramcalc.sequential.spec import parse_modules

    return parse_modules(value)


def parse_layer_list(value: object) -> Any:
    """A sequential net's `layers`: a list of layers (parse_config reads `layers` so there)."""
    from paramcalc.sequential.spec import parse_layers

    return parse_layers(value)


KIND_PARSERS["shape"] = _parse_shape
KIND_PARSERS["modules"] = _parse_modules
