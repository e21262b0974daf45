"""What a model caches per sequence while it generates, layer kind by layer kind.

- Full attention: K and V of every token, 2 x kv_heads x head_dim per layer and token.
- Sliding-window attention (``sliding_window`` W, the layers ``full_attention_every`` leaves
  local; Llama 4's chunked attention is written as a window of its chunk): K and V of the last
  min(W, context) tokens only, as vLLM's and llama.cpp's sliding-window caches keep them (vLLM
  v1 ``SlidingWindowSpec``; llama.cpp ``llama_kv_cache_iswa``). An engine that does not free
  the window (transformers' DynamicCache before 4.45, most peers' calculators) caches the whole
  context: the figure here is what the runtimes named in the README allocate.
- Multi-head latent attention (DeepSeek-V2 Section 2.1.2): the compressed latent and the rotary
  key, kv_lora_rank + rope_head_dim per layer and token (``mla_cache: full``: the expanded keys
  and values, heads x (qk head dim + v_head_dim), as implementations without MLA kernels keep).
- Recurrent blocks (Mamba, Mamba-2, gated DeltaNet): a fixed state per sequence, whatever the
  context: the convolution's last ssm_conv - 1 inputs over its channels, and the scan's state
  (Mamba: ssm_inner x ssm_state; Mamba-2: heads x head_dim x ssm_state = ssm_inner x
  ssm_state; DeltaNet: value_heads x key_dim x value_dim), in fp32 (llama.cpp's r and s caches
  are F32; vLLM keeps the SSM state in fp32 by default for accuracy: ``mamba_ssm_cache_dtype``).
- Encoder-decoder: the decoder's self-attention over the generated tokens, and its
  cross-attention over the encoder's output, computed once per sequence: ``encoder_context``
  tokens (Whisper: 1500 frames) where the config has one, else the context.
- Cache types: bf16 and fp16 2 bytes, fp8 1 byte per element; GGUF's ``q8_0`` 34 bytes and
  ``q4_0`` 18 bytes per block of 32 elements along the head dimension (ggml's block_q8_0 and
  block_q4_0: an fp16 scale + 32 int8 or 16 packed bytes), so a head_dim that 32 does not
  divide rounds up per head.
"""

from __future__ import annotations

from typing import NamedTuple

from paramcalc.config import Config

STATE_BYTES = 4  # recurrent states in fp32 (see the module docstring)


def cache_bytes(heads: int, head_dim: int, cache_type: str) -> int:
    """Bytes of `heads` vectors of head_dim elements in a cache of `cache_type` (formats.kv_bytes:
    a block type rounds each head up to whole blocks of 32)."""
    from paramcalc.engine.formats import kv_bytes

    return kv_bytes(heads * head_dim, cache_type, head_dim)


class LayerKind(NamedTuple):
    """One kind of layer and what it caches: `per_token` bytes for each token it keeps (up to
    `tokens_kept`; None: every token of the context), or `fixed` bytes per sequence."""

    kind: str
    layers: int
    per_token: int  # bytes per cached token, all layers of this kind
    tokens_kept: int | None  # None: the whole context; else at most this many (a window, an encoder's length)
    fixed: int  # bytes per sequence whatever the context (recurrent states), all layers of this kind
    basis: str

    def bytes(self, context: int) -> int:
        """Per sequence at `context` tokens."""
        kept = context if self.tokens_kept is None else min(context, self.tokens_kept)
        return self.per_token * kept + self.fixed


def layer_kinds(config: Config, cache_type: str, mla_cache: str = "latent", tp: int = 1) -> list[LayerKind]:
    """Every kind of layer that caches something, for one sequence, on one of `tp` tensor-parallel
    GPUs: KV heads split across them (a GPU holds at least one: vLLM replicates KV heads when
    there are fewer than GPUs), MLA's latent is whole on each, recurrent states split by channel."""
    kinds: list[LayerKind] = []
    kv_heads = max(1, config.kv_heads // tp) if config.kv_heads >= tp else 1
    kv = 2 * cache_bytes(kv_heads, config.head_dim, cache_type)  # K and V of one layer, one token
    if config.is_encoder_decoder:
        n = config.decoder_layers
        encoder = config.encoder_context if config.stack_positions else None
        kinds.append(LayerKind("self_attention", n, n * kv, None, 0, "2 x kv_heads x head_dim per decoder layer"))
        if encoder:  # computed once from the encoder's output: its length, whatever the context
            basis = f"2 x kv_heads x head_dim per decoder layer over the encoder's {encoder:,} tokens (encoder_context)"
            kinds.append(LayerKind("cross_attention", n, 0, 0, n * kv * encoder, basis))
        else:
            basis = "2 x kv_heads x head_dim per decoder layer over the encoder's output (as long as the context)"
            kinds.append(LayerKind("cross_attention", n, n * kv, None, 0, basis))
        return kinds
    if config.is_mla:
        n = config.attention_layers
        if mla_cache == "latent":
            width = config.kv_lora_rank + config.rope_head_dim
            per = n * cache_bytes(1, width, cache_type)
            basis = "kv_lora_rank + rope_head_dim per layer (the compressed latent and the rotary key)"
        else:
            per = n * (
                cache_bytes(config.heads // tp or 1, config.qk_head_dim, cache_type)
                + cache_bytes(config.heads // tp or 1, config.v_head_dim, cache_type)
            )
            basis = "heads x (qk head dim + v_head_dim) per layer (the expanded keys and values)"
        kinds.append(LayerKind("latent_attention", n, per, None, 0, basis))
    else:
        local = config.sliding_layers
        full = config.attention_layers - local
        if full:
            kinds.append(LayerKind("full_attention", full, full * kv, None, 0, "2 x kv_heads x head_dim per layer"))
        if local:
            window = config.sliding_window
            kinds.append(
                LayerKind(
                    "sliding_window",
                    local,
                    local * kv,
                    window,
                    0,
                    f"2 x kv_heads x head_dim per layer, for the last {window:,} tokens (sliding_window)",
                )
            )
    recurrent = config.recurrent_layers
    if recurrent:
        kinds.append(
            LayerKind("recurrent_state", recurrent, 0, 0, recurrent * state_bytes(config) // tp, _state_basis(config))
        )
    return kinds


def state_bytes(config: Config) -> int:
    """One recurrent block's state per sequence, fp32: the conv's last ssm_conv - 1 inputs over its
    channels, and the scan's state."""
    if config.ssm == "deltanet":
        keys = config.linear_key_heads * config.linear_key_dim
        values = config.linear_value_heads * config.linear_value_dim
        conv = (2 * keys + values) * (config.linear_conv - 1)
        scan = config.linear_value_heads * config.linear_key_dim * config.linear_value_dim
    else:
        channels = (
            config.ssm_inner if config.ssm == "mamba" else config.ssm_inner + 2 * config.ssm_groups * config.ssm_state
        )
        conv = channels * (config.ssm_conv - 1)
        scan = config.ssm_inner * config.ssm_state
    return STATE_BYTES * (conv + scan)


def _state_basis(config: Config) -> str:
    if config.ssm == "deltanet":
        return (
            "per block, fp32: the conv's last linear_conv - 1 inputs of q, k, v and value_heads x key_dim x value_dim"
        )
    return "per block, fp32: the conv's last ssm_conv - 1 inputs over its channels and ssm_inner x ssm_state"
