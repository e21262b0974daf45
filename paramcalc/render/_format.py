"""Human formatting shared by the text renderers: units, shares, formulas. No rich here."""

from __future__ import annotations

from paramcalc.config import Config
from paramcalc.engine.flops import TOKENS_FROM_CHINCHILLA, TOKENS_FROM_CONFIG, TOKENS_FROM_OPTION
from paramcalc.engine.layout import BIAS
from paramcalc.engine.params import Component, Term
from paramcalc.engine.report import Report

DTYPES = ("fp32", "fp16", "bf16", "int8", "int4")

TOKEN_SOURCES = {
    TOKENS_FROM_OPTION: "from --tokens",
    TOKENS_FROM_CONFIG: "from the config's tokens",
    TOKENS_FROM_CHINCHILLA: "20 x params, Chinchilla's rule of thumb",
}

FLOPS_NOTE = (
    "FLOPs: forward = 2 x matmul weights per token (output head included, embedding lookup "
    "excluded) + 2 x 2 x attention layers x seq_len x heads x head_dim for attention scores and values "
    "(full attention, as Chinchilla App. F, Megatron and PaLM count it; a sliding-window layer at its "
    "window; --causal halves a decoder's self-attention, Kaplan et al. 2020's figure); training = 3 x "
    "forward (backward = 2 x forward); "
    "6ND = 6 x params used per token x tokens (Kaplan et al. 2020, Table 1)."
)
MLP_FLOPS_NOTE = (
    "FLOPs per example: forward = 2 x weights (a multiply-accumulate is 2 FLOPs; bias adds not "
    "counted, as fvcore counts a linear layer); training = 3 x forward (backward = 2 x forward)."
)
SEQUENTIAL_FLOPS_NOTE = (
    "FLOPs per example: forward = 2 x the multiply-accumulates of convolutions, linear layers, recurrent "
    "gates and attention (the MACs fvcore and torchinfo count, at 2 FLOPs each); bias adds, norms, "
    "activations, pools and embedding lookups not counted; training = 3 x forward. Buffers (batch-norm "
    "running statistics) are not parameters."
)
UNITS_NOTE = (
    "GB = 10^9 bytes. Non-embedding excludes token, position and token-type embeddings and an untied "
    "output head (Kaplan et al. 2020)."
)
MLP_UNITS_NOTE = "GB = 10^9 bytes. A parameter is a weight or a bias: what training learns."
SSM_FLOPS_NOTE = (
    "FLOPs: forward = 2 x matmul weights per token (in_proj, x_proj, dt_proj, out_proj, the conv's taps "
    "and the output head; the embedding lookup excluded) + the scan's state update and readout in its "
    "recurrent form (Mamba: 7, Mamba-2: 5 FLOPs per inner channel and state element); training = 3 x "
    "forward."
)
RECURRENT_NOTE = (
    "Blocks without attention: their state update and readout per token instead of attention products "
    "(Mamba 7, Mamba-2 5 FLOPs per inner channel and state element; gated DeltaNet 7 per element of each "
    "value head's key_dim x value_dim state)."
)


COMPOSITE_NOTE = (
    "Composite: each part is counted as a config of its own and its components named part.component; "
    "the FLOPs above are the language part's, per text token; the parts table gives each part's per token of "
    "its own input, and a vision tower's per image (tokens per image x per token: every patch, [CLS] and "
    "register token runs through every block; a pooling head's once-per-image work is not counted)."
)


def notes(report: Report) -> str:
    """The conventions under a count, for its architecture."""
    if report.config.parts:
        return f"{UNITS_NOTE} {COMPOSITE_NOTE} {notes_of(report.config.main_part)}"
    if report.config.is_mlp:
        return f"{MLP_UNITS_NOTE} {MLP_FLOPS_NOTE}"
    if report.config.is_sequential:
        return f"{MLP_UNITS_NOTE} {SEQUENTIAL_FLOPS_NOTE}"
    if report.config.is_ssm:
        return f"{UNITS_NOTE} {SSM_FLOPS_NOTE}"
    return f"{UNITS_NOTE} {notes_of(report.config)}"


def notes_of(config: Config) -> str:
    """The FLOPs conventions of one (non-composite) config."""
    if config.is_mlp:
        return MLP_FLOPS_NOTE
    if config.is_sequential:
        return SEQUENTIAL_FLOPS_NOTE
    if config.is_ssm:
        return SSM_FLOPS_NOTE
    if config.recurrent_layers:
        return f"{FLOPS_NOTE} {RECURRENT_NOTE}"
    return FLOPS_NOTE


def count(n: int) -> str:
    """Exact integer with thousands separators: 124,439,808."""
    return f"{n:,}"


def short_count(n: float) -> str:
    """Rounded with a suffix, for quick reading: 124.4M, 6.74B, 1.2T."""
    for size, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if abs(n) >= size:
            return f"{n / size:.3g}{suffix}" if n / size < 1000 else f"{n / size:,.0f}{suffix}"
    return f"{n:g}" if isinstance(n, float) else str(n)


def size(nbytes: int) -> str:
    """Decimal units, GB = 10**9 bytes (as disk and GPU vendors quote)."""
    for unit_size, unit in ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB")):
        if nbytes >= unit_size:
            return (
                f"{nbytes / unit_size:.3g} {unit}" if nbytes / unit_size < 1000 else f"{nbytes / unit_size:,.0f} {unit}"
            )
    return f"{nbytes} B"


def sci(x: float) -> str:
    """FLOPs: 2.848e+08; a small whole number exactly (an mlp's 12)."""
    if isinstance(x, int) and abs(x) < 10**6:
        return f"{x:,}"
    return f"{x:.3e}"


def signed_percent(fraction: float) -> str:
    """+0.39%, -0.03%; a value that rounds to zero is +0.00%, never -0.00%."""
    rounded = round(fraction * 100, 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{rounded:+.2f}%"


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def term_formula(term: Term) -> str:
    """'q weight: layers × d_model × heads*head_dim = 12 × 768 × 768 = 7,077,888'."""
    names = " × ".join(name for name, _ in term.factors)
    values = " × ".join(str(value) for _, value in term.factors)
    kind = "bias" if term.kind == BIAS else "weight"
    if len(term.factors) == 1:
        return f"{term.part} {kind}: {names} = {count(term.count)}"
    return f"{term.part} {kind}: {names} = {values} = {count(term.count)}"


def component_formulas(component: Component) -> list[str]:
    return [term_formula(t) for t in component.terms] or ["(shares the token embedding: 0)"]


def summary_rows(report: Report) -> list[tuple[str, str]]:
    """(label, value) lines under the component table: totals, memory, FLOPs, in the words of
    the architecture (an mlp: per example, no embeddings, no experts)."""
    f = report.flops
    mlp = report.config.per_example  # an mlp or a sequential net: per example
    per = "example" if mlp else "token"
    rows = [("total params", count(report.total))]
    if mlp:
        rows += [("weights", count(report.weights)), ("biases", count(report.biases))]
    else:
        rows += [
            ("non-embedding params", count(report.non_embedding)),
            ("active params per token", count(report.active)),
        ]
        if report.routed:  # what model cards quote as "active" (gpt-oss-20b: 3.6B)
            rows.append(("active without the input embedding", count(report.active - report.input_embedding)))
    rows += [(f"weights in {d}", size(report.memory_bytes[d])) for d in DTYPES]
    forward = f"forward FLOPs per {per}"
    if report.config.parts:
        forward += f" of {report.config.main_part_name}"
    if f.seq_len is not None and not mlp:
        forward += f" (attention at {f.seq_len:,} tokens{', causal' if f.causal else ''})"
    rows += [(forward, sci(f.forward_per_token)), (f"training FLOPs per {per}", sci(f.training_per_token))]
    if f.training_tokens is None or f.training_total is None or f.six_nd is None:
        return rows  # an mlp given no examples: no training totals
    total = sci(f.training_total)
    if f.ratio_to_six_nd is not None:
        total += f" ({f.ratio_to_six_nd:.3g} x 6ND)"
    rows += [
        (f"training {per}s", f"{short_count(f.training_tokens)} ({TOKEN_SOURCES[f.tokens_source]})"),
        ("training FLOPs total", total),
        ("6ND", sci(f.six_nd)),
    ]
    return rows


def bar(fraction: float, width: int = 12) -> str:
    """A proportional bar: '████········' for 1/3."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "·" * (width - filled)


def row_value(group: str, key: str, value: int | None) -> str:
    """A compare cell, in the unit its row is measured in."""
    if value is None:
        return ""
    if group == "memory":
        return size(value)
    if key == "flops.training_tokens":
        return short_count(value)
    if group == "flops":
        return sci(value)
    return count(value)


def signed(group: str, key: str, value: int | None) -> str:
    if value is None:
        return ""
    text = row_value(group, key, abs(value))
    return ("+" if value > 0 else "-" if value < 0 else "") + text


def ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}x"


def differences(items: tuple[tuple[str, tuple[object, ...]], ...]) -> list[str]:
    """'kv_heads: 64 | 8' lines: the fields whose values differ between the configs."""

    def show(v: object) -> str:
        return "-" if v is None else str(v).lower() if isinstance(v, bool) else str(v)

    return [f"{field}: " + " | ".join(show(v) for v in values) for field, values in items]
