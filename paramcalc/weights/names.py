"""Which component a stored tensor belongs to, read from its name, and which stored tensors are buffers.

A checkpoint names every tensor by its module path (``model.layers.3.self_attn.q_proj.weight``,
``blk.3.attn_q.weight``, ``decoder.layers.3.self_attention.linear_qkv.weight``). The rules below
turn a name into the component paramcalc's layout uses (engine/layout.py: ``attention``,
``feed_forward``, ``experts``, ``norms``, ...) and the part within it (``q``, ``up``, ...), so a
checkpoint can be compared with a config's count component by component. They cover three naming
schemes at once, the module names being distinct enough:

- transformers (every family in paramcalc/hf/families.py and the common newer ones: gpt-oss,
  Gemma 3, Llama 4, Qwen2.5-VL, LLaVA, Whisper, CLIP), as saved by ``save_pretrained``;
- GGUF / llama.cpp (gguf-py/gguf/constants.py TENSOR_NAMES: ``token_embd``, ``blk.N.attn_q``,
  ``ffn_up_exps``, ``v.blk.N.*``, ``mm.*``, ...);
- Megatron-LM / NeMo (``embedding.word_embeddings``, ``decoder.layers.N.self_attention.linear_qkv``,
  ``mlp.linear_fc1``, ``final_layernorm``, ``output_layer``).

How a name is read, first match wins at each step:

1. The parameter's own name is dropped (``weight``, ``bias``, and every quantization tensor:
   GPTQ/AWQ ``qweight`` ``qzeros`` ``scales`` ``g_idx``, bitsandbytes ``weight.absmax``
   ``weight.quant_state.bitsandbytes__nf4`` ``SCB``, FP8 ``weight_scale_inv``, compressed-tensors
   ``weight_packed`` ``weight_zero_point``, MXFP4 ``*_blocks`` ``*_scales``): a quantized tensor
   keeps its module's component; how many parameters it stands for is quant.py's business.
2. A multimodal tower: the projector (``multi_modal_projector``, ``visual.merger``, GGUF ``mm``)
   is ``projector``; inside a vision tower (``vision_tower``, ``vision_model``, ``visual``, GGUF
   ``v``) or an audio tower (``audio_tower``, GGUF ``a``) components get ``vision.`` / ``audio.``.
3. In an encoder-decoder (a checkpoint with both an encoder and a decoder stack: T5, Whisper),
   the stack: ``encoder.`` / ``decoder.`` (the token embedding and the output head are shared).
4. Inside a block (``layers.N``, ``h.N``, ``block.N``, ``blk.N``): norms that belong to attention
   (``q_norm``, ``kv_a_layernorm``) are ``attention``, other norms ``norms``; cross-attention;
   the shared expert, the router (``gate``, ``router``, ``ffn_gate_inp``), the routed experts;
   attention; the feed-forward. A block beyond the config's ``layers`` (DeepSeek-V3's layer 61),
   GGUF ``nextn`` and DeepSeek's ``eh_proj`` ``enorm`` ``hnorm`` ``shared_head`` are ``mtp``.
5. Outside the blocks: embeddings, the masked-LM transform, the output head, the pooler, a
   classifier, the final norms.
6. Anything else is ``other``, with the whole name as its part: never silently dropped.

Buffers that some checkpoints store (rotary ``inv_freq``, GGUF ``rope_freqs``, GPT-2's causal
mask ``attn.bias``, ``position_ids``, DeepSeek-V3's ``e_score_correction_bias``, Transformer
Engine's ``_extra_state``) are not parameters: :func:`buffer_reason` says why; their component is
still their module's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from paramcalc.engine.layout import (
    ATTENTION,
    CROSS_ATTENTION,
    EMBEDDING_NORM,
    EMBEDDING_PROJECTION,
    EXPERTS,
    FEED_FORWARD,
    MIXER,
    MLM_TRANSFORM,
    NORMS,
    OUTPUT_HEAD,
    POOLER,
    POSITION_EMBEDDING,
    RELATIVE_POSITION,
    ROUTER,
    SHARED_EXPERT,
    TOKEN_EMBEDDING,
    TYPE_EMBEDDING,
)

# Components a checkpoint can hold that paramcalc's layout has no name for.
OTHER = "other"
MTP = "mtp"  # multi-token prediction layers (DeepSeek-V3): stored, not built by the transformers class
PROJECTOR = "projector"  # a multimodal model's vision / audio -> text projector
PATCH_EMBEDDING = "patch_embedding"  # a vision tower's patch (and class) embedding
CONV_STEM = "conv_stem"  # an audio encoder's input convolutions (Whisper conv1, conv2)
CLASSIFIER = "classifier"  # a task head (sequence classification, next-sentence prediction)
VISION = "vision."
AUDIO = "audio."
ENCODER = "encoder."
DECODER = "decoder."

# Step 1: the names a tensor has inside its module, dropped from the end of a name.
_LEAVES = frozenset(
    {
        "weight",
        "bias",
        # GPTQ, AWQ (AutoGPTQ / GPTQModel / AutoAWQ QuantLinear buffers)
        "qweight",
        "qzeros",
        "scales",
        "g_idx",
        "zeros",
        # bitsandbytes: Linear8bitLt SCB / weight_format, Params4bit's quant state
        "SCB",
        "weight_format",
        "absmax",
        "quant_map",
        "nested_absmax",
        "nested_quant_map",
        "quant_state",
        # FP8 block scales (DeepSeek-V3), compressed-tensors, ModelOpt
        "weight_scale_inv",
        "weight_scale",
        "weight_scale_2",
        "weight_packed",
        "weight_shape",
        "weight_zero_point",
        "weight_g_idx",
        "weight_global_scale",
        "input_scale",
        "input_global_scale",
        "output_scale",
        "q_scale",
        "k_scale",
        "v_scale",
    }
)
# Parameters named after their module with a suffix (gpt-oss experts.gate_up_proj_blocks and
# _bias, nn.MultiheadAttention in_proj_weight, Gemma 3 mm_input_projection_weight).
_SUFFIXES = ("_blocks", "_scales", "_weight", "_bias")

# Step 2: towers. The projector is looked for first: Qwen2.5-VL's sits inside its vision tower.
_PROJECTOR = frozenset(
    {"multi_modal_projector", "mm_projector", "merger", "vision_adapter", "connector", "visual_projection"}
)
_PROJECTOR |= {"text_projection", "mm_input_projection", "mm_soft_emb_norm", "logit_scale"}
_VISION = frozenset({"vision_tower", "vision_model", "visual", "vision_encoder", "vision", "image_encoder", "vit"})
_AUDIO = frozenset({"audio_tower", "audio_model", "audio_encoder", "audio"})
_GGUF_TOWERS = {"mm": PROJECTOR, "v": VISION, "a": AUDIO}  # GGUF mmproj files: first segment only

# Step 3: stacks, and step 4's blocks.
_STACKS = {"encoder": ENCODER, "enc": ENCODER, "decoder": DECODER, "dec": DECODER}
_BLOCKS = frozenset({"layers", "layer", "h", "block", "blocks", "blk"})
_NUMBER = re.compile(r"\.\d+(?=\.)")
_STACK_BLOCK = re.compile(r"(?:^|\.)(encoder|enc|decoder|dec)\.(?:block|blocks|layers?|blk)\.\d+\.")

# Step 4: inside a block.
_MTP_OWN = frozenset({"eh_proj", "enorm", "hnorm", "shared_head", "shared_head_head", "shared_head_norm"})
_MTP_MODULES = _MTP_OWN | {"nextn", "mtp"}
_ATTENTION_NORMS = {
    "q_norm": "q_norm",
    "q_layernorm": "q_norm",
    "query_layernorm": "q_norm",
    "attn_q_norm": "q_norm",
    "k_norm": "k_norm",
    "k_layernorm": "k_norm",
    "key_layernorm": "k_norm",
    "attn_k_norm": "k_norm",
    "q_a_layernorm": "q_a_norm",
    "attn_q_a_norm": "q_a_norm",
    "kv_a_layernorm": "kv_a_norm",
    "attn_kv_a_norm": "kv_a_norm",
}
_NORM = re.compile(r"(?i).*norm.*|ln(_\w+|\d+)?|\w+_ln(_\w+)?")
_CROSS = frozenset({"EncDecAttention", "encoder_attn", "crossattention", "cross_attn", "inter_attention"})
_ATTENTION = frozenset({"self_attn", "attn", "attention", "self_attention", "SelfAttention"})
_SHARED_EXPERT = frozenset({"shared_expert", "shared_experts", "shared_mlp"})
_ROUTER = frozenset({"router", "ffn_gate_inp", "exp_probs_b", "e_score_correction_bias"})
_FFN = frozenset({"mlp", "feed_forward", "ffn", "DenseReluDense", "intermediate", "output", "block_sparse_moe", "moe"})
_RELATIVE = frozenset({"relative_attention_bias", "attn_rel_b", "cross_attn_rel_b"})  # T5: held by the first block
_XL = frozenset({"r_w_bias", "r_r_bias", "r_net"})  # Transformer-XL

_ATTENTION_PARTS = {
    **dict.fromkeys(("q_proj", "query", "q", "wq", "q_lin", "attn_q", "cross_attn_q", "linear_q"), "q"),
    **dict.fromkeys(("k_proj", "key", "k", "wk", "k_lin", "attn_k", "cross_attn_k"), "k"),
    **dict.fromkeys(("v_proj", "value", "v", "wv", "v_lin", "attn_v", "cross_attn_v"), "v"),
    **dict.fromkeys(("o_proj", "out_proj", "dense", "c_proj", "o", "wo", "out_lin", "proj", "linear_proj"), "o"),
    **dict.fromkeys(("attn_output", "attn_out", "attn_o", "cross_attn_o"), "o"),
    **dict.fromkeys(("c_attn", "query_key_value", "qkv_proj", "qkv", "Wqkv", "linear_qkv", "W_pack"), "qkv"),
    **dict.fromkeys(("attn_qkv", "in_proj"), "qkv"),
    **dict.fromkeys(("q_a_proj", "attn_q_a"), "q_a"),
    **dict.fromkeys(("q_b_proj", "attn_q_b"), "q_b"),
    **dict.fromkeys(("kv_a_proj_with_mqa", "attn_kv_a_mqa"), "kv_a"),
    **dict.fromkeys(("kv_b_proj", "attn_kv_b"), "kv_b"),
    "attn_k_b": "k_b",
    "attn_v_b": "v_b",
    **dict.fromkeys(("sinks", "attn_sinks"), "sinks"),
}
_FFN_PARTS = {
    **dict.fromkeys(("up_proj", "c_fc", "fc_in", "fc1", "dense_h_to_4h", "wi", "wi_1", "lin1", "w3"), "up"),
    **dict.fromkeys(("ffn_up", "linear_fc1", "up"), "up"),
    **dict.fromkeys(("gate_proj", "w1", "wi_0", "ffn_gate", "gate"), "gate"),
    **dict.fromkeys(("gate_up_proj", "ffn_gate_up"), "gate_up"),
    **dict.fromkeys(("down_proj", "c_proj", "fc_out", "fc2", "dense_4h_to_h", "w2", "wo", "lin2"), "down"),
    **dict.fromkeys(("ffn_down", "linear_fc2", "down"), "down"),
}
_GGUF_ATTENTION = re.compile(r"attn_(q|k|v|qkv|output|out|o|q_a|q_b|kv_a_mqa|kv_b|k_b|v_b|sinks|gate)")

# Step 5: outside the blocks.
_TOKEN = frozenset({"embed_tokens", "wte", "word_embeddings", "shared", "tok_embeddings", "token_embd", "embed_in"})
_TOKEN |= {"embeddings"}  # Mamba: backbone.embeddings.weight
_TOKEN |= {"token_embedding"}  # CLIP's text tower
_POSITION = frozenset({"wpe", "embed_positions", "position_embeddings", "position_embedding", "position_embd"})
_POSITION |= {"positional_embedding", "positional_embedding_vlm", "pos_embed"}
_TYPE = frozenset({"token_type_embeddings", "token_types"})
_EMBEDDING_NORM = frozenset(
    {"word_embeddings_layernorm", "layernorm_embedding", "embed_layer_norm", "token_embd_norm", "emb_ln", "norm_embd"}
)
_PATCH = frozenset({"patch_embedding", "patch_embed", "patch_embd", "class_embedding", "class_embd"})
_CONV = frozenset({"conv1", "conv2", "conv1d"})
_HEAD = frozenset({"lm_head", "embed_out", "output", "output_layer", "proj_out", "vocab_projector"})
_MLM = frozenset({"transform", "vocab_transform", "vocab_layer_norm"})
_CLASSIFIER = frozenset({"score", "classifier", "cls", "qa_outputs", "seq_relationship"})


def _modules(name: str) -> list[str]:
    """The module path of a tensor: its name without the parameter's own name (step 1)."""
    segments = name.split(".")
    while len(segments) > 1 and (segments[-1] in _LEAVES or segments[-1].startswith("bitsandbytes__")):
        segments.pop()
    last = segments[-1]
    for suffix in _SUFFIXES:
        stem = last.removesuffix(suffix)
        if stem != last and (stem in _ATTENTION_PARTS or stem in _FFN_PARTS or stem in _PROJECTOR):
            segments[-1] = stem
            break
    return segments


def _block_index(segments: Sequence[str]) -> int | None:
    """Where the block number is: the first number after layers / h / block / blk."""
    for i in range(1, len(segments)):
        if (segments[i] == "#" or segments[i].isdigit()) and segments[i - 1] in _BLOCKS:  # "#": see components
            return i
    return None


def _in_block(sub: Sequence[str]) -> tuple[str, str]:
    """Step 4: the component of a tensor inside a block, from the module path after the number."""
    sub = [segment for segment in sub if not segment.isdigit()]  # T5's layer.1, experts.3: not a part
    if not sub:
        return OTHER, ""
    last, names = sub[-1], set(sub)
    if last in _RELATIVE:
        return POSITION_EMBEDDING, "relative"
    if last in _XL:
        return RELATIVE_POSITION, last
    for segment in sub:
        if segment in _ATTENTION_NORMS:
            return ATTENTION, _ATTENTION_NORMS[segment]
    if _NORM.fullmatch(last):
        return NORMS, "per_layer"
    if names & _CROSS or last.startswith("cross_attn_"):
        return CROSS_ATTENTION, _ATTENTION_PARTS.get(last, last)
    if names & _SHARED_EXPERT or last.endswith("_shexp") or last == "shared_expert_gate":
        shared_gate = last in ("shared_expert_gate", "ffn_gate_inp_shexp")
        return SHARED_EXPERT, "shared_gate" if shared_gate else _FFN_PARTS.get(last.removesuffix("_shexp"), last)
    if last in _ROUTER or "router" in names or (last == "gate" and len(sub) > 1 and sub[-2] in _FFN):
        return ROUTER, "router"
    if "experts" in names or last.endswith("_exps"):
        return EXPERTS, _FFN_PARTS.get(last.removesuffix("_exps"), last)
    if names & _ATTENTION or _GGUF_ATTENTION.fullmatch(last):
        return ATTENTION, _ATTENTION_PARTS.get(last, last)
    if "mixer" in names or last.startswith("ssm_"):  # Mamba's and Mamba-2's mixer; GGUF ssm_in, ssm_conv1d, ...
        return MIXER, last

    if names & _FFN or last in _FFN_PARTS:
        if last == "dense" and len(sub) > 1:  # BERT: intermediate.dense (up), output.dense (down)
            return FEED_FORWARD, "up" if sub[-2] == "intermediate" else "down"
        return FEED_FORWARD, _FFN_PARTS.get(last, last)
    return OTHER, ""


def _outside(segments: Sequence[str], tower: bool) -> tuple[str, str]:
    """Step 5: the component of a tensor outside the blocks."""
    last, names = segments[-1], set(segments)
    parent = segments[-2] if len(segments) > 1 else ""
    if last in _TOKEN:
        return TOKEN_EMBEDDING, "token"
    if last in _POSITION:
        return POSITION_EMBEDDING, "position"
    if last in _TYPE:
        return TYPE_EMBEDDING, "type"
    if last in _EMBEDDING_NORM or (parent == "embeddings" and _NORM.fullmatch(last)):
        return EMBEDDING_NORM, "embedding"
    if last in ("project_in", "project_out"):  # OPT-350m
        return EMBEDDING_PROJECTION, last
    if names & _PATCH:
        return PATCH_EMBEDDING, "class" if last.startswith("class_") else "patch"
    if last in _CONV:
        return CONV_STEM, last
    if names & _MLM or ("lm_head" in names and last in ("dense", "layer_norm")):  # BERT, DistilBERT, RoBERTa
        return MLM_TRANSFORM, "norm" if _NORM.fullmatch(last) else "dense"
    if last in _CLASSIFIER or (segments[0] == "cls" and "predictions" not in names):  # GGUF cls, cls.output
        return CLASSIFIER, last
    if last in _HEAD or (last == "decoder" and "lm_head" in names) or "predictions" in names:
        return OUTPUT_HEAD, "head"
    if "pooler" in names or (tower and "head" in names):
        return POOLER, "pooler"
    if _NORM.fullmatch(last):
        return NORMS, "final"
    return OTHER, ""


def component(name: str, *, encoder_decoder: bool = False, layers: int | None = None) -> tuple[str, str]:
    """(component, part) of the tensor called `name`: ``("attention", "q")`` for
    ``model.layers.0.self_attn.q_proj.weight``, ``("decoder.cross_attention", "q")`` for T5's
    ``decoder.block.0.layer.1.EncDecAttention.q.weight`` when `encoder_decoder`, ``("mtp",
    "attention")`` for a block numbered `layers` or beyond, ``("other", name)`` when no rule knows it.
    :func:`components` works `encoder_decoder` out from all the names of a checkpoint."""
    segments = _modules(name)
    for i, segment in enumerate(segments):
        if segment in _PROJECTOR or (i == 0 and _GGUF_TOWERS.get(segment) == PROJECTOR):
            return PROJECTOR, next(s for s in reversed(segments) if not s.isdigit())
    prefix = ""
    for i, segment in enumerate(segments):
        if segment in _VISION or segment in _AUDIO or (i == 0 and segment in _GGUF_TOWERS and len(segments) > 1):
            prefix = VISION if segment in _VISION or segment == "v" else AUDIO
            segments = segments[i + 1 :] or segments
            break
    if not prefix and encoder_decoder:
        for segment in segments[:-1]:
            if segment in _STACKS:
                prefix = _STACKS[segment]
                break
    found, part = _classify(segments, bool(prefix and prefix in (VISION, AUDIO)), layers)
    if found == OTHER:
        return OTHER, name
    if prefix in (ENCODER, DECODER) and found in (TOKEN_EMBEDDING, OUTPUT_HEAD):
        prefix = ""  # one vocabulary: shared by both stacks, as in paramcalc's layout
    return prefix + found, part


def _classify(segments: Sequence[str], tower: bool, layers: int | None) -> tuple[str, str]:
    mtp = next((s for s in segments if s in _MTP_MODULES), None)
    index = _block_index(segments)
    if index is None:
        return (MTP, mtp) if mtp else _outside(segments, tower)
    sub = segments[index + 1 :]
    beyond = layers is not None and not tower and int(segments[index]) >= layers
    if mtp or beyond:
        own = next((s for s in sub if s in _MTP_OWN), None)
        if own:
            return MTP, own
        if sub and sub[0] in ("nextn", "mtp"):
            sub = sub[1:]
        inner = _in_block(sub)[0] if sub and sub[-1] not in _TOKEN else TOKEN_EMBEDDING
        return MTP, inner
    return _in_block(sub)


def is_encoder_decoder(names: Iterable[str]) -> bool:
    """Whether a checkpoint's names hold both an encoder stack and a decoder stack of blocks (T5,
    BART, Whisper) -- BERT's ``bert.encoder.layer.N`` or OPT's ``model.decoder.layers.N`` alone
    do not make one."""
    stacks: set[str] = set()
    for name in names:
        if "enc" not in name and "dec" not in name:
            continue
        if any(segment in _VISION or segment in _AUDIO for segment in name.split(".")):
            continue
        match = _STACK_BLOCK.search(name)
        if match:
            stacks.add(_STACKS[match.group(1)])
            if len(stacks) == 2:
                return True
    return False


def components(names: Iterable[str], *, layers: int | None = None) -> dict[str, tuple[str, str]]:
    """(component, part) of every name of one checkpoint, read together: the names say whether
    it is an encoder-decoder. `layers`: the config's block count, when there is one (blocks
    beyond it are ``mtp``)."""
    listed = list(names)
    encoder_decoder = is_encoder_decoder(listed)
    # Names that differ only in their numbers (block, expert) have the same component: each
    # shape of name is read once (DeepSeek-V3 stores some 90,000 tensors of a few hundred shapes).
    seen: dict[tuple[str, bool], tuple[str, str]] = {}
    blocks: dict[str, int | None] = {}  # where the block number is in each shape of name
    out: dict[str, tuple[str, str]] = {}
    for name in listed:
        template = _NUMBER.sub(".#", name)
        beyond = False
        if layers is not None:
            if template not in blocks:
                blocks[template] = _block_index(template.split("."))
            at = blocks[template]
            beyond = at is not None and int(name.split(".", at + 1)[at]) >= layers
        key = (template, beyond)
        found = seen.get(key)
        if found is None:
            found = seen[key] = component(name, encoder_decoder=encoder_decoder, layers=layers)
        out[name] = (OTHER, name) if found[0] == OTHER else found
    return out


# Buffers that checkpoints store, and why each is not a parameter: a regular expression matched
# at the end of a tensor's name (GGUF adds .weight to every name).
_BUFFERS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"(?:^|\.)(?:{pattern})(?:\.weight)?$"), reason)
    for pattern, reason in (
        (r"(?:original_)?inv_freq", "rotary inv_freq: recomputed from rope_theta, a buffer"),
        (r"rotary_emb\.\w+|(?:attn|attention)\.embed_positions", "rotary sin/cos table: a buffer"),
        (r"rope_freqs|rope_factors_long|rope_factors_short", "GGUF rotary frequency factors: a buffer"),
        (r"rope\.freqs", "rotary frequencies (Meta's consolidated checkpoints): a buffer"),
        (r"masked_bias", "the causal mask's fill value (GPT-2, GPT-J): a buffer"),
        (r"position_ids|token_type_ids", "a table of indices 0..n-1: a buffer"),
        (r"e_score_correction_bias|exp_probs_b(?:\.bias)?", "DeepSeek-V3's router score correction: a buffer"),
        (r"_extra_state", "Transformer Engine's FP8 metadata: not a tensor of the model"),
        (r"running_mean|running_var|num_batches_tracked", "batch-norm running statistics: a buffer"),
    )
)
_CAUSAL_MASK = re.compile(r"(?:^|\.)(?:attn|attention)\.bias$")


def buffer_reason(name: str, shape: Sequence[int] | None = None) -> str | None:
    """Why the tensor called `name` is a stored buffer, not a parameter, or None when it is a
    parameter. GPT-2's ``attn.bias`` is its causal mask (1 x 1 x context x context): with
    `shape` given, only a 4-dimensional ``attn.bias`` counts as one."""
    for pattern, reason in _BUFFERS:
        if pattern.search(name):
            return reason
    if _CAUSAL_MASK.search(name) and (shape is None or len(shape) == 4):
        return "the causal mask (GPT-2, GPT-J, GPT-Neo attn.bias): a buffer"
    return None
