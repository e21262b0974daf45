"""A sequential net built: modules expanded, repeats unrolled, shapes propagated layer by layer.

:func:`build` turns the specs of a config (input, layers, modules) into a tree of :class:`Node`:
one per layer, module call and repeat, each with its output shape and the totals under it
(parameters, weights, biases, buffers, MACs per example). It is cached on the specs, which are
small (a repeat is one item however many times it runs), so parse_config's check and every
count that follows share one build. A problem raises :class:`NetError` naming the layer by its
index and kind, inside each module and repeat it sits in.

Module semantics (spec.Module): plain, y = layers(x); residual, y = layers(x) + x, or +
shortcut(x) where layers(x) has another shape (torchvision's ResNet rule: a projection exactly
where stride or channels change); residual same_shape, + x only where the shape is unchanged
(MobileNetV2's inverted residual); concat, y = [x, layers(x)] along channels (DenseNet);
multiply, y = x * layers(x), broadcast (squeeze-and-excitation); branches, y = [b_1(x), b_2(x),
...] along channels, each layer a branch on the same x (GoogLeNet's Inception, SqueezeNet's Fire).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from paramcalc.errors import suggest
from paramcalc.sequential.kinds import KINDS, PRIMARY, Args, Shape, Tensor
from paramcalc.sequential.spec import (
    GROUP,
    MAX_DEPTH,
    MAX_REPEAT,
    PRIMARY_ARG,
    REPEAT,
    Call,
    Module,
    Value,
    evaluate,
    parse_expression,
)

MAX_LAYERS = 10_000  # layers after unrolling: more than any published net (ResNet-1001: ~3,000; FLUX.1: ~2,000)


class Node(NamedTuple):
    """One layer, module call or repeat, with the totals of everything under it."""

    name: str
    kind: str  # a layer kind, a module's name, or "repeat"
    shape: Shape  # the output shape, per example
    tensors: tuple[Tensor, ...]  # a layer's own
    children: tuple[Node, ...]
    params: int
    weights: int
    biases: int
    buffers: int
    macs: int
    equation: str = ""

    @property
    def flops(self) -> int:
        """Forward FLOPs per example: 2 x MACs."""
        return 2 * self.macs

    def leaves(self, prefix: str = "") -> list[tuple[str, Node]]:
        """Every layer under this node (this one, for a layer) with its dotted path."""
        if not self.children:
            return [(prefix or self.name, self)]
        out: list[tuple[str, Node]] = []
        for child in self.children:
            out += child.leaves(f"{prefix}.{child.name}" if prefix else child.name)
        return out


class NetError(ValueError):
    """A problem at a layer: `path` is where (layer 4 (layer1) > layer 0 (bottleneck) > ...)."""

    def __init__(self, path: list[str], message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{' > '.join(path)}: {message}" if path else message)


def _node(name: str, kind: str, shape: Shape, children: tuple[Node, ...], equation: str = "") -> Node:
    return Node(
        name,
        kind,
        shape,
        (),
        children,
        sum(c.params for c in children),
        sum(c.weights for c in children),
        sum(c.biases for c in children),
        sum(c.buffers for c in children),
        sum(c.macs for c in children),
        equation,
    )


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Builder:
    def __init__(self, modules: tuple[Module, ...]) -> None:
        self.modules = {m.name: m for m in modules}
        self.layers = 0

    def run(
        self, calls: tuple[Call, ...], shape: Shape, env: dict[str, Value], depth: int, names: list[str] | None = None
    ) -> tuple[list[Node], Shape]:
        nodes: list[Node] = []
        for i, call in enumerate(calls):
            name = names[i] if names else call.name or f"{call.kind}_{i}"
            label = call.kind if call.name is None or call.name == call.kind else f"{call.name}: {call.kind}"
            try:
                node = self.call(call, name, shape, env, depth)
            except NetError as exc:
                raise NetError([f"layer {i} ({label})", *exc.path], exc.message) from None
            except ValueError as exc:
                message = str(exc) if "arrive" in str(exc) else f"{exc} ({_arrives(shape)})"
                raise NetError([f"layer {i} ({label})"], message) from None
            nodes.append(node)
            shape = node.shape
        return nodes, shape

    def call(self, call: Call, name: str, shape: Shape, env: dict[str, Value], depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise ValueError(f"modules nested more than {MAX_DEPTH} deep (does a module call itself?)")
        if call.kind == REPEAT:
            times = _value(call.times, env, shape)
            if type(times) is not int or not 1 <= times <= MAX_REPEAT:
                raise ValueError(f"repeat: a whole number from 1 to {MAX_REPEAT:,}, not {times!r}")
            children = []
            for j in range(times):
                body = call.body
                if j == 0 and call.args:  # `first`: the first copy's first layer gets these arguments too
                    head = body[0]
                    merged = dict(head.args)
                    merged.update(call.args)
                    body = (head._replace(args=tuple(merged.items())), *body[1:])
                if len(body) == 1:
                    [child], shape = self.run(body, shape, env, depth + 1, [str(j)])
                else:
                    inner, shape = self.run(body, shape, env, depth + 1)
                    child = _node(str(j), REPEAT, shape, tuple(inner))
                children.append(child)
            return _node(name, REPEAT, shape, tuple(children))
        if call.kind == GROUP:  # its layers named by their index, as in torch's nn.Sequential
            names = [c.name or str(j) for j, c in enumerate(call.body)]
            inner, shape = self.run(call.body, shape, env, depth + 1, names)
            return _node(name, GROUP, shape, tuple(inner))
        module = self.modules.get(call.kind)
        if module is not None:
            return self.module(module, call, name, shape, env, depth)
        build = KINDS.get(call.kind)
        if build is None:
            known = [*KINDS, *self.modules]
            raise ValueError(f"unknown layer kind {call.kind!r}{suggest(call.kind, known)}")
        self.layers += 1
        if self.layers > MAX_LAYERS:
            raise ValueError(f"more than {MAX_LAYERS:,} layers once repeats are unrolled")
        given = call.args
        if given and given[0][0] == PRIMARY_ARG:
            if call.kind not in PRIMARY:
                raise ValueError(f"{call.kind} takes a mapping of arguments, not a bare value")
            given = ((PRIMARY[call.kind], given[0][1]), *given[1:])
        args = Args(given, env, shape[0])
        leaf = build(args, shape)
        unread = args.leftover()
        if unread:
            raise ValueError(unread)
        weights = sum(t.size for t in leaf.tensors if t.kind != "bias")
        biases = sum(t.size for t in leaf.tensors if t.kind == "bias")
        return Node(
            name,
            call.kind,
            leaf.shape,
            leaf.tensors,
            (),
            weights + biases,
            weights,
            biases,
            leaf.buffers,
            leaf.macs,
            leaf.equation,
        )

    def module(self, module: Module, call: Call, name: str, shape: Shape, env: dict[str, Value], depth: int) -> Node:
        inner: dict[str, Value] = dict(module.params)
        given = call.args
        if given and given[0][0] == PRIMARY_ARG:
            if not module.params:
                raise ValueError(f"module {module.name} takes no arguments")
            given = ((module.params[0][0], given[0][1]), *given[1:])
        for key, value in given:
            if key not in inner:
                raise ValueError(f"{module.name} has no argument {key!r}{suggest(key, list(inner))}")
            inner[key] = _value(value, env, shape)
        missing = [k for k, v in inner.items() if v is None]
        if missing:
            raise ValueError(f"{module.name} needs {', '.join(missing)}")
        if module.branches:
            return self.branches(module, name, shape, inner, depth)
        nodes, out = self.run(module.layers, shape, inner, depth + 1)
        if module.concat:
            if out[1:] != shape[1:]:
                raise ValueError(f"concat: {list(out)} comes out, {list(shape)} came in; only channels may differ")
            return _node(name, module.name, (shape[0] + out[0], *shape[1:]), tuple(nodes))
        if module.multiply:
            if len(out) != len(shape) or any(o not in (1, s) for o, s in zip(out, shape)):
                raise ValueError(f"multiply: {list(out)} does not broadcast over {list(shape)}")
            return _node(name, module.name, shape, tuple(nodes))
        if module.residual is False or (module.residual == "same_shape" and out != shape):
            return _node(name, module.name, out, tuple(nodes))
        if out != shape:
            if module.shortcut is None:
                raise ValueError(
                    f"residual: {list(out)} comes out, {list(shape)} came in; give the module a shortcut "
                    "(used where the shape changes)"
                )
            try:
                sc, sc_shape = self.run(module.shortcut, shape, inner, depth + 1)
            except NetError as exc:
                raise NetError(["shortcut", *exc.path], exc.message) from None
            if sc_shape != out:
                raise ValueError(f"the shortcut gives {list(sc_shape)}, the layers {list(out)}: they must agree to add")
            nodes.append(_node("shortcut", "shortcut", sc_shape, tuple(sc)))
        return _node(name, module.name, out, tuple(nodes))

    def branches(self, module: Module, name: str, shape: Shape, env: dict[str, Value], depth: int) -> Node:
        """Each layer of the module applied to the same input; the outputs joined along channels."""
        nodes: list[Node] = []
        for i, branch in enumerate(module.layers):
            try:
                [node], _ = self.run((branch,), shape, env, depth + 1, [branch.name or f"branch{i + 1}"])
            except NetError as exc:
                raise NetError([exc.path[0].replace("layer 0", f"branch {i}", 1), *exc.path[1:]], exc.message) from None
            if nodes and node.shape[1:] != nodes[0].shape[1:]:
                raise ValueError(
                    f"branches: branch {i} gives {list(node.shape)}, branch 0 {list(nodes[0].shape)}; "
                    "only channels may differ"
                )
            nodes.append(node)
        out = (sum(n.shape[0] for n in nodes), *nodes[0].shape[1:])
        return _node(name, module.name, out, tuple(nodes))


def _value(value: Value, env: dict[str, Value], shape: Shape) -> Value:
    """A module argument or repeat count where it is given: expressions evaluated in the caller's
    arguments (`in`: the channels arriving); a word (same, keras) kept."""
    if not isinstance(value, str) or (_WORD.fullmatch(value) and value != "in"):
        return value
    if value.startswith("$") and value[1:].isidentifier() and value[1:] in env:
        return env[value[1:]]
    return evaluate(parse_expression(value), env, shape[0])


def _arrives(shape: Shape) -> str:
    return f"{list(shape)} arrives"


@lru_cache(maxsize=64)
def build(input_shape: Shape, layers: tuple[Call, ...], modules: tuple[Module, ...] | None) -> Node:
    """The whole net as one node, its children the top-level layers; NetError if it does not fit."""
    builder = _Builder(modules or ())
    nodes, shape = builder.run(layers, input_shape, {}, 0)
    return _node("net", "sequential", shape, tuple(nodes))
