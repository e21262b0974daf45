"""Rough training compute, with every convention stated.

- FLOPs, not MACs: a (m x k) @ (k x n) product costs 2mkn (one multiply and one add per
  multiply-accumulate).
- Forward FLOPs per token = 2 x (matmul weights used per token: attention, feed-forward or the
  routed experts, router, and the output head even when it is tied; the embedding lookup is
  excluded; Kaplan et al. 2020, Table 1) + the attention-score and attention-value products.
- Attention products, per attention layer and token: QK^T is 2 x seq_len x heads x qk head dim
  and the weighted sum of values 2 x seq_len x heads x v head dim, at the training sequence
  length ``seq_len`` (a config field; by default the model's ``context``). Cross-attention
  counts like self-attention.

  Full (the default): every query against every key, as Hoffmann et al. 2022 ("Chinchilla")
  Appendix F (logits and "softmax @ query reduction", 2 x seq_len^2 x heads x head_dim each per
  sequence), Narayanan et al. 2021 (Megatron) eq. 3 (2Bs^2h for the scores and 2Bs^2h for the
  values per layer, forward) and Chowdhery et al. 2022 (PaLM) Appendix B (training 6N + 12LHQT
  per token = 3 x 2 x 2 x L x H x Q x T) count it. ``causal=True`` counts only the lower
  triangle a causal mask leaves, half the products of self-attention in a decoder stack (an
  encoder's self-attention and cross-attention see every position and stay full). Kaplan et
  al. 2020 Table 1 writes the attention term as 2 x n_layer x n_ctx x d_attn, which is this
  causal figure (half the full count); the paper does not say which half it leaves out.
- Training per token = 3 x forward (backward = 2 x forward).
- Training tokens: the tokens option, else the config's ``tokens``, else 20 x parameters
  (Chinchilla's compute-optimal rule of thumb).
- six_nd = 6 x N x D with N = parameters used per token (the total for a dense model), the
  figure papers quote (GPT-3 Table D.1: 175B x 300B tokens = 3.14e23); ratio_to_six_nd =
  training_total / six_nd shows how far the attention products (and a tied head) take the
  estimate from it.

A plain feed-forward net (``architecture: mlp``) is counted per example, not per token: forward
FLOPs per example = 2 x weights, the multiply-accumulates of its linear layers at 2 FLOPs each,
bias adds not counted (fvcore's convention for a linear layer, in x out multiply-accumulates per
example, with each one counted as 2 FLOPs as above; torchinfo's "mult-adds" also count one per
bias). It has no Chinchilla default: training figures need the examples as ``tokens``.
"""

from __future__ import annotations

from typing import NamedTuple

from paramcalc.config import Config

CHINCHILLA_TOKENS_PER_PARAM = 20  # Hoffmann et al. 2022: compute-optimal D ~ 20 N (Table 3)

TOKENS_FROM_OPTION = "option"
TOKENS_FROM_CONFIG = "config"
TOKENS_FROM_CHINCHILLA = "chinchilla_20x_params"
TOKENS_NOT_GIVEN = "none"  # an mlp without tokens: no training figures

PER_TOKEN = "token"  # noqa: S105 (a unit, not a password)
PER_EXAMPLE = "example"  # an mlp: one input vector


class Flops(NamedTuple):
    """Training compute of one config. `unit` says what "per token" is per: a token, or for an
    mlp an example. The training figures are None for an mlp given no tokens (examples)."""

    forward_per_token: int
    training_per_token: int
    training_tokens: int | None
    tokens_source: str
    training_total: int | None
    six_nd: int | None
    seq_len: int | None  # the sequence length the attention products use; None for an mlp
    causal: bool
    ratio_to_six_nd: float | None
    unit: str


def tied_head(config: Config, matmul: int) -> int:
    """A tied output head holds no parameters of its own but still does its matmul."""
    if config.tie_embeddings and config.has_lm_head:
        return matmul + config.embedding_dim * config.vocab
    return matmul


def attention_products_per_token(config: Config, seq_len: int | None = None, causal: bool = False) -> int:
    """QK^T and the weighted sum of values, per token, over all attention layers: 2 FLOPs x
    seq_len x heads x (qk head dim + v head dim) per layer; `seq_len` defaults to the config's.

    With multi-head latent attention the query-key width is head_dim + rope_head_dim and the
    value width v_head_dim; otherwise both are head_dim, giving 2 x 2 x seq_len x heads x head_dim.
    `causal`: a decoder stack's self-attention counts half (the lower triangle of the scores).
    """
    layers = config.attention_layers
    if not layers:
        return 0
    per_layer = 2 * (seq_len or config.seq_len) * config.heads * (config.qk_head_dim + config.v_dim)
    if not causal:
        return layers * per_layer
    masked = config.decoder_layers if config.is_encoder_decoder else config.layers if config.generates else 0
    return (layers - masked) * per_layer + masked * per_layer // 2


def training_tokens(config: Config, total: int, tokens: int | None) -> tuple[int, str]:
    """The tokens to train on and where the figure came from: the option, the config's
    `tokens`, or Chinchilla's 20 tokens per parameter (a rule for language models: estimate()
    does not apply it to an mlp)."""
    if tokens is not None:
        return tokens, TOKENS_FROM_OPTION
    if config.tokens is not None:
        return config.tokens, TOKENS_FROM_CONFIG
    return CHINCHILLA_TOKENS_PER_PARAM * total, TOKENS_FROM_CHINCHILLA


def estimate(config: Config, matmul: int, active: int, total: int, tokens: int | None, causal: bool = False) -> Flops:
    """`matmul`: the matmul weights used per token, without a tied head (params.Counts)."""
    attention = attention_products_per_token(config, None, causal)
    forward = 2 * tied_head(config, matmul) + attention
    training = 3 * forward  # backward = 2 x forward
    if config.is_mlp and tokens is None and config.tokens is None:
        return Flops(forward, training, None, TOKENS_NOT_GIVEN, None, None, None, causal, None, PER_EXAMPLE)
    used, source = training_tokens(config, total, tokens)
    six_nd = 6 * active * used
    return Flops(
        forward,
        training,
        used,
        source,
        training * used,
        six_nd,
        config.seq_len if config.attention_layers else None,
        causal,
        training * used / six_nd,
        PER_EXAMPLE if config.is_mlp else PER_TOKEN,
    )
