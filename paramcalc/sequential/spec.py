"""The layer-list language as written: `input`, `layers` and `modules` parsed into frozen specs.

Nothing is executed. A value is an integer, a boolean, a word, a list of integers, or an
arithmetic expression in a string (``"$width * 4"``, ``"in // 2"``), read by the tiny evaluator
below: integers, ``$name`` (an argument of the module being expanded), ``in`` (the channels or
features arriving), ``+ - * //`` and parentheses. Every list, name and expression has a limit, so
no file can make the parser or the builder (net.py) run long.

The specs are NamedTuples of tuples: hashable (the built net is cached on them), equal when the
files are, and written back (:func:`layers_raw`, :func:`modules_raw`) in the form they were read.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from paramcalc.errors import show

MAX_DIMS = 4  # input: [features] to [channels, depth, height, width]
MAX_ITEMS = 1000  # layers in one list (a module's, a repeat's, the top level)
MAX_MODULES = 200
MAX_ARGS = 32  # arguments of one layer or module
MAX_DEPTH = 16  # modules inside modules, repeats inside repeats
MAX_REPEAT = 10_000
MAX_EXPRESSION = 200  # characters
MAX_SIZE = 10**12  # any size: an input dimension, a channel count, a kernel

Value = Any  # int | bool | str | float | tuple[int, ...] | None (a module argument without default)


class Call(NamedTuple):
    """One item of a layer list: a layer kind or a module with its arguments, or (kind
    "repeat") `times` copies of `body`. `name`: the user's, else ``kind_index`` (net.py)."""

    kind: str
    args: tuple[tuple[str, Value], ...] = ()
    name: str | None = None
    times: Value = None
    body: tuple[Call, ...] = ()


class Module(NamedTuple):
    """A named block: its arguments (name, default; None = required), its layers, and how its
    output is made of them (net.py): plain, residual (+ x, or + shortcut(x) where the shape
    changes), concatenated with x along channels, multiplying x (a squeeze-excite gate), or
    branches: each layer a branch on x, their outputs concatenated along channels (Inception)."""

    name: str
    params: tuple[tuple[str, Value], ...]
    layers: tuple[Call, ...]
    shortcut: tuple[Call, ...] | None = None
    residual: bool | str = False  # True, False or "same_shape" (only where the shape is unchanged)
    concat: bool = False
    multiply: bool = False
    branches: bool = False


REPEAT = "repeat"
PRIMARY_ARG = "_"  # `linear: 10`, `adaptive_avgpool2d: 1`: the value of the kind's primary argument
GROUP = "group"
_ITEM_KEYS = ("name", "repeat", "layer", "layers", "first")
_MODULE_KEYS = ("args", "layers", "shortcut", "residual", "concat", "multiply", "branches")


def _word(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.isascii() or not value.isidentifier() or len(value) > 64:
        raise ValueError(f"{what} must be a word (letters, digits, _), not {show(value)}")
    return value


def _value(value: object, where: str) -> Value:
    """An argument's value as written: kept as is, lists frozen; checked for kind and size."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SIZE:
            raise ValueError(f"{where}: {show(value)} is too large (at most {MAX_SIZE:.0e})")
        return value
    if isinstance(value, float):
        if not 0 <= value <= 1:  # a dropout rate, an epsilon: shape nothing, count nothing
            raise ValueError(f"{where}: {show(value)}: numbers are whole, or a rate between 0 and 1")
        return value
    if isinstance(value, str):
        if len(value) > MAX_EXPRESSION:
            raise ValueError(f"{where}: an expression of at most {MAX_EXPRESSION} characters, not {len(value)}")
        return value
    if isinstance(value, list):
        if not 1 <= len(value) <= MAX_DIMS or not all(isinstance(v, (int, str)) and v is not True for v in value):
            raise ValueError(f"{where}: a list of 1 to {MAX_DIMS} whole numbers, not {show(value)}")
        return tuple(_value(v, where) for v in value)
    raise ValueError(f"{where}: {show(value)} is not a number, a word or a list of numbers")


def _args(value: object, where: str) -> tuple[tuple[str, Value], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ValueError(f"{where}: arguments are a mapping ({{out: 64, kernel: 3}}), not {show(value)}")
    if len(value) > MAX_ARGS:
        raise ValueError(f"{where}: {len(value)} arguments; at most {MAX_ARGS}")
    return tuple((_word(k, f"{where}: an argument"), _value(v, f"{where}: {k}")) for k, v in value.items())


def parse_item(item: object, where: str, depth: int = 0) -> Call:
    """One item: ``relu``, ``{conv2d: {out: 64, kernel: 3}, name: conv1}``, ``{bottleneck:
    {width: 64}}``, ``{repeat: 3, layer: ..., name: layer1, first: {stride: 2}}`` (``layers: [...]``
    for several; `first`: arguments of the first copy's first layer), or a group ``{name:
    features, layers: [...]}``."""
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: nested more than {MAX_DEPTH} deep")
    if isinstance(item, str):
        return Call(_word(item, f"{where}: a layer kind"))
    if not isinstance(item, dict) or not item:
        raise ValueError(f"{where}: a layer is a kind (relu) or a mapping (conv2d: {{out: 64}}), not {show(item)}")
    name = _word(item["name"], f"{where}: name") if "name" in item else None
    if REPEAT in item:
        extra = [k for k in item if k not in _ITEM_KEYS]
        if extra or ("layer" in item) == ("layers" in item):
            raise ValueError(
                f"{where}: repeat takes `layer: ...` or `layers: [...]` (and name, first), not {show(item)}"
            )
        body = parse_list([item["layer"]] if "layer" in item else item["layers"], f"{where}", depth + 1)
        first = _args(item.get("first"), f"{where}: first")
        return Call(REPEAT, first, name, _value(item[REPEAT], f"{where}: repeat"), body)
    if "layers" in item:  # a named group of layers (torch's nn.Sequential): {name: features, layers: [...]}
        extra = [k for k in item if k not in ("name", "layers")]
        if extra:
            raise ValueError(f"{where}: a group takes `layers: [...]` and a name, not {', '.join(map(str, extra))}")
        return Call(GROUP, (), name, None, parse_list(item["layers"], where, depth + 1))
    kinds = [k for k in item if k != "name"]
    if len(kinds) != 1:
        raise ValueError(f"{where}: one layer kind per item (and a name), not {', '.join(map(str, kinds)) or 'none'}")
    kind = _word(kinds[0], f"{where}: a layer kind")
    if kind in ("layer", "first"):
        raise ValueError(f"{where}: `{kind}` belongs to a repeat (repeat: N)")
    value = item[kind]
    if value is not None and not isinstance(value, dict):  # `linear: 10`: the kind's first argument
        return Call(kind, ((PRIMARY_ARG, _value(value, f"{where} ({kind})")),), name)
    return Call(kind, _args(value, f"{where} ({kind})"), name)


def parse_list(value: object, where: str, depth: int = 0) -> tuple[Call, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}: a list of layers, not {show(value)}")
    if len(value) > MAX_ITEMS:
        raise ValueError(f"{where}: {len(value):,} layers in one list; at most {MAX_ITEMS:,} (use repeat)")
    return tuple(parse_item(item, f"{where}[{i}]" if where else f"layer {i}", depth) for i, item in enumerate(value))


def parse_layers(value: object) -> tuple[Call, ...]:
    """The `layers` field of a sequential net; problems name the layer by its index."""
    return parse_list(value, "")


def parse_input(value: object) -> tuple[int, ...]:
    """The shape of one example, without the batch: 1 to 4 positive whole numbers."""
    sizes = value if isinstance(value, list) else []
    if not 1 <= len(sizes) <= MAX_DIMS or not all(type(d) is int and 1 <= d <= MAX_SIZE for d in sizes):
        raise ValueError(
            f"must be the shape of one example without the batch, 1 to {MAX_DIMS} positive whole numbers "
            f"([3, 224, 224], [784], [128, 512]), not {show(value)}"
        )
    return tuple(sizes)


def parse_modules(value: object) -> tuple[Module, ...]:
    """name -> {args: {name: default}, layers: [...], shortcut: [...], residual, concat, multiply, branches}."""
    if not isinstance(value, dict):
        raise ValueError(f"must be a mapping of module names to their layers, not {show(value)}")
    if len(value) > MAX_MODULES:
        raise ValueError(f"has {len(value)} modules; at most {MAX_MODULES}")
    out = []
    for key, body in value.items():
        name = _word(key, "a module name")
        if not isinstance(body, dict) or "layers" not in body:
            raise ValueError(f"{name}: a module is a mapping with `layers: [...]` (and args, shortcut, residual)")
        extra = [k for k in body if k not in _MODULE_KEYS]
        if extra:
            from paramcalc.errors import suggest

            raise ValueError(f"{name}: unknown key {show(extra[0])}{suggest(str(extra[0]), _MODULE_KEYS)}")
        residual = body.get("residual", "shortcut" in body)
        if residual not in (True, False, "same_shape"):
            raise ValueError(f"{name}: residual is true, false or same_shape, not {show(residual)}")
        flags = [body.get(k, False) for k in ("concat", "multiply", "branches")]
        if any(f not in (True, False) for f in flags):
            raise ValueError(f"{name}: concat, multiply and branches are true or false")
        if sum(1 for f in (bool(residual), *flags) if f) > 1:
            raise ValueError(f"{name}: choose one of residual, concat, multiply and branches")
        shortcut = parse_list(body["shortcut"], f"{name}.shortcut", 1) if "shortcut" in body else None
        params = _args(body.get("args"), f"{name}.args")
        out.append(Module(name, params, parse_list(body["layers"], f"{name}.layers", 1), shortcut, residual, *flags))
    return tuple(out)


# --- written back, as read (Config.to_dict) ------------------------------------------------------


def _raw_value(value: Value) -> Any:
    return list(value) if isinstance(value, tuple) else value


def call_raw(call: Call) -> Any:
    if call.kind == REPEAT:
        item: dict[str, Any] = {REPEAT: call.times, "layers": [call_raw(c) for c in call.body]}
        if call.args:
            item["first"] = {k: _raw_value(v) for k, v in call.args}
    elif call.kind == GROUP:
        item = {"layers": [call_raw(c) for c in call.body]}
    elif not call.args and call.name is None:
        return call.kind
    elif call.args and call.args[0][0] == PRIMARY_ARG:
        item = {call.kind: _raw_value(call.args[0][1])}
    else:
        item = {call.kind: {k: _raw_value(v) for k, v in call.args} or None}
    if call.name is not None:
        item["name"] = call.name
    return item


def layers_raw(calls: tuple[Call, ...]) -> list[Any]:
    return [call_raw(c) for c in calls]


def modules_raw(modules: tuple[Module, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in modules:
        body: dict[str, Any] = {}
        if m.params:
            body["args"] = {k: _raw_value(v) for k, v in m.params}
        body["layers"] = layers_raw(m.layers)
        if m.shortcut is not None:
            body["shortcut"] = layers_raw(m.shortcut)
        if m.residual != (m.shortcut is not None):
            body["residual"] = m.residual
        for key in ("concat", "multiply", "branches"):
            if getattr(m, key):
                body[key] = True
        out[m.name] = body
    return out


# --- the expression evaluator: integers, $name, in, + - * //, parentheses ------------------------

_TOKEN = r"\s*(?:(\d+)|\$([A-Za-z_][A-Za-z0-9_]*)|(//|[-+*()])|([A-Za-z_][A-Za-z0-9_]*)|(\S))"  # noqa: S105 (a pattern, not a password)
Expr = Any  # int | ("$", name) | ("in",) | (op, left, right) | ("neg", operand)


@lru_cache(maxsize=4096)
def parse_expression(text: str) -> Expr:
    """A string's arithmetic as a small tree; ValueError with the reason."""
    tokens: list[tuple[str, str]] = []
    for number, arg, op, word, other in re.findall(_TOKEN, text):
        if other:
            hint = " (integer division is //)" if other == "/" else ""
            raise ValueError(f"{show(text)}: {show(other)} is not allowed{hint}")
        if word and word != "in":
            raise ValueError(f"{show(text)}: {show(word)} is not a number, $argument or in")
        tokens.append(("n", number) if number else ("$", arg) if arg else ("op", op) if op else ("in", word))
    if not tokens:
        raise ValueError(f"{show(text)} is not a number or an expression")
    at = 0

    def peek() -> tuple[str, str] | None:
        return tokens[at] if at < len(tokens) else None

    def atom(depth: int) -> Expr:
        nonlocal at
        if depth > 20:
            raise ValueError(f"{show(text)}: nested too deep")
        token = peek()
        if token is None:
            raise ValueError(f"{show(text)}: ends too early")
        at += 1
        kind, value = token
        if kind == "n":
            return int(value)
        if kind == "$":
            return ("$", value)
        if kind == "in":
            return ("in",)
        if value == "-":
            return ("neg", atom(depth + 1))
        if value == "(":
            inner = sum_(depth + 1)
            if peek() != ("op", ")"):
                raise ValueError(f"{show(text)}: a ( without its )")
            at += 1
            return inner
        raise ValueError(f"{show(text)}: {value} where a number belongs")

    def product(depth: int) -> Expr:
        nonlocal at
        left = atom(depth)
        while peek() in (("op", "*"), ("op", "//")):
            at += 1
            left = (tokens[at - 1][1], left, atom(depth))
        return left

    def sum_(depth: int) -> Expr:
        nonlocal at
        left = product(depth)
        while peek() in (("op", "+"), ("op", "-")):
            at += 1
            left = (tokens[at - 1][1], left, product(depth))
        return left

    tree = sum_(0)
    if at != len(tokens):
        raise ValueError(f"{show(text)}: unexpected {tokens[at][1]}")
    return tree


def evaluate(tree: Expr, env: dict[str, Value], arriving: int | None) -> Value:
    """The value of a parsed expression: `env` holds the module's arguments, `arriving` is `in`."""
    if isinstance(tree, int):
        return tree
    head = tree[0]
    if head == "$":
        if tree[1] not in env:
            raise ValueError(f"${tree[1]} is not an argument here{_known(env)}")
        return env[tree[1]]
    if head == "in":
        if arriving is None:
            raise ValueError("`in` (the arriving channels) has no value here")
        return arriving
    if head == "neg":
        return -_int(evaluate(tree[1], env, arriving))
    left, right = _int(evaluate(tree[1], env, arriving)), _int(evaluate(tree[2], env, arriving))
    if head == "//":
        if right == 0:
            raise ValueError("division by zero")
        return left // right
    result = left + right if head == "+" else left - right if head == "-" else left * right
    if abs(result) > MAX_SIZE * MAX_SIZE:
        raise ValueError("a value too large to be a size")
    return result


def _int(value: Value) -> int:
    if type(value) is not int:
        raise ValueError(f"{show(value)} is not a whole number")
    return value


def _known(env: dict[str, Value]) -> str:
    return f" (arguments: {', '.join('$' + k for k in env)})" if env else " (no module arguments here)"
