"""Rough training compute, with every convention stated.

Conventions (Kaplan et al. 2020, Table 1; Hoffmann et al. 2022, "Chinchilla"):

- FLOPs, not MACs: a (m x k) @ (k x n) product costs 2mkn.
- Forward FLOPs per token = 2 x (matmul weights used per token: attention, feed-forward or the
  routed experts, router, and the output head even when it is tied; the embedding lookup is
  excluded) + the attention-score and attention-value products, 2 x 2 x context x heads x head_dim
  per attention layer (no causal discount; cross-attention counts like self-attention).
- Training per token = 3 x forward (backward = 2 x forward).
- Training tokens: the --tokens option, else the config's ``tokens``, else 20 x parameters
  (Chinchilla's compute-optimal rule of thumb).
- six_nd = 6 x N x D with N = parameters used per token (the total for a dense model), the
  figure papers quote (GPT-3 Table D.1: 175B x 300B tokens = 3.14e23).
"""

from __future__ import annotations

from typing import NamedTuple

from paramcalc.config import Config
from paramcalc.fields import ENCODER_DECODER, MLP

CHINCHILLA_TOKENS_PER_PARAM = 20  # Hoffmann et al. 2022: compute-optimal D ~ 20 N

TOKENS_FROM_OPTION = "option"
TOKENS_FROM_CONFIG = "config"
TOKENS_FROM_CHINCHILLA = "chinchilla_20x_params"


class Flops(NamedTuple):
    forward_per_token: int
    training_per_token: int
    training_tokens: int
    tokens_source: str
    training_total: int
    six_nd: int


def tied_head(config: Config, matmul: int) -> int:
    """A tied output head holds no parameters of its own but still does its matmul."""
    if config.has_lm_head and config.tie_embeddings:
        return matmul + config.embedding_dim * config.vocab
    return matmul


def attention_products_per_token(config: Config) -> int:
    """QK^T and AV: 2 FLOPs x context x heads x head_dim each, per attention layer.

    With multi-head latent attention the query-key width is head_dim + rope_head_dim and the
    value width v_head_dim; otherwise both are head_dim, giving 2 x 2 x context x heads x head_dim.
    """
    if config.architecture == MLP:
        return 0
    if config.architecture == ENCODER_DECODER:
        attention_layers = config.encoder_layers + 2 * config.decoder_layers  # self + cross
    else:
        attention_layers = config.layers
    v_dim = config.v_head_dim if config.is_mla else config.head_dim
    return 2 * attention_layers * config.context * config.heads * (config.qk_head_dim + v_dim)


def training_tokens(config: Config, total: int, tokens: int | None) -> tuple[int, str]:
    """The tokens to train on and where the figure came from: the option, the config's
    `tokens`, or Chinchilla's 20 tokens per parameter."""
    if tokens is not None:
        return tokens, TOKENS_FROM_OPTION
    if config.tokens is not None:
        return config.tokens, TOKENS_FROM_CONFIG
    return CHINCHILLA_TOKENS_PER_PARAM * total, TOKENS_FROM_CHINCHILLA


def estimate(config: Config, matmul: int, active: int, total: int, tokens: int | None) -> Flops:
    """`matmul`: the matmul weights used per token, without a tied head (params.Counts)."""
    forward = 2 * tied_head(config, matmul) + attention_products_per_token(config)
    tokens, source = training_tokens(config, total, tokens)
    training = 3 * forward  # backward = 2 x forward
    return Flops(
        forward_per_token=forward,
        training_per_token=training,
        training_tokens=tokens,
        tokens_source=source,
        training_total=training * tokens,
        six_nd=6 * active * tokens,
    )
