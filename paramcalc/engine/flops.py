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
- Sliding-window layers (``sliding_window`` W; those ``full_attention_every`` leaves local): each
  query meets min(W, seq_len) keys instead of seq_len; with ``causal`` the mean over positions,
  W - W^2 / (2 x seq_len) (seq_len / 2 when W >= seq_len, as for full attention).
- Recurrent mixers (a state-space model's blocks, a hybrid decoder's blocks without attention)
  have no attention products; their state update and readout per token are counted instead, in
  their recurrent form (what one decoding step does), as multiplies and adds on the state:
  Mamba (Gu & Dao 2023, Algorithm 2): per inner channel and state element, A-bar = exp(dt A) (1),
  B-bar x = dt B x (2), h = A-bar h + B-bar x (2), y = C h (2): 7 x ssm_inner x ssm_state;
  Mamba-2 (Dao & Gu 2024; a scalar decay per head): h = a h + (dt x) B (3), y = C h (2):
  5 x ssm_inner x ssm_state; gated DeltaNet (Yang et al. 2025), per value head with a
  key_dim x value_dim state S: decay (1), the delta rule's S^T k (2) and rank-1 write (2), the
  readout S^T q (2): 7 x value_heads x key_dim x value_dim. The exp, softplus, SiLU and norms
  are not counted (as a transformer's softmax and norms are not). Chunked training kernels
  (Mamba-2's SSD) do more work than this per token; the figure is the recurrence's.
- Speech encoder-decoders (Whisper, ``mel_bins`` > 0): the encoder always sees one 30 s window
  of ``encoder_context`` (1500) audio frames, whatever the transcript's length. Per token, the
  encoder's self-attention and the decoder's cross-attention use encoder_context keys and the
  decoder's self-attention seq_len keys (causal: half). The conv1d front end runs per audio frame,
  not per token, so it is left out of the per-token figure; :func:`audio_encoder_flops` gives the
  encoder's forward FLOPs per window: conv1 2 x 3 x mel_bins x d_model per input frame (2 x
  encoder_context of them: Whisper's 3000 mel frames per 30 s, stride 1), conv2 2 x 3 x d_model^2
  per output frame (stride 2), then per frame 2 x the encoder blocks' matmul weights and the
  encoder self-attention products over encoder_context keys. Biases are not counted.
- Shared blocks (ALBERT, ``shared_layers``): each of the ``layers`` blocks that run does its
  matmuls, though only ``shared_layers`` are stored: the FLOPs count every block that runs.
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
from paramcalc.engine.params import rerun_matmul

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
    attention_per_token: int  # of forward: the attention-score and attention-value products
    state_updates_per_token: int  # of forward: recurrent mixers' state update and readout
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
    keys x heads x (qk head dim + v head dim) per layer, keys = seq_len (a sliding-window layer:
    min(window, seq_len)); `seq_len` defaults to the config's.

    With multi-head latent attention the query-key width is head_dim + rope_head_dim and the
    value width v_head_dim; otherwise both are head_dim, giving 2 x 2 x seq_len x heads x head_dim.
    `causal`: a decoder stack's self-attention counts the lower triangle of the scores (half a
    full layer's; a sliding layer's W - W^2 / (2 seq_len) keys per query).
    """
    layers = config.attention_layers
    if not layers:
        return 0
    seq = seq_len or config.seq_len
    width = 2 * config.heads * (config.qk_head_dim + config.v_dim)
    if config.mel_bins and config.is_encoder_decoder:  # speech (Whisper): see audio_attention_per_token
        return audio_attention_per_token(config, seq, width, causal)
    window = config.sliding_window
    if not causal and (not window or window >= seq):  # the common case, every key of the sequence
        return layers * width * seq
    masked = config.decoder_layers if config.is_encoder_decoder else config.layers if config.generates else 0
    masked = min(masked, layers)  # a hybrid decoder: its attending blocks only
    local = config.sliding_layers if window < seq and config.generates and not config.is_encoder_decoder else 0
    full = layers - local
    per_full = width * seq
    if not causal:
        return full * per_full + local * width * window
    full_masked = masked - local
    total = (full - full_masked) * per_full + full_masked * per_full // 2
    return total + local * width * (2 * window * seq - window * window) // (2 * seq)


def state_updates_per_token(config: Config) -> int:
    """The recurrent mixers' state update and readout per token (the module docstring gives
    the FLOPs per state element): 0 without such blocks."""
    if config.attention_every == 1 and not config.is_ssm:  # the common case: no recurrent blocks
        return 0
    blocks = config.recurrent_layers
    if not blocks:
        return 0
    if config.ssm == "deltanet":
        return blocks * 7 * config.linear_value_heads * config.linear_key_dim * config.linear_value_dim
    per_element = 7 if config.ssm == "mamba" else 5
    return blocks * per_element * config.ssm_inner * config.ssm_state


def training_tokens(config: Config, total: int, tokens: int | None) -> tuple[int, str]:
    """The tokens to train on and where the figure came from: the option, the config's
    `tokens`, or Chinchilla's 20 tokens per parameter (a rule for language models: estimate()
    does not apply it to an mlp)."""
    if tokens is not None:
        return tokens, TOKENS_FROM_OPTION
    if config.tokens is not None:
        return config.tokens, TOKENS_FROM_CONFIG
    return CHINCHILLA_TOKENS_PER_PARAM * total, TOKENS_FROM_CHINCHILLA


def forward_per_token(config: Config, matmul: int, seq_len: int | None = None, causal: bool = False) -> int:
    """Forward FLOPs of one token at `seq_len` (train's and infer's lengths; estimate() below
    adds the same terms at the config's seq_len): 2 x the matmul weights (`matmul` from
    params.Counts; a tied head and ALBERT's re-run blocks added) + the attention products + the
    recurrent state updates."""
    weights = 2 * tied_head(config, matmul + rerun_matmul(config))
    return weights + attention_products_per_token(config, seq_len, causal) + state_updates_per_token(config)


def estimate(config: Config, matmul: int, active: int, total: int, tokens: int | None, causal: bool = False) -> Flops:
    """`matmul`: the matmul weights used per token, without a tied head (params.Counts)."""
    if config.is_sequential:  # every layer's MACs per example, from the built net (sequential/kinds.py)
        from paramcalc.sequential.counts import net

        attention, states, forward = 0, 0, net(config).flops
    else:
        attention = attention_products_per_token(config, None, causal)
        states = state_updates_per_token(config)
        forward = 2 * tied_head(config, matmul + rerun_matmul(config)) + attention + states
    training = 3 * forward  # backward = 2 x forward
    if config.per_example and tokens is None and config.tokens is None:
        return Flops(forward, 0, 0, training, None, TOKENS_NOT_GIVEN, None, None, None, causal, None, PER_EXAMPLE)
    used, source = training_tokens(config, total, tokens)
    six_nd = 6 * active * used
    return Flops(
        forward,
        attention,
        states,
        training,
        used,
        source,
        training * used,
        six_nd,
        config.seq_len if attention else None,
        causal,
        training * used / six_nd,
        PER_EXAMPLE if config.per_example else PER_TOKEN,
    )


def audio_attention_per_token(config: Config, seq: int, width: int, causal: bool) -> int:
    """A speech encoder-decoder's attention products per token (the module docstring): encoder
    self-attention and cross-attention over encoder_context keys, decoder self-attention over
    `seq` (with `causal`, the lower triangle: half). `width`: 2 x heads x (qk + v head dims)."""
    frames = config.encoder_context
    decoder = config.decoder_layers * width * seq
    return (config.encoder_layers + config.decoder_layers) * width * frames + (decoder // 2 if causal else decoder)


def audio_encoder_flops(config: Config) -> int:
    """Forward FLOPs of a speech encoder over one input window of encoder_context frames (Whisper:
    30 s of audio, 1500 frames): the two convolutions, then per frame 2 x the encoder blocks'
    matmul weights and the encoder self-attention products over encoder_context keys. 0 without
    an audio front end (mel_bins 0). FLOPs, not MACs; biases not counted."""
    if not (config.mel_bins and config.is_encoder_decoder):
        return 0
    from paramcalc.engine.params import components

    frames, d_model = config.encoder_context, config.d_model
    conv = 2 * 3 * config.mel_bins * d_model * 2 * frames + 2 * 3 * d_model * d_model * frames
    matmul = sum(
        term.count
        for component in components(config)
        if component.name.startswith("encoder.")
        for term in component.terms
        if term.matmul
    )
    width = 2 * config.heads * (config.qk_head_dim + config.v_dim)
    return conv + frames * 2 * matmul + config.encoder_layers * width * frames * frames
