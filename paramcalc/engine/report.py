"""The result of counting one config, and its JSON-ready form (a stable contract, see README)."""

from __future__ import annotations

from typing import Any

from paramcalc.config import Config
from paramcalc.engine.flops import Flops
from paramcalc.engine.layout import BIAS
from paramcalc.engine.params import Component, components


class Report:
    """Totals, memory and FLOPs of one config. The components, term by term, are built when
    first asked for: sweep and solve read only the totals."""

    __slots__ = (
        "config",
        "total",
        "weights",
        "biases",
        "non_embedding",
        "active",
        "memory_bytes",
        "flops",
        "routed",
        "input_embedding",
        "_parts",
    )

    def __init__(
        self,
        config: Config,
        total: int,
        weights: int,
        biases: int,
        non_embedding: int,
        active: int,
        memory_bytes: dict[str, int],
        flops: Flops,
        routed: int,
        input_embedding: int = 0,
    ) -> None:
        self.config = config
        self.total = total
        self.weights = weights
        self.biases = biases
        self.non_embedding = non_embedding
        self.active = active
        self.memory_bytes = memory_bytes
        self.flops = flops
        self.routed = routed  # parameters of all routed experts (0 for a dense model)
        self.input_embedding = input_embedding  # the tables tokens are looked up in (token, position, type)
        self._parts: tuple[Component, ...] | None = None

    @property
    def components(self) -> tuple[Component, ...]:
        if self._parts is None:
            self._parts = tuple(components(self.config))
        return self._parts

    def __repr__(self) -> str:
        return f"Report({self.config.name!r}, total={self.total})"

    def parts(self, component: Component) -> list[dict[str, int | str]]:
        """Sub-components (q, k, v, o; up, gate, down; ...) with weights and biases."""
        merged: dict[str, dict[str, int | str]] = {}
        for term in component.terms:
            row = merged.setdefault(term.part, {"name": term.part, "params": 0, "weights": 0, "biases": 0})
            key = "biases" if term.kind == BIAS else "weights"
            row[key] = int(row[key]) + term.count
            row["params"] = int(row["params"]) + term.count
        return list(merged.values())

    def detail_parts(self, component: Component) -> list[dict[str, int | str]]:
        """Sub-component rows worth showing: none when the component has a single part."""
        parts = self.parts(component)
        return parts if len(parts) > 1 else []

    def to_dict(self) -> dict[str, Any]:
        f = self.flops
        return {
            "name": self.config.name,
            "architecture": self.config.architecture,
            "source": self.config.source,
            "params": {
                "total": self.total,
                "non_embedding": self.non_embedding,
                "active": self.active,
                "weights": self.weights,
                "biases": self.biases,
                "routed": self.routed,
                "active_without_input_embedding": self.active - self.input_embedding,
            },
            "components": [
                {
                    "name": c.name,
                    "params": c.params,
                    "weights": c.weights,
                    "biases": c.biases,
                    "parts": self.parts(c),
                }
                for c in self.components
            ],
            "memory_bytes": dict(self.memory_bytes),
            "flops": {
                "forward_per_token": f.forward_per_token,
                "attention_per_token": f.attention_per_token,
                "state_updates_per_token": f.state_updates_per_token,
                "training_per_token": f.training_per_token,
                "training_tokens": f.training_tokens,
                "tokens_source": f.tokens_source,
                "training_total": f.training_total,
                "six_nd": f.six_nd,
                "ratio_to_six_nd": f.ratio_to_six_nd,
                "seq_len": f.seq_len,
                "causal": f.causal,
                "unit": f.unit,
            },
            **({"parts": self.part_summaries()} if self.config.parts else {}),
            "config": self.config.to_dict(),
        }

    def part_reports(self) -> list[tuple[str, Report]]:
        """A composite's parts, each analysed on its own (its FLOPs per token of its own input)."""
        from paramcalc.engine import analyze

        causal = self.flops.causal
        return [(name, analyze(part, causal=causal)) for name, part in self.config.parts]

    def part_summaries(self) -> list[dict[str, Any]]:
        """Per part: its subtotal and its forward FLOPs, per token of its own sequence; a vision
        tower's also per image (tokens_per_image x per token: every patch, [CLS] and register
        token runs through every block)."""
        out = []
        for name, report in self.part_reports():
            config, f = report.config, report.flops
            row: dict[str, Any] = {
                "name": name,
                "architecture": config.architecture,
                "params": report.total,
                "active": report.active,
                "forward_flops_per_token": f.forward_per_token,
                "unit": f.unit,
            }
            if config.is_vision:
                row["patches_per_image"] = config.patches
                row["tokens_per_image"] = config.context
                row["forward_flops_per_image"] = f.forward_per_token * config.context
            out.append(row)
        return out
