"""One function per HuggingFace model_type: its config keys -> paramcalc fields.

Each follows the module structure of the transformers implementation (version 5.x) of that
type; the comments say which layer each field stands for, and transformers' default where the
config may omit a key.
"""

from __future__ import annotations

from typing import Any

from paramcalc.errors import Problem, show
from paramcalc.fields import blocks_at
from paramcalc.hf import Family, Keys, gated, plain
from paramcalc.hf.cnn import FAMILIES_CNN
from paramcalc.hf.multimodal import gemma3, llama4, llava, mistral3, qwen2_5_vl  # noqa: F401  (registered below)
from paramcalc.hf.vision import FAMILIES_VISION


def _core(
    k: Keys,
    layers: str = "num_hidden_layers",
    hidden: str = "hidden_size",
    heads: str = "num_attention_heads",
    context_default: int = 2048,
    context: tuple[str, ...] = ("max_position_embeddings", "n_positions"),
) -> dict[str, Any]:
    """The keys most types share under these names (`context`: where the context length is)."""
    return {
        # transformers' attribute_map aliases (num_hidden_layers -> n_layer, ...) win over the
        # attribute they name when a config holds both, as PretrainedConfig sets them last
        "layers": k.size("num_hidden_layers", layers, "n_layer", required=True),
        "d_model": k.size("hidden_size", hidden, "n_embd", required=True),
        "heads": k.size("num_attention_heads", heads, "n_head", required=True),
        "vocab": k.size("vocab_size", required=True),
        "context": k.size(*context, default=context_default),
    }


def _head_dim(k: Keys, core: dict[str, Any], default: int | None = None) -> dict[str, Any]:
    """head_dim when the config gives one (or the type's default) and it is not d_model / heads.
    (Required sizes are at least 1, so heads divides safely.)"""
    value = k.size("head_dim", default=default or max(1, core["d_model"] // core["heads"]), positive=True)
    return {"head_dim": value} if value * core["heads"] != core["d_model"] or core["d_model"] % core["heads"] else {}


def _kv(k: Keys, core: dict[str, Any]) -> dict[str, Any]:
    kv = k.size("num_key_value_heads", default=core["heads"], positive=True)
    if core["heads"] % kv:
        given = (
            "" if "num_key_value_heads" in k.raw else f" (transformers' default for {k.model_type}: the key is absent)"
        )
        k.problems.append(
            Problem(k.label, "num_key_value_heads", f"{kv}{given} does not divide num_attention_heads {core['heads']}")
        )
    return {"kv_heads": kv} if kv != core["heads"] else {}


def _llama_like(k: Keys, context: int, tie: bool, **extra: Any) -> dict[str, Any]:
    """Pre-norm RMSNorm decoder, gated MLP, rotary: Llama and the many types built like it."""
    core = _core(k, context_default=context)
    return {
        "architecture": "decoder",
        **core,
        **_kv(k, core),
        **_head_dim(k, core),
        "d_ff": k.size("intermediate_size", default=4 * core["d_model"]),
        "activation": gated(k.text("hidden_act", "silu")),
        "norm": "rmsnorm",
        "bias": False,
        "position": "rotary",
        "tie_embeddings": k.flag("tie_word_embeddings", tie),
        **extra,
    }


def gpt2(k: Keys) -> dict[str, Any]:
    core = _core(k, "n_layer", "n_embd", "n_head", 1024)
    return {
        "architecture": "decoder",
        **core,
        "d_ff": k.size("n_inner", default=4 * core["d_model"]),
        "activation": "gelu",
        "norm": "layernorm",
        "bias": True,
        "position": "learned",
        "tie_embeddings": k.flag("tie_word_embeddings", True),
    }


def gptj(k: Keys) -> dict[str, Any]:
    # GPT-J: one LayerNorm per block (parallel attention and MLP), q/k/v/out without bias,
    # MLP with bias, untied lm_head with bias.
    core = _core(k, "n_layer", "n_embd", "n_head", 2048)
    return {
        "architecture": "decoder",
        **core,
        "d_ff": k.size("n_inner", default=4 * core["d_model"]),
        "activation": "gelu",
        "norm": "layernorm",
        "bias": True,
        "qkv_bias": False,
        "out_bias": False,
        "head_bias": True,
        "position": "rotary",
        "norms_per_layer": 1,
        "tie_embeddings": k.flag("tie_word_embeddings", False),
    }


def gpt_neox(k: Keys) -> dict[str, Any]:
    core = _core(k)
    attention_bias = k.flag("attention_bias", True)
    return {
        "architecture": "decoder",
        **core,
        "d_ff": k.size("intermediate_size", default=4 * core["d_model"]),
        "activation": plain(k.text("hidden_act", "gelu")),
        "norm": "layernorm",
        "bias": True,
        "qkv_bias": attention_bias,
        "out_bias": attention_bias,
        "position": "rotary",
        "tie_embeddings": k.flag("tie_word_embeddings", False),
    }


def opt(k: Keys) -> dict[str, Any]:
    # OPT: learned positions with 2 extra rows; word_embed_proj_dim may be narrower (project_in/
    # out); post-LN variants (do_layer_norm_before: false, OPT-350m) have no final norm.
    core = _core(k)
    out = {
        "architecture": "decoder",
        **core,
        "d_ff": k.size("ffn_dim", default=4 * core["d_model"]),
        "activation": plain(k.text("activation_function", "relu")),
        "norm": "layernorm" if k.flag("layer_norm_elementwise_affine", True) else "nonparametric",
        "bias": k.flag("enable_bias", True),
        "position": "learned",
        "position_offset": 2,
        "final_norm": k.flag("do_layer_norm_before", True) and not k.flag("_remove_final_layer_norm", False),
        "tie_embeddings": k.flag("tie_word_embeddings", True),
    }
    projection = k.size("word_embed_proj_dim", default=core["d_model"])
    if projection != core["d_model"]:
        out["embedding_dim"] = projection
    return out


def bloom(k: Keys) -> dict[str, Any]:
    # BLOOM: ALiBi (no position table), a LayerNorm after the embeddings, biases everywhere.
    # Its config has no context length: seq_length if given, else 2048 (its training length).
    core = {
        "layers": k.size("n_layer", "num_hidden_layers", required=True),
        "d_model": k.size("hidden_size", "n_embed", required=True),
        "heads": k.size("n_head", "num_attention_heads", required=True),
        "vocab": k.size("vocab_size", required=True),
        "context": k.size("seq_length", default=2048),
    }
    return {
        "architecture": "decoder",
        **core,
        "activation": "gelu",
        "norm": "layernorm",
        "bias": True,
        "position": "alibi",
        "embedding_norm": True,
        "tie_embeddings": k.flag("tie_word_embeddings", True),
    }


def falcon(k: Keys) -> dict[str, Any]:
    # Falcon: fused qkv; 7B is multi-query with one LayerNorm per parallel block; the
    # new_decoder_architecture (40B, 180B) has num_kv_heads groups and ln_attn + ln_mlp.
    core = _core(k)
    new = k.flag("new_decoder_architecture", False)
    if new:
        kv = k.size("num_kv_heads", default=core["heads"], positive=True)
    else:
        kv = 1 if k.flag("multi_query", True) else core["heads"]
    parallel = k.flag("parallel_attn", True)
    ln_parallel = k.size("num_ln_in_parallel_attn", default=2 if new else 1)
    return {
        "architecture": "decoder",
        **core,
        "kv_heads": kv,
        "d_ff": k.size("ffn_hidden_size", default=4 * core["d_model"]),
        "activation": "gelu",
        "norm": "layernorm",
        "bias": k.flag("bias", False),
        "position": "alibi" if k.flag("alibi", False) else "rotary",
        "norms_per_layer": 2 if (not parallel or ln_parallel == 2) else 1,
        "tie_embeddings": k.flag("tie_word_embeddings", True),
    }


def llama(k: Keys) -> dict[str, Any]:
    attention_bias = k.flag("attention_bias", False)
    return _llama_like(
        k, 2048, False, qkv_bias=attention_bias, out_bias=attention_bias, ffn_bias=k.flag("mlp_bias", False)
    )


def mistral(k: Keys) -> dict[str, Any]:
    return _llama_like(k, 131072, False)


def mixtral(k: Keys) -> dict[str, Any]:
    return _llama_like(
        k,
        131072,
        False,
        experts=k.size("num_local_experts", default=8),
        experts_per_token=k.size("num_experts_per_tok", default=2),
    )


def qwen2(k: Keys) -> dict[str, Any]:
    return _llama_like(k, 32768, False, qkv_bias=True)  # q, k, v with bias; o_proj without


def qwen3(k: Keys) -> dict[str, Any]:
    attention_bias = k.flag("attention_bias", False)
    out = _llama_like(k, 32768, False, qkv_bias=attention_bias, out_bias=attention_bias, qk_norm="head")
    out.update(_head_dim(k, out, default=128))  # Qwen3Config: head_dim defaults to 128
    return out


def _sparse_layers(k: Keys, layers: int) -> int:
    """Qwen MoE: layer i has experts unless listed in mlp_only_layers; with decoder_sparse_step
    s, only every s-th layer ((i + 1) % s == 0) does."""
    step = k.size("decoder_sparse_step", default=1) or 1
    listed = k.get("mlp_only_layers", []) or []
    dense_only = (
        {i for i in listed if isinstance(i, int) and not isinstance(i, bool)} if isinstance(listed, list) else set()
    )
    # arithmetic, not a loop over the layers: a config may claim any number of them
    return layers // step - sum(1 for i in dense_only if 0 <= i < layers and (i + 1) % step == 0)


def qwen2_moe(k: Keys) -> dict[str, Any]:
    out = _llama_like(k, 32768, False, qkv_bias=k.flag("qkv_bias", True))
    out.update(_qwen_moe(k, out, default_experts=60, default_top_k=4, default_expert_ff=1408))
    shared = k.size("shared_expert_intermediate_size", default=5632)
    if shared:
        out.update(shared_expert_d_ff=shared, shared_expert_gate=True)
    return out


def qwen3_moe(k: Keys) -> dict[str, Any]:
    attention_bias = k.flag("attention_bias", False)
    out = _llama_like(k, 32768, False, qkv_bias=attention_bias, out_bias=attention_bias, qk_norm="head")
    out.update(_head_dim(k, out, default=128))
    out.update(_qwen_moe(k, out, default_experts=128, default_top_k=8, default_expert_ff=768))
    return out


def _qwen_moe(
    k: Keys, out: dict[str, Any], default_experts: int, default_top_k: int, default_expert_ff: int
) -> dict[str, Any]:
    experts = k.size("num_experts", default=default_experts)
    moe = _sparse_layers(k, out["layers"]) if experts else 0
    if not moe:
        return {}
    fields: dict[str, Any] = {
        "experts": experts,
        "experts_per_token": k.size("num_experts_per_tok", default=default_top_k),
        "expert_d_ff": k.size("moe_intermediate_size", default=default_expert_ff),
    }
    if moe != out["layers"]:
        fields["dense_layers"] = out["layers"] - moe
    return fields


def gemma(k: Keys) -> dict[str, Any]:
    attention_bias = k.flag("attention_bias", False)
    out = _llama_like(k, 8192, True, qkv_bias=attention_bias, out_bias=attention_bias)
    out["activation"] = gated(k.text("hidden_activation", k.text("hidden_act", "gelu_pytorch_tanh")))
    out.update(_head_dim(k, out, default=256))
    return out


def gemma2(k: Keys) -> dict[str, Any]:
    out = gemma(k)
    out["norms_per_layer"] = 4  # input, post-attention, pre- and post-feed-forward RMSNorms
    return out


def phi(k: Keys) -> dict[str, Any]:
    # Phi-1/1.5/2: one LayerNorm per parallel block, biases everywhere, lm_head with bias.
    core = _core(k)
    out = {
        "architecture": "decoder",
        **core,
        **_kv(k, core),
        "d_ff": k.size("intermediate_size", default=4 * core["d_model"]),
        "activation": "gelu",
        "norm": "layernorm",
        "bias": True,
        "head_bias": True,
        "position": "rotary",
        "norms_per_layer": 1,
        "tie_embeddings": k.flag("tie_word_embeddings", False),
    }
    if k.flag("qk_layernorm", False):  # LayerNorm(head_dim) with bias on q and on k
        out.update(qk_norm="head", qk_norm_bias=True)
    return out


def phi3(k: Keys) -> dict[str, Any]:
    return _llama_like(k, 4096, False)  # fused qkv_proj and gate_up_proj: same counts


def phimoe(k: Keys) -> dict[str, Any]:
    attention_bias = k.flag("attention_bias", False)
    out = _llama_like(
        k,
        131072,
        False,
        qkv_bias=attention_bias,
        out_bias=attention_bias,
        experts=k.size("num_local_experts", default=16),
        experts_per_token=k.size("num_experts_per_tok", default=2),
        head_bias=k.flag("lm_head_bias", False),
    )
    out["norm"] = "layernorm"  # nn.LayerNorm with bias, despite the rms_norm_eps key
    return out


def starcoder2(k: Keys) -> dict[str, Any]:
    core = _core(k, context_default=4096)
    return {
        "architecture": "decoder",
        **core,
        **_kv(k, core),
        "d_ff": k.size("intermediate_size", default=4 * core["d_model"]),
        "activation": plain(k.text("hidden_act", "gelu_pytorch_tanh")),
        "norm": "layernorm",
        "bias": k.flag("use_bias", True),
        "position": "rotary",
        "tie_embeddings": k.flag("tie_word_embeddings", True),
    }


def olmo(k: Keys) -> dict[str, Any]:
    out = _llama_like(k, 2048, False)
    out["norm"] = "nonparametric"  # OlmoLayerNorm: no weight, no bias
    attention_bias = k.flag("attention_bias", False)
    out.update(qkv_bias=attention_bias, out_bias=attention_bias)
    return out


def olmo2(k: Keys) -> dict[str, Any]:
    attention_bias = k.flag("attention_bias", False)
    # post_attention_layernorm + post_feedforward_layernorm (no pre-norms); q_norm and k_norm
    # over all heads: heads*head_dim and kv_heads*head_dim.
    return _llama_like(k, 2048, False, qkv_bias=attention_bias, out_bias=attention_bias, qk_norm="full")


def stablelm(k: Keys) -> dict[str, Any]:
    out = _llama_like(k, 4096, False, qkv_bias=k.flag("use_qkv_bias", False))
    out["norm"] = "layernorm"
    out["norms_per_layer"] = 1 if k.flag("use_parallel_residual", False) else 2
    if k.flag("qk_layernorm", False):  # a LayerNorm(head_dim, bias=False) per head
        out["qk_norm"] = "full"
    return out


def _deepseek(k: Keys, mlp_bias: bool) -> dict[str, Any]:
    """DeepSeek-V2/V3: multi-head latent attention; shared + routed experts after the first
    first_k_dense_replace dense blocks. e_score_correction_bias (V3) is a buffer, and the
    multi-token-prediction layer is not built by the class, so neither counts."""
    core = _core(k)
    out: dict[str, Any] = {
        "architecture": "decoder",
        **core,
        "head_dim": k.size("qk_nope_head_dim", default=128),
        "d_ff": k.size("intermediate_size", default=4 * core["d_model"]),
        "activation": gated(k.text("hidden_act", "silu")),
        "norm": "rmsnorm",
        "bias": False,
        "qkv_bias": k.flag("attention_bias", False),
        "out_bias": k.flag("attention_bias", False),
        "ffn_bias": mlp_bias,
        "position": "rotary",
        "tie_embeddings": k.flag("tie_word_embeddings", False),
        "kv_lora_rank": k.size("kv_lora_rank", default=512),
        "q_lora_rank": k.size("q_lora_rank", default=0),  # null: queries projected directly
        "rope_head_dim": k.size("qk_rope_head_dim", default=64),
        "v_head_dim": k.size("v_head_dim", default=128),
    }
    experts = k.size("n_routed_experts", default=0)
    dense = min(k.size("first_k_dense_replace", default=0), out["layers"])
    if experts and dense < out["layers"]:
        expert_ff = k.size("moe_intermediate_size", default=1407)
        out.update(
            experts=experts,
            experts_per_token=k.size("num_experts_per_tok", default=6),
            expert_d_ff=expert_ff,
            dense_layers=dense,
        )
        shared = k.size("n_shared_experts", default=0)
        if shared:
            out["shared_expert_d_ff"] = shared * expert_ff
    return out


def deepseek_v2(k: Keys) -> dict[str, Any]:
    return _deepseek(k, k.flag("mlp_bias", False))


def deepseek_v3(k: Keys) -> dict[str, Any]:
    return _deepseek(k, False)


def _top_k(k: Keys, name: str, default: int, experts: int) -> int:
    """Routed experts per token. The type's default is capped at `experts` (transformers builds a
    4-expert OLMoE whose default top-8 could never run); a value the config states is kept, and
    one above experts is refused."""
    return k.size(name, default=default) if name in k.raw else min(k.size(name, default=default), experts)


def _experts(k: Keys, name: str, value: int) -> bool:
    """Whether a type whose every MoE block is built as a mixture (router + experts) has one: a
    count of 0 or 1 builds a router and experts that paramcalc's mixture (experts >= 2) cannot
    hold, so it is refused rather than counted as a dense feed-forward."""
    if value < 2:
        k.problems.append(Problem(k.label, name, f"{value} is not supported: a mixture of experts needs 2 or more"))
    return value >= 2


def glm4(k: Keys) -> dict[str, Any]:
    # GLM-4 (0414): q, k, v with attention_bias (default true), o_proj without; a fused
    # gate_up_proj (same count as gate + up); four RMSNorms per block (input, post-attention,
    # post-self-attention, post-MLP). head_dim defaults to 128, not hidden_size / heads.
    attention_bias = k.flag("attention_bias", True)
    out = _llama_like(k, 131072, False, qkv_bias=attention_bias, norms_per_layer=4)
    out.update(_head_dim(k, out, default=128))
    return out


def glm4_moe(k: Keys) -> dict[str, Any]:
    """GLM-4.5 / 4.5-Air: the first first_k_dense_replace blocks have a dense MLP of
    intermediate_size, the rest a router (no bias; e_score_correction_bias is a buffer),
    n_routed_experts experts of moe_intermediate_size and one shared MLP of n_shared_experts x
    moe_intermediate_size. q, k, v take attention_bias, o_proj does not; use_qk_norm adds a
    head_dim RMSNorm on q and on k. The multi-token-prediction layer (num_nextn_predict_layers)
    is in the checkpoint but the class does not build it, so it does not count."""
    attention_bias = k.flag("attention_bias", False)
    out = _llama_like(k, 131072, False, qkv_bias=attention_bias)
    if k.flag("use_qk_norm", False):
        out["qk_norm"] = "head"
    experts = k.size("num_local_experts", "n_routed_experts", default=128)  # the attribute_map alias wins
    dense = min(k.size("first_k_dense_replace", default=1), out["layers"])
    if dense < out["layers"] and _experts(k, "n_routed_experts", experts):
        expert_ff = k.size("moe_intermediate_size", default=1408)
        out.update(
            experts=experts,
            experts_per_token=_top_k(k, "num_experts_per_tok", 8, experts),
            expert_d_ff=expert_ff,
            dense_layers=dense,
        )
        shared = k.size("n_shared_experts", default=1)
        if shared:
            out["shared_expert_d_ff"] = shared * expert_ff
    return out


def olmoe(k: Keys) -> dict[str, Any]:
    # OLMoE: every block is a mixture of num_experts gated MLPs of intermediate_size (router
    # without bias, no shared expert); q_norm is an RMSNorm of hidden_size and k_norm one of
    # (hidden_size / heads) x kv_heads: qk_norm "full" while head_dim = hidden_size / heads.
    attention_bias = k.flag("attention_bias", False)
    out = _llama_like(k, 4096, False, qkv_bias=attention_bias, out_bias=attention_bias, qk_norm="full")
    if "head_dim" in out:  # q_proj would be heads x head_dim wide, q_norm still hidden_size
        key = "head_dim" if "head_dim" in k.raw else "num_attention_heads"
        k.problems.append(
            Problem(
                k.label,
                key,
                "olmoe's q_norm is hidden_size wide: supported only with head_dim = hidden_size / num_attention_heads",
            )
        )
    experts = k.size("num_local_experts", "num_experts", default=64)  # the attribute_map alias wins
    if _experts(k, "num_experts", experts):
        out.update(experts=experts, experts_per_token=_top_k(k, "num_experts_per_tok", 8, experts))
    return out


def gpt_bigcode(k: Keys) -> dict[str, Any]:
    # StarCoder / SantaCoder: GPT-2 with multi-query attention. c_attn is one fused linear
    # d_model -> d_model + 2 x kv_heads x head_dim with bias (the same count as q, k, v apart);
    # kv_heads is 1 when multi_query (the default), else n_head.
    core = _core(k, "n_layer", "n_embd", "n_head", 1024)
    if k.flag("add_cross_attention", False):
        k.problems.append(Problem(k.label, "add_cross_attention", "true is not supported (a decoder-only count)"))
    return {
        "architecture": "decoder",
        **core,
        "kv_heads": 1 if k.flag("multi_query", True) else core["heads"],
        "d_ff": k.size("n_inner", default=4 * core["d_model"]),
        "activation": "gelu",
        "norm": "layernorm",
        "bias": True,
        "position": "learned",
        "tie_embeddings": k.flag("tie_word_embeddings", True),
    }


def mpt(k: Keys) -> dict[str, Any]:
    # MPT as transformers' MptForCausalLM builds it (not the checkpoints' remote code): fused Wqkv
    # 3 x d_model and out_proj, no biases whatever no_bias says; an MLP of 4 x d_model whatever
    # expansion_ratio says; LayerNorms with the gain only; ALiBi (no position table, whatever
    # learned_pos_emb says); attn_config (qk_ln, attn_type) changes no tensor.
    core = _core(k, "n_layers", "d_model", "n_heads", 2048, context=("max_seq_len",))
    return {
        "architecture": "decoder",
        **core,
        "d_ff": 4 * core["d_model"],
        "activation": "gelu",
        "norm": "layernorm-nobias",
        "bias": False,
        "position": "alibi",
        "tie_embeddings": k.flag("tie_word_embeddings", True),
    }


def _nested(k: Keys, name: str) -> Keys:
    """The keys of a sub-config (DBRX's attn_config, ffn_config) as `name.key`, so that their
    defaults (DEFAULTS['dbrx']['ffn_config.moe_num_experts']) and their errors name the path."""
    sub = k.raw.get(name)
    flat = {f"{name}.{key}": value for key, value in sub.items()} if isinstance(sub, dict) else {}
    return Keys({"model_type": k.model_type, **flat}, k.label)


def dbrx(k: Keys) -> dict[str, Any]:
    # DBRX: fused Wqkv d_model -> d_model + 2 x kv_n_heads x head_dim and out_proj, no biases;
    # LayerNorms without bias; rotary; every block a router (no bias) and moe_num_experts GLU
    # experts (w1, v1, w2) of ffn_hidden_size, top moe_top_k. Sizes of attention and experts sit
    # in attn_config and ffn_config. DbrxConfig refuses tied embeddings.
    core = _core(k, "n_layers", "d_model", "n_heads", 2048, context=("max_seq_len",))
    attn, ffn = _nested(k, "attn_config"), _nested(k, "ffn_config")
    kv = attn.size("attn_config.kv_n_heads", default=1, positive=True)
    experts = ffn.size("ffn_config.moe_num_experts", default=4)
    top_k = ffn.size("ffn_config.moe_top_k", default=1)
    expert_ff = ffn.size("ffn_config.ffn_hidden_size", default=3584)
    k.problems += attn.problems + ffn.problems
    if core["heads"] % kv:
        k.problems.append(Problem(k.label, "attn_config.kv_n_heads", f"{kv} does not divide n_heads {core['heads']}"))
    if k.flag("tie_word_embeddings", False):
        k.problems.append(Problem(k.label, "tie_word_embeddings", "true is not supported for DBRX (DbrxConfig)"))
    out: dict[str, Any] = {
        "architecture": "decoder",
        **core,
        "d_ff": expert_ff,
        "activation": "swiglu",  # a GLU whatever ffn_act_fn names: w1 (gate), v1 (up), w2 (down)
        "norm": "layernorm-nobias",
        "bias": False,
        "position": "rotary",
        "tie_embeddings": False,
    }
    if kv != core["heads"]:
        out["kv_heads"] = kv
    if _experts(k, "ffn_config.moe_num_experts", experts):
        out.update(experts=experts, experts_per_token=top_k)
    return out


def _windows(k: Keys, layers: int, window: int, pattern: int, local: list[bool] | None = None) -> dict[str, Any]:
    """sliding_window and full_attention_every (no parameters: for the serving planner) from a
    config's layer_types, else from `local` (which blocks attend locally), else from the type's
    rule "block i is full when i + 1 is a multiple of `pattern`". Nothing where the window is
    off or the full blocks are not every k-th one (then every block is taken as full)."""
    types = k.get("layer_types")
    if isinstance(types, list) and types:
        local = [t != "full_attention" for t in types[:layers]]
    if local is not None:  # one per block; a shorter list is one transformers cannot build
        full = [i for i, is_local in enumerate(local) if not is_local]
        if len(local) < layers:
            return {}
        every = full[0] + 1 if full else 0
        if every and (len(full) != layers // every or any((i + 1) % every for i in full)):
            return {}
        pattern = every
    if window < 1 or pattern < 0:
        return {}
    return {"sliding_window": window, "full_attention_every": pattern}


def gemma3_text(k: Keys) -> dict[str, Any]:
    # Gemma 3 (the text stack of every size; Gemma3ForCausalLM): Gemma 2's four RMSNorms per
    # block and a head_dim RMSNorm on q and on k (Gemma3Attention.q_norm, k_norm); five local
    # blocks to one global (sliding_window_pattern 6, or layer_types).
    out = gemma2(k)
    out["qk_norm"] = "head"
    window = k.size("sliding_window", default=0)
    return {**out, **_windows(k, out["layers"], window, k.size("sliding_window_pattern", default=6))}


def _cohere(k: Keys, qk_norm: bool) -> dict[str, Any]:
    """Command-R: one CohereLayerNorm (a gain, no shift) per parallel block and after the last,
    gated MLP without bias, q/k/v/o with attention_bias, the head tied by default."""
    core = _core(k, context_default=8192)
    attention_bias = k.flag("attention_bias", False)
    out: dict[str, Any] = {
        "architecture": "decoder",
        **core,
        **_kv(k, core),
        "d_ff": k.size("intermediate_size", default=4 * core["d_model"]),
        "activation": gated(k.text("hidden_act", "silu")),
        "norm": "layernorm-nobias",
        "bias": False,
        "qkv_bias": attention_bias,
        "out_bias": attention_bias,
        "position": "rotary",
        "norms_per_layer": 1,
        "tie_embeddings": k.flag("tie_word_embeddings", True),
    }
    # head_dim: hidden_size // heads (floored), unless the file has a head_dim key: the attention
    # takes it (Cohere2Config's own hidden_size // heads is overwritten by the key)
    out.update(_head_dim(k, out))
    if qk_norm:  # CohereLayerNorm((heads, head_dim)) on q and ((kv_heads, head_dim)) on k
        out["qk_norm"] = "full"
    return out


def cohere(k: Keys) -> dict[str, Any]:
    return _cohere(k, k.flag("use_qk_norm", False))


def cohere2(k: Keys) -> dict[str, Any]:
    # Command R7B / Command A: Cohere's block without q/k norms; three sliding blocks to one
    # full (sliding_window_pattern 4, or layer_types).
    out = _cohere(k, False)
    window = k.size("sliding_window", default=0)
    return {**out, **_windows(k, out["layers"], window, k.size("sliding_window_pattern", default=4))}


def exaone4(k: Keys) -> dict[str, Any]:
    # EXAONE 4.0: no biases; RMSNorms after attention and after the MLP (post_attention_layernorm,
    # post_feedforward_layernorm: no pre-norm), a head_dim RMSNorm on q and on k; three sliding
    # blocks to one full (sliding_window_pattern 4, "LLLG", or layer_types).
    out = _llama_like(k, 2048, False, qk_norm="head", norms_per_layer=2)
    pattern = k.get("sliding_window_pattern")
    local = None
    if isinstance(pattern, str) and pattern:  # "LLLG": L local, G global, repeated
        local = [pattern[i % len(pattern)] != "G" for i in range(min(out["layers"], 10**6))]
    every = pattern if isinstance(pattern, int) and not isinstance(pattern, bool) else 0
    return {**out, **_windows(k, out["layers"], k.size("sliding_window", default=0), every, local)}


def llama4_text(k: Keys) -> dict[str, Any]:
    # The text model of Llama 4 (Llama4ForCausalLM). Blocks in moe_layers (by default every
    # interleave_moe_layer_step-th: Scout 1, Maverick 2) hold a Llama4TextMoe: a router without
    # bias, num_local_experts experts of intermediate_size (gate_up_proj fused: the same count)
    # and a shared expert of intermediate_size; the others a dense MLP of intermediate_size_mlp.
    # Its q/k norm is an L2 norm without parameters; NoPE blocks have no parameters of their own.
    attention_bias = k.flag("attention_bias", False)
    out = _llama_like(k, 131072, False, qkv_bias=attention_bias, out_bias=attention_bias)
    out.update(_head_dim(k, out, default=128))
    layers, expert_ff = out["layers"], out["d_ff"]
    out["d_ff"] = k.size("intermediate_size_mlp", default=16384)
    out.update(_llama4_moe(k, layers, expert_ff))
    return {**out, **_llama4_windows(k, layers)}


def _llama4_moe(k: Keys, layers: int, expert_ff: int) -> dict[str, Any]:
    listed = k.get("moe_layers")
    if isinstance(listed, list):  # explicit indices override the step
        blocks = sorted({i for i in listed if isinstance(i, int) and not isinstance(i, bool) and 0 <= i < layers})
        moe, placement = len(blocks), _placement(blocks, layers) if blocks else (0, 1)
    else:
        step = k.size("interleave_moe_layer_step", default=1, positive=True)
        moe, placement = layers // step, (0, step)  # blocks step-1, 2*step-1, ...
    if not moe:
        return {}
    experts = k.size("num_local_experts", default=16)
    if experts < 2:
        reason = f"{experts} is not supported in MoE blocks (paramcalc counts a mixture of 2 or more experts)"
        k.problems.append(Problem(k.label, "num_local_experts", reason))
    dense, every = placement
    fields: dict[str, Any] = {
        "experts": experts,
        "experts_per_token": k.size("num_experts_per_tok", default=1),
        "expert_d_ff": expert_ff,
        "shared_expert_d_ff": expert_ff,
    }
    if every != 1:
        fields["moe_every"] = every
    if dense:
        fields["dense_layers"] = dense
    return fields


def _placement(blocks: list[int], layers: int) -> tuple[int, int]:
    """(dense_layers, moe_every) that put experts in exactly these blocks (sorted, not empty) if
    the fields can say it, else a placement with as many MoE blocks (the count is the same)."""
    candidates = [blocks[1] - blocks[0]] if len(blocks) > 1 else [blocks[0] + 1, 1]
    for every in candidates:
        dense = 0 if blocks[0] < every else blocks[0]
        if len(blocks) == layers // every - dense // every and all((i + 1) % every == 0 for i in blocks):
            return dense, every
    return layers - len(blocks), 1


def _llama4_windows(k: Keys, layers: int) -> dict[str, Any]:
    """Chunked attention (attention_chunk_size) in the RoPE blocks, full attention in the NoPE
    ones (no_rope_layers 0; by default every no_rope_layer_interval-th). A chunked block's
    keys and values stop growing at the chunk, as a sliding window's do: written as one."""
    chunk = k.size("attention_chunk_size", default=0)
    rope = k.get("no_rope_layers")
    if isinstance(rope, list) and rope:
        return _windows(k, layers, chunk, 0, [bool(r) for r in rope[:layers]])
    return _windows(k, layers, chunk, k.size("no_rope_layer_interval", default=4))


def _bert_like(
    k: Keys, core: dict[str, Any], *, d_ff: int | None = None, act: str = "gelu", types: int = 2, pooler: bool = True
) -> dict[str, Any]:
    """BERT's encoder, which RoBERTa, XLM-R, ELECTRA, ALBERT and DeBERTa keep: post-LN blocks with
    biases, learned positions, token types (type_vocab_size, by default `types`), the pooler.
    `d_ff`: read by the caller where the type has no default for intermediate_size."""
    return {
        "architecture": "encoder",
        **core,
        "d_ff": d_ff if d_ff is not None else k.size("intermediate_size", default=4 * core["d_model"]),
        "activation": plain(k.text("hidden_act", act)),
        "norm": "layernorm",
        "bias": True,
        "position": "learned",
        "type_vocab": k.size("type_vocab_size", default=types),
        "pooler": pooler,
    }


def _padding_rows(k: Keys, out: dict[str, Any]) -> dict[str, Any]:
    """RoBERTa's position table keeps pad_token_id + 1 (= 2) more rows: 514 = 512 + 2."""
    offset = k.size("pad_token_id", default=1) + 1
    if out["context"] > offset:
        out.update(context=out["context"] - offset, position_offset=offset)
    return out


def bert(k: Keys) -> dict[str, Any]:
    core = _core(k, context_default=512)
    kind = k.text("position_embedding_type", "absolute")
    if kind != "absolute":
        k.problems.append(Problem(k.label, "position_embedding_type", f"{kind!r} is not supported (only 'absolute')"))
    return _bert_like(k, core)


def roberta(k: Keys) -> dict[str, Any]:
    # untied: RobertaForMaskedLM's decoder bias is its own too
    return _padding_rows(k, {**bert(k), **_untied(k, True)})


def distilbert(k: Keys) -> dict[str, Any]:
    core = {
        "layers": k.size("num_hidden_layers", "n_layers", required=True),
        "d_model": k.size("dim", "hidden_size", required=True),
        "heads": k.size("num_attention_heads", "n_heads", required=True),
        "vocab": k.size("vocab_size", required=True),
        "context": k.size("max_position_embeddings", default=512),
    }
    # sinusoidal_pos_embds still builds an nn.Embedding (frozen): it is a parameter all the same.
    return {
        "architecture": "encoder",
        **core,
        "d_ff": k.size("hidden_dim", default=4 * core["d_model"]),
        "activation": plain(k.text("activation", "gelu")),
        "norm": "layernorm",
        "bias": True,
        "position": "learned",
        "type_vocab": 0,
        "pooler": False,
    }


def t5(k: Keys) -> dict[str, Any]:
    # T5: relative position buckets, RMS-style norms, no biases. v1.1 / flan-t5: gated-gelu and
    # an untied lm_head (tie_word_embeddings: false).
    layers = k.size("num_hidden_layers", "num_layers", required=True)
    core = {
        "encoder_layers": layers,
        "decoder_layers": k.size("num_decoder_layers", default=layers),
        "d_model": k.size("hidden_size", "d_model", required=True),
        "heads": k.size("num_attention_heads", "num_heads", required=True),
        "head_dim": k.size("head_dim", "d_kv", default=64),  # attribute_map: head_dim -> d_kv
        "d_ff": k.size("d_ff", default=2048),
        "vocab": k.size("vocab_size", required=True),
        "context": k.size("n_positions", default=512),
    }
    proj = k.text("feed_forward_proj", "relu")
    act = proj.split("-")[-1]
    # transformers derives is_gated_act from feed_forward_proj, but a saved is_gated_act key wins
    is_gated = k.flag("is_gated_act", proj.startswith("gated-"))
    return {
        "architecture": "encoder-decoder",
        **core,
        "activation": gated(act) if is_gated else plain(act),
        "norm": "rmsnorm",
        "bias": False,
        "position": "relative",
        "relative_buckets": k.size("relative_attention_num_buckets", default=32),
        "tie_embeddings": k.flag("tie_word_embeddings", True),
    }


# --- gpt_oss, smollm3, granite, granitemoe, ernie4_5, ernie4_5_moe (issue 13) ---------------------
# transformers 5.24: modeling_<type>.py of each. Their config classes give every size a default,
# so a config that leaves one out (a multimodal text_config) takes the class's value.


def _class_core(k: Keys, context: int) -> dict[str, Any]:
    """The four defining sizes, from the config or else from the config class's defaults."""
    return {
        "layers": k.size("num_hidden_layers", positive=True),
        "d_model": k.size("hidden_size", positive=True),
        "heads": k.size("num_attention_heads", positive=True),
        "vocab": k.size("vocab_size", positive=True),
        "context": k.size("max_position_embeddings", default=context),
    }


def _rms_decoder(k: Keys, core: dict[str, Any], tie: bool, **extra: Any) -> dict[str, Any]:
    """Pre-norm RMSNorm blocks (input and post-attention norms, a final norm), rotary (or no)
    positions, gated MLP; head_dim from the config when it has one (getattr(config, "head_dim",
    hidden_size // num_attention_heads) in each attention class)."""
    return {
        "architecture": "decoder",
        **core,
        **_kv(k, core),
        **_head_dim(k, core),
        "d_ff": k.size("intermediate_size", default=4 * core["d_model"]),
        "activation": gated(k.text("hidden_act", "silu")),
        "norm": "rmsnorm",
        "bias": False,
        "position": "rotary",
        "tie_embeddings": k.flag("tie_word_embeddings", tie),
        **extra,
    }


def _window(k: Keys, sliding: list[bool] | None) -> dict[str, Any]:
    """sliding_window and full_attention_every for the serving planner (no parameters), from
    which layers slide (layer_types). A pattern those two fields cannot say (sliding every k-th
    layer) is left out: every layer is then taken as full attention, the larger KV cache."""
    window = k.size("sliding_window", default=0)
    if not window or not sliding or not any(sliding):
        return {}
    if all(sliding):
        return {"sliding_window": window, "full_attention_every": 0}
    for every in range(2, len(sliding) + 1):
        if all(slides == bool((i + 1) % every) for i, slides in enumerate(sliding)):
            return {"sliding_window": window, "full_attention_every": every}
    return {}


def _layer_types(k: Keys) -> list[bool] | None:
    """Which layers a given layer_types list makes sliding; None when the config has none."""
    types = k.get("layer_types")
    return [t == "sliding_attention" for t in types] if isinstance(types, list) else None


def _two_or_more(k: Keys, key: str, value: int) -> None:
    """These classes build a router for any number of experts: one expert behind a router is
    not a dense layer, and paramcalc's experts: 1 would be."""
    if value < 2:
        k.problems.append(
            Problem(k.label, key, f"{value} experts: paramcalc counts a mixture of 2 or more (a router needs a choice)")
        )


def gpt_oss(k: Keys) -> dict[str, Any]:
    # GptOssAttention: q, k, v, o with bias=attention_bias, and sinks (num_attention_heads).
    # GptOssMLP: a router (weight and bias) and experts: gate_up_proj hidden x 2*intermediate and
    # down_proj, each with a bias, whatever the config says; no dense feed-forward anywhere.
    # Layers alternate sliding and full attention (layer_types; by default every 2nd is full).
    core = _class_core(k, 131072)
    attention_bias = k.flag("attention_bias", True)
    experts = k.size("num_experts", "num_local_experts", default=128)  # attribute_map: num_experts wins
    _two_or_more(k, "num_local_experts", experts)
    sliding = _layer_types(k)
    if sliding is None:  # GptOssConfig.__post_init__: layer i slides unless (i + 1) % 2 == 0
        sliding = [True, False]
    out = _rms_decoder(
        k,
        core,
        False,
        qkv_bias=attention_bias,
        out_bias=attention_bias,
        ffn_bias=True,
        attention_sinks=True,
        experts=experts,
        experts_per_token=k.size("num_experts_per_tok", default=4),
        router_bias=True,
        **_window(k, sliding),
    )
    out["activation"] = "swiglu"  # its clamped SwiGLU: gate and up, whatever hidden_act says
    out.update(_head_dim(k, core, default=64))  # GptOssConfig: head_dim 64 (2880 / 64 heads is 45)
    return out


def smollm3(k: Keys) -> dict[str, Any]:
    # Llama blocks; every no_rope_layer_interval-th layer has no rotary (no parameters either way).
    # With use_sliding_window, the NoPE layers slide (SmolLM3Config.__post_init__).
    attention_bias = k.flag("attention_bias", False)
    out = _rms_decoder(
        k,
        _class_core(k, 32768),
        True,
        qkv_bias=attention_bias,
        out_bias=attention_bias,
        ffn_bias=k.flag("mlp_bias", False),
    )
    if k.flag("use_sliding_window", False):
        sliding = _layer_types(k)
        no_rope = k.get("no_rope_layers")
        if sliding is None and isinstance(no_rope, list):
            sliding = [not has_rope for has_rope in no_rope]
        elif sliding is None and k.size("no_rope_layer_interval", default=4) == 1:
            sliding = [True]  # every layer is NoPE, so every layer slides
        out.update(_window(k, sliding))
    return out


def granite(k: Keys) -> dict[str, Any]:
    # Llama blocks; the embedding, residual, attention and logits multipliers are scalars, not tensors.
    attention_bias = k.flag("attention_bias", False)
    return _rms_decoder(
        k,
        _class_core(k, 2048),
        False,
        qkv_bias=attention_bias,
        out_bias=attention_bias,
        ffn_bias=k.flag("mlp_bias", False),
    )


def granitemoe(k: Keys) -> dict[str, Any]:
    # GraniteMoeMoE in every block: a router (no bias) and experts of intermediate_size, gate_up_proj
    # 2*intermediate x hidden and down_proj, no biases; no dense feed-forward.
    attention_bias = k.flag("attention_bias", False)
    experts = k.size("num_local_experts", default=8)
    _two_or_more(k, "num_local_experts", experts)
    return _rms_decoder(
        k,
        _class_core(k, 2048),
        False,
        qkv_bias=attention_bias,
        out_bias=attention_bias,
        experts=experts,
        experts_per_token=k.size("num_experts_per_tok", default=2),
    )


def ernie4_5(k: Keys) -> dict[str, Any]:
    # use_bias on q, k, v, o and the MLP; lm_head without bias. Ernie4_5Config: head_dim 128
    # (ERNIE-4.5-0.3B: 16 heads of 128 on a width of 1024); null means hidden_size / heads.
    out = _rms_decoder(k, _class_core(k, 131072), True, bias=k.flag("use_bias", False))
    out.update(_head_dim(k, out))
    return out


def ernie4_5_moe(k: Keys) -> dict[str, Any]:
    # Block i has Ernie4_5_MoeSparseMoeBlock when (i + 1) % moe_layer_interval == 0 and
    # moe_layer_start_index <= i <= moe_layer_end_index (-1: the last), else a dense MLP of
    # intermediate_size. The MoE block: a router d_model x experts without bias plus its
    # e_score_correction_bias (an nn.Parameter of 1 x experts: counted as the router's bias), routed
    # experts of moe_intermediate_size without biases, and a shared MLP of moe_intermediate_size x
    # moe_num_shared_experts. use_bias: q, k, v, o, the dense and shared MLPs and the lm_head.
    core = _class_core(k, 131072)
    use_bias = k.flag("use_bias", False)
    out = _rms_decoder(k, core, True, bias=use_bias, **({"head_bias": True} if use_bias else {}))
    layers = core["layers"]
    every = k.size("moe_layer_interval", default=1, positive=True)
    start, end = (k.get(key, default) for key, default in (("moe_layer_start_index", 1), ("moe_layer_end_index", -1)))
    for key, index in (("moe_layer_start_index", start), ("moe_layer_end_index", end)):
        if isinstance(index, bool) or not isinstance(index, int):
            k.problems.append(Problem(k.label, key, f"must be a whole number, not {show(index)}"))
            return out
    last = layers - 1 if end == -1 else min(end, layers - 1)
    first = max(start, 0)
    moe = (last + 1) // every - first // every if last >= first else 0  # i + 1 in (first, last + 1], multiples of every
    if not moe:
        return out
    experts = k.size("num_experts", "moe_num_experts", default=64)  # attribute_map: num_experts wins
    _two_or_more(k, "moe_num_experts", experts)
    expert_ff = k.size("moe_intermediate_size", default=1536)
    out.update(
        experts=experts,
        experts_per_token=k.size("moe_k", "num_experts_per_tok", default=6),
        expert_d_ff=expert_ff,
        router_bias=True,
        **({"expert_bias": False} if use_bias else {}),
    )
    if last == layers - 1:  # the true placement: the first `start` blocks dense, then every k-th
        out.update(dense_layers=first, moe_every=every)
    else:  # MoE blocks stop before the last layer: the same number of them, counted from the top
        out["dense_layers"] = layers - moe
    if not out["dense_layers"]:
        del out["dense_layers"]
    if out.get("moe_every") == 1:
        del out["moe_every"]
    shared = k.size("moe_num_shared_experts", default=2)
    if shared:
        out["shared_expert_d_ff"] = shared * expert_ff
    return out


kimi_k2 = deepseek_v3  # Kimi-K2's config.json says model_type kimi_k2; transformers counts it as deepseek_v3


# --- mamba, falcon_mamba, mamba2 (issue 13): state-space language models ----------------------
# transformers 5.24: modeling_mamba.py (MambaMixer), modeling_falcon_mamba.py (the same mixer;
# its extra B, C and dt norms have no weights), modeling_mamba2.py (Mamba2Mixer). Their config
# classes give every size a default; intermediate_size is int(expand * hidden_size) and Mamba's
# time_step_rank "auto" is ceil(hidden_size / 16), as their __init__ derive them.


def _ssm_core(k: Keys) -> dict[str, Any]:
    d_model = k.size("hidden_size", "d_model", required=True)
    expand = k.get("expand", 2)
    inner_default = int(expand * d_model) if isinstance(expand, (int, float)) and not isinstance(expand, bool) else 0
    return {
        "architecture": "ssm",
        "layers": k.size("num_hidden_layers", "n_layer", required=True),
        "d_model": d_model,
        "vocab": k.size("vocab_size", required=True),
        "norm": "rmsnorm",
        "final_norm": True,
        "ssm_inner": k.size("intermediate_size", default=inner_default, positive=True),
        "ssm_state": k.size("state_size", default=16, positive=True),
        "ssm_conv": k.size("conv_kernel", default=4, positive=True),
        "ssm_bias": k.flag("use_bias", False),
        "ssm_conv_bias": k.flag("use_conv_bias", True),
    }


def mamba(k: Keys) -> dict[str, Any]:
    core = _ssm_core(k)
    rank = k.get("time_step_rank", "auto")
    auto = -(-core["d_model"] // 16)
    dt_rank = auto if rank == "auto" else k.size("time_step_rank", default=auto, positive=True)
    return {**core, "ssm": "mamba", "ssm_dt_rank": dt_rank, "tie_embeddings": k.flag("tie_word_embeddings", True)}


def falcon_mamba(k: Keys) -> dict[str, Any]:
    return mamba(k)  # FalconMambaMixer: Mamba's tensors; its rms norms of B, C and dt hold no weights


def mamba2(k: Keys) -> dict[str, Any]:
    core = _ssm_core(k)
    core.pop("ssm_inner")
    d_model = core["d_model"]
    expand = k.get("expand", 2)
    inner = int(expand * d_model) if isinstance(expand, (int, float)) and not isinstance(expand, bool) else d_model
    return {
        **core,
        "ssm": "mamba2",
        "ssm_inner": inner,  # Mamba2Config keeps no intermediate_size: expand x hidden_size
        "ssm_heads": k.size("num_heads", default=128, positive=True),
        "ssm_groups": k.size("n_groups", default=8, positive=True),
        "tie_embeddings": k.flag("tie_word_embeddings", False),
    }


def qwen3_next(k: Keys) -> dict[str, Any]:
    # Qwen3NextForCausalLM (transformers 5.24, modeling_qwen3_next.py): a block is full attention
    # where layer_types says so (by default every full_attention_interval-th, 4), else a gated
    # DeltaNet (Qwen3NextGatedDeltaNet). The attention is gated: q_proj is hidden x 2 x heads *
    # head_dim (queries and an output gate), with q_norm and k_norm of head_dim. Every block but
    # the mlp_only_layers (and the decoder_sparse_step) is a mixture of experts with a gated
    # shared expert; the others a dense MLP of intermediate_size. Untied.
    attention_bias = k.flag("attention_bias", False)
    out = _llama_like(k, 32768, False, qkv_bias=attention_bias, out_bias=attention_bias, qk_norm="head")
    out.update(_head_dim(k, out, default=256))
    out.update(_qwen_moe(k, out, default_experts=512, default_top_k=10, default_expert_ff=512))
    shared = k.size("shared_expert_intermediate_size", default=512)
    if out.get("experts", 1) > 1:
        if not shared:  # Qwen3NextSparseMoeBlock builds shared_expert_gate (hidden x 1) all the same
            k.problems.append(
                Problem(
                    k.label,
                    "shared_expert_intermediate_size",
                    "0: transformers still builds the shared expert's gate, which paramcalc holds only "
                    "with a shared expert",
                )
            )
        out.update(shared_expert_d_ff=shared or 1, shared_expert_gate=True)
    every = k.size("full_attention_interval", default=4, positive=True)
    types = k.get("layer_types")
    layers = out["layers"]
    if isinstance(types, list) and len(types) == layers:
        placement = _attending(k, "layer_types", [t == "full_attention" for t in types])
    else:
        if types is not None:
            k.problems.append(Problem(k.label, "layer_types", f"must list num_hidden_layers ({layers}) layer types"))
        placement = _attending(k, "full_attention_interval", [(i + 1) % every == 0 for i in range(layers)])
    if placement:
        key_heads = k.size("linear_num_key_heads", default=16, positive=True)
        out.update(
            placement,
            linear_key_heads=key_heads,
            linear_value_heads=k.size("linear_num_value_heads", default=32, positive=True),
            linear_key_dim=k.size("linear_key_head_dim", default=128, positive=True),
            linear_value_dim=k.size("linear_value_head_dim", default=128, positive=True),
            linear_conv=k.size("linear_conv_kernel_dim", default=4, positive=True),
        )
    out["attention_gate"] = True
    return out


def _attending(k: Keys, key: str, attends: list[bool]) -> dict[str, Any]:
    """attention_every and attention_offset that make exactly these blocks attend (block i when
    i % every == offset; every 1: all, 0: none). A list no period says (attention at 3, 4 and 9)
    takes a period with as many attending blocks, which counts the same, else is refused."""
    layers, attending = len(attends), sum(attends)
    if attending == layers:
        return {}
    if not attending:
        return {"attention_every": 0}
    first = attends.index(True)
    every = attends.index(True, first + 1) - first if attending > 1 else layers
    if first < every and all(a == (i % every == first) for i, a in enumerate(attends)):
        return {"attention_every": every, "attention_offset": first}
    for every in range(2, layers + 1):
        for offset in range(every):
            if blocks_at(layers, every, offset) == attending:
                return {"attention_every": every, "attention_offset": offset}
    k.problems.append(
        Problem(
            k.label,
            key,
            f"{attending} attention blocks of {layers} in no period: paramcalc places attention in block i when "
            "i % attention_every == attention_offset",
        )
    )
    return {}


def _mamba_sizes(k: Keys, d_model: int, dt_rank: bool) -> dict[str, Any]:
    """The mamba_* keys of a hybrid (Jamba, Granite-4.0-H): inner width int(mamba_expand x
    hidden_size), state, conv, biases; Mamba-1's dt rank ("auto": ceil(hidden_size / 16))."""
    expand = k.get("mamba_expand", 2)
    inner = int(expand * d_model) if isinstance(expand, (int, float)) and not isinstance(expand, bool) else 0
    if inner < 1:
        k.problems.append(Problem(k.label, "mamba_expand", f"must be a positive number, not {show(expand)}"))
        inner = 2 * d_model
    out = {
        "ssm_inner": inner,
        "ssm_state": k.size("mamba_d_state", default=16, positive=True),
        "ssm_conv": k.size("mamba_d_conv", default=4, positive=True),
        "ssm_bias": k.flag("mamba_proj_bias", False),
        "ssm_conv_bias": k.flag("mamba_conv_bias", True),
    }
    if dt_rank:
        auto = -(-d_model // 16)
        rank = k.get("mamba_dt_rank", "auto")
        out["ssm_dt_rank"] = auto if rank == "auto" else k.size("mamba_dt_rank", default=auto, positive=True)
    return out


def jamba(k: Keys) -> dict[str, Any]:
    # JambaForCausalLM (transformers 5.24, modeling_jamba.py): block i attends when i %
    # attn_layer_period == attn_layer_offset (q, k, v, o without biases, no positional encoding),
    # else a JambaMambaMixer (Mamba-1 with RMSNorms on dt, B and C); its feed-forward is a
    # JambaSparseMoeBlock (a router without bias, experts of intermediate_size) when i %
    # expert_layer_period == expert_layer_offset and num_experts > 1, else a gated MLP. Two norms
    # per block, a final norm, an untied lm_head by default.
    core = _class_core(k, 262144)
    out = _rms_decoder(k, core, False, position="none")
    layers = core["layers"]
    period = k.size("attn_layer_period", default=8, positive=True)
    offset = k.size("attn_layer_offset", default=4)
    out.update(_attending(k, "attn_layer_period", [i % period == offset for i in range(layers)]))
    if out.get("attention_every", 1) != 1:
        out.update(ssm="mamba", ssm_norms=True, **_mamba_sizes(k, core["d_model"], True))
    experts = k.size("num_local_experts", "num_experts", default=16)  # the attribute_map alias wins
    every = k.size("expert_layer_period", default=2, positive=True)
    first = k.size("expert_layer_offset", default=1)
    for key, value in (("attn_layer_offset", offset < period), ("expert_layer_offset", first < every)):
        if not value:
            k.problems.append(Problem(k.label, key, "must be less than its period (JambaConfig refuses it too)"))
    if experts > 1 and first < every and blocks_at(layers, every, first):
        out.update(experts=experts, experts_per_token=k.size("num_experts_per_tok", default=2))
        if every > 1:
            out.update(moe_every=every, moe_offset=first)
    return out


def granitemoehybrid(k: Keys) -> dict[str, Any]:
    # GraniteMoeHybridForCausalLM (transformers 5.24): each block is Mamba-2
    # (GraniteMoeHybridMambaLayer, as Mamba2Mixer) or attention, as layer_types says ("mamba" or
    # "linear_attention"; "attention" or "full_attention"; None: every block Mamba-2). Every block
    # has the shared MLP (input_linear hidden -> 2 x shared_intermediate_size, output_linear) and,
    # with num_local_experts > 0, a mixture of experts of intermediate_size (router without bias).
    # Rotary positions only with position_embedding_type "rope".
    attention_bias = k.flag("attention_bias", False)
    core = _class_core(k, 2048)
    position = "rotary" if k.get("position_embedding_type") == "rope" else "none"
    out = _rms_decoder(k, core, False, qkv_bias=attention_bias, out_bias=attention_bias, position=position)
    layers = core["layers"]
    types = k.get("layer_types")
    words = {"mamba": False, "linear_attention": False, "attention": True, "full_attention": True}
    if types is None:
        attends = [False] * layers
    elif not isinstance(types, list) or len(types) != layers or any(words.get(t) is None for t in types):
        k.problems.append(
            Problem(
                k.label,
                "layer_types",
                f"must list num_hidden_layers ({layers}) of 'mamba' and 'attention', not {show(types)}",
            )
        )
        attends = [True] * layers
    else:
        attends = [words[t] for t in types]
    out.update(_attending(k, "layer_types", attends))
    if out.get("attention_every", 1) != 1:
        heads = k.size("mamba_n_heads", default=128, positive=True)
        out.update(ssm="mamba2", ssm_heads=heads, ssm_groups=k.size("mamba_n_groups", default=1, positive=True))
        out.update(_mamba_sizes(k, core["d_model"], False))
    shared = k.size("shared_intermediate_size", default=1024)
    experts = k.size("num_local_experts", default=8)
    if experts:
        _two_or_more(k, "num_local_experts", experts)
        out.update(
            experts=experts,
            experts_per_token=k.size("num_experts_per_tok", default=2),
            shared_expert_d_ff=shared,
        )
        if not shared:
            k.problems.append(Problem(k.label, "shared_intermediate_size", "0: every block has its shared MLP"))
    else:
        out["d_ff"] = shared  # no experts: the shared MLP is the block's feed-forward
    return out


# --- bart, mbart, mt5, umt5, longt5, whisper (issue 14): sequence-to-sequence and speech ---------
# transformers 5.24: modeling_bart.py, modeling_mbart.py, modeling_mt5.py, modeling_umt5.py,
# modeling_longt5.py, modeling_whisper.py (the *ForConditionalGeneration classes). Their config
# classes give every size a default; attribute_map makes num_hidden_layers an alias of
# encoder_layers that wins over it, and num_attention_heads one of encoder_attention_heads.


def _divides(k: Keys, d_model: int, *keys: str) -> None:
    """Each stack's heads divide d_model (the attention classes raise ValueError otherwise)."""
    for key in keys:
        heads = k.size(key, positive=True)
        if d_model % heads:
            k.problems.append(Problem(k.label, key, f"{heads} does not divide d_model {d_model}"))


def _stacks(k: Keys, d_model: int) -> dict[str, Any]:
    """BART's and Whisper's encoder and decoder keys: depths, heads, feed-forward widths."""
    _divides(k, d_model, "decoder_attention_heads")
    out = {
        "encoder_layers": k.size("num_hidden_layers", "encoder_layers", positive=True),
        "decoder_layers": k.size("decoder_layers", positive=True),
        "heads": k.size("num_attention_heads", "encoder_attention_heads", positive=True),
        "d_ff": k.size("encoder_ffn_dim", positive=True),
    }
    decoder_ff = k.size("decoder_ffn_dim", positive=True)
    if decoder_ff != out["d_ff"]:
        out["decoder_d_ff"] = decoder_ff
    return out


def bart(k: Keys) -> dict[str, Any]:
    # BartForConditionalGeneration: model.shared (vocab x d_model) is the token embedding of both
    # stacks and the lm_head; each stack has a learned position table of max_position_embeddings +
    # 2 rows (BartLearnedPositionalEmbedding's offset) and a layernorm_embedding; post-LN blocks
    # with biases everywhere, no final norm. tie_word_embeddings false drops every tie: shared,
    # the two embed_tokens and lm_head are four matrices. final_logits_bias is a buffer.
    d_model = k.size("hidden_size", "d_model", required=True)  # the attribute_map alias wins
    tie = k.flag("tie_word_embeddings", True)
    return {
        "architecture": "encoder-decoder",
        **_stacks(k, d_model),
        "d_model": d_model,
        "vocab": k.size("vocab_size", required=True),
        "context": k.size("max_position_embeddings", positive=True),
        "activation": plain(k.text("activation_function", "gelu")),
        "norm": "layernorm",
        "bias": True,
        "position": "learned",
        "position_offset": 2,
        "stack_positions": True,
        "embedding_norm": True,
        "final_norm": False,
        "tie_embeddings": tie,
        "stack_embeddings": not tie,
    }


def mbart(k: Keys) -> dict[str, Any]:
    # MBartForConditionalGeneration: BART's tensors, pre-LN, with a final layer_norm in each stack.
    return {**bart(k), "final_norm": True}


def mt5(k: Keys) -> dict[str, Any]:
    # MT5ForConditionalGeneration: T5's modules (T5 v1.1: gated-gelu by default), MT5Config's
    # defaults. MT5Config forces tie_word_embeddings to true, but a checkpoint whose config.json
    # says false holds its own lm_head.weight and from_pretrained keeps it: untied as the file says.
    return t5(k)


def umt5(k: Keys) -> dict[str, Any]:
    # UMT5ForConditionalGeneration: T5's modules, but every self-attention layer has its own
    # relative_attention_bias (buckets x heads); cross-attention has none. Tying as mt5.
    return {**t5(k), "relative_per_layer": True}


def longt5(k: Keys) -> dict[str, Any]:
    # LongT5ForConditionalGeneration with encoder_attention_type "local": LongT5LocalAttention holds
    # T5's tensors. "transient-global" adds a global norm per encoder block and a global bias table.
    kind = k.text("encoder_attention_type", "local")
    if kind != "local":
        k.problems.append(
            Problem(k.label, "encoder_attention_type", f"{kind!r} is not supported (only 'local', as T5 counts)")
        )
    return t5(k)


def whisper(k: Keys) -> dict[str, Any]:
    # WhisperForConditionalGeneration: the encoder takes num_mel_bins mel channels through conv1
    # (kernel 3) and conv2 (kernel 3, stride 2), with biases, then a position table of
    # max_source_positions rows (sinusoidal at init, but an nn.Embedding parameter); the decoder a
    # token embedding and a learned table of max_target_positions rows. Pre-LN blocks, k_proj
    # without bias, a final layer_norm per stack; proj_out tied to the decoder's embed_tokens.
    d_model = k.size("hidden_size", "d_model", required=True)  # the attribute_map alias wins
    vocab = k.size("vocab_size", required=True)
    pad = k.get("pad_token_id")
    if isinstance(pad, int) and not isinstance(pad, bool) and pad >= vocab:
        k.problems.append(
            Problem(
                k.label, "pad_token_id", f"{pad} must be less than vocab_size {vocab} (the embedding's padding_idx)"
            )
        )
    return {
        "architecture": "encoder-decoder",
        **_stacks(k, d_model),
        "d_model": d_model,
        "vocab": vocab,
        "context": k.size("max_target_positions", positive=True),
        "encoder_context": k.size("max_source_positions", positive=True),
        "mel_bins": k.size("num_mel_bins", positive=True),
        "activation": plain(k.text("activation_function", "gelu")),
        "norm": "layernorm",
        "bias": True,
        "k_bias": False,
        "position": "learned",
        "stack_positions": True,
        "tie_embeddings": k.flag("tie_word_embeddings", True),
    }


# --- encoders (issue 14): xlm-roberta, modernbert, deberta-v2, electra, albert ---------------------
# transformers 5.24: modeling_<type>.py of each. With tie_word_embeddings false transformers 5 ties
# nothing, also not a decoder bias the head shares (RoBERTa, DeBERTa, ALBERT): two vocab biases.


def _no_cross_attention(k: Keys) -> None:
    """is_decoder + add_cross_attention give every block a cross-attention: not an encoder."""
    if k.flag("add_cross_attention", False):
        k.problems.append(
            Problem(k.label, "add_cross_attention", "true (a decoder with cross-attention blocks) is not supported")
        )


def _untied(k: Keys, bias_tied: bool) -> dict[str, Any]:
    """tie_word_embeddings false: an untied output layer, and its own bias beside the head's
    where the tied model shares one (`bias_tied`)."""
    if k.flag("tie_word_embeddings", True):
        return {}
    return {"tie_embeddings": False, **({"mlm_vocab_biases": 2} if bias_tied else {})}


def xlm_roberta(k: Keys) -> dict[str, Any]:
    """XLMRobertaModel: RoBERTa's modules (position table of max_position_embeddings rows,
    pad_token_id + 1 of them kept for padding), a pooler; transformers 5 ignores
    position_embedding_type (no relative distance embedding is built)."""
    _no_cross_attention(k)
    return _padding_rows(k, {**_bert_like(k, _core(k, context_default=512)), **_untied(k, True)})


def modernbert(k: Keys) -> dict[str, Any]:
    """ModernBertModel: pre-norm blocks (attn_norm, fused Wqkv, Wo; mlp_norm, gated Wi of 2 x
    intermediate_size, Wo), rotary positions (global and sliding layers alike: no parameters),
    an embedding norm and a final norm; layer 0's attn_norm is an Identity. norm_bias,
    attention_bias and mlp_bias switch the biases (all off by default). The masked-LM head:
    head.dense (classifier_bias), head.norm, the decoder tied to the embedding, decoder_bias
    its own (never tied)."""
    core = _class_core(k, 8192)
    return {
        "architecture": "encoder",
        **core,
        "d_ff": k.size("intermediate_size", positive=True),
        "activation": gated(k.text("hidden_activation", "gelu")),
        "norm": "layernorm" if k.flag("norm_bias", False) else "layernorm-nobias",
        "bias": False,
        "qkv_bias": k.flag("attention_bias", False),
        "out_bias": k.flag("attention_bias", False),
        "ffn_bias": k.flag("mlp_bias", False),
        "position": "rotary",
        "type_vocab": 0,
        "pooler": False,
        "final_norm": True,
        "first_attention_norm": False,
        "mlm_transform_bias": k.flag("classifier_bias", False),
        "mlm_vocab_biases": 1 if k.flag("decoder_bias", True) else 0,
        **_untied(k, False),
    }


def electra(k: Keys) -> dict[str, Any]:
    """ElectraModel: BERT's blocks after embeddings of embedding_size (word, position, type
    tables and their LayerNorm), projected to hidden_size by embeddings_project (with bias)
    when the two differ; no pooler. The masked-LM head (ElectraForMaskedLM, the generator's):
    generator_predictions (dense hidden -> embedding, LayerNorm), generator_lm_head tied to the
    embedding, its bias its own."""
    _no_cross_attention(k)
    core = _class_core(k, 512)
    width = k.size("embedding_size", positive=True)
    return {
        **_bert_like(k, core, d_ff=k.size("intermediate_size", positive=True), pooler=False),
        **({"embedding_dim": width, "embedding_projection": "in"} if width != core["d_model"] else {}),
        **_untied(k, False),
    }


def albert(k: Keys) -> dict[str, Any]:
    """AlbertModel: embeddings of embedding_size, embedding_hidden_mapping_in (always, with
    bias), then num_hidden_groups groups of inner_group_num layers: layer i runs group
    i * groups // layers, so the num_hidden_layers x inner_group_num blocks that run share
    num_hidden_groups x inner_group_num stored ones (all groups are built, even more than run);
    a bare-Linear pooler. The masked-LM head: predictions (dense hidden -> embedding,
    LayerNorm), the decoder and its bias tied to the embedding and predictions.bias."""
    core = _class_core(k, 512)
    inner = k.size("inner_group_num", positive=True)
    groups = k.size("num_hidden_groups", positive=True)
    runs = core["layers"] * inner
    return {
        **_bert_like(k, core, d_ff=k.size("intermediate_size", positive=True), act="gelu_new"),
        "layers": runs,
        "embedding_dim": k.size("embedding_size", positive=True),
        "embedding_projection": "in",
        **({"shared_layers": groups * inner} if groups * inner != runs else {}),
        **_untied(k, True),
    }


def deberta_v2(k: Keys) -> dict[str, Any]:
    """DebertaV2Model (DeBERTa-v2 and v3): embeddings of embedding_size (word; position iff
    position_biased_input; type iff type_vocab_size > 0), embed_proj without bias when it is
    not hidden_size, a LayerNorm of hidden_size; BERT's blocks with disentangled attention: with
    relative_attention one table of 2 x position_buckets rows (else 2 x max_relative_positions,
    max_position_embeddings when that is below 1) and, unless share_att_key, pos_key_proj (c2p)
    and pos_query_proj (p2c); the encoder's LayerNorm on the table (norm_rel_ebd layer_norm,
    built even without relative attention); the ConvLayer (conv_kernel_size); no pooler.
    embedding_size, position_buckets, share_att_key, norm_rel_ebd, conv_* and attention_head_size
    are not config fields: read as extras, with getattr's defaults. The masked-LM head
    (legacy, the default): cls.predictions (dense hidden -> embedding, LayerNorm), the decoder
    and its bias tied to the embedding and predictions.bias; legacy false: lm_predictions
    (dense hidden -> hidden, LayerNorm, a bias), logits by the embedding: always tied."""
    core = _class_core(k, 512)
    h, heads = core["d_model"], core["heads"]
    head_size = k.size("attention_head_size", default=max(1, h // heads), positive=True)
    if head_size * heads != h:
        k.problems.append(
            Problem(k.label, "num_attention_heads", f"{heads} x attention_head_size {head_size} is not hidden_size {h}")
        )
    width = k.size("embedding_size", default=h, positive=True)
    out = _bert_like(k, core, d_ff=k.size("intermediate_size", positive=True), types=0, pooler=False)
    out["position"] = "learned" if k.flag("position_biased_input", True) else "none"
    if width != h:
        out.update(embedding_dim=width, embedding_projection="in_nobias")
    if k.flag("relative_attention", False):
        buckets = k.get("position_buckets", -1)
        spans = k.get("max_relative_positions", -1)
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (buckets, spans)):
            k.problems.append(Problem(k.label, "position_buckets", "and max_relative_positions must be whole numbers"))
            buckets = spans = 1
        out["relative_positions"] = 2 * (buckets if buckets > 0 else spans if spans >= 1 else core["context"])
        kinds = k.get("pos_att_type", [])
        kinds = kinds.lower().split("|") if isinstance(kinds, str) else [str(x).lower() for x in kinds]
        if not k.flag("share_att_key", False):
            out["position_projections"] = ("c2p" in kinds) + ("p2c" in kinds)
    if "layer_norm" in [x.strip() for x in k.text("norm_rel_ebd", "none").lower().split("|")]:
        out["relative_norm"] = True
    kernel = k.size("conv_kernel_size", default=0)
    if kernel:
        out.update(conv_kernel=kernel, conv_groups=k.size("conv_groups", default=1, positive=True))
    if k.flag("legacy", True):
        out.update(_untied(k, True))
    elif width != h:
        k.problems.append(
            Problem(k.label, "legacy", "false needs embedding_size = hidden_size (logits by the embedding)")
        )
    return out


# The masked-LM head of bert, roberta and distilbert is chosen by `count --head`, alike for all.
FAMILIES: dict[str, Family] = {
    name: globals()[name]
    for name in (
        "mamba",
        "falcon_mamba",
        "mamba2",
        "qwen3_next",
        "gpt2",
        "gptj",
        "gpt_neox",
        "opt",
        "bloom",
        "falcon",
        "llama",
        "mistral",
        "mixtral",
        "qwen2",
        "qwen2_moe",
        "qwen3",
        "qwen3_moe",
        "gemma",
        "gemma2",
        "phi",
        "phi3",
        "phimoe",
        "starcoder2",
        "olmo",
        "olmo2",
        "stablelm",
        "deepseek_v2",
        "deepseek_v3",
        "glm4",
        "glm4_moe",
        "olmoe",
        "gpt_bigcode",
        "mpt",
        "dbrx",
        "gemma3_text",
        "cohere",
        "cohere2",
        "exaone4",
        "llama4_text",
        "bert",
        "roberta",
        "distilbert",
        "t5",
        "gpt_oss",
        "smollm3",
        "granite",
        "granitemoe",
        "ernie4_5",
        "ernie4_5_moe",
        "kimi_k2",
        "jamba",
        "granitemoehybrid",
        "bart",
        "mbart",
        "mt5",
        "umt5",
        "longt5",
        "whisper",
        "qwen2_5_vl",
        "mistral3",
        "llama4",
        "llava",
        "gemma3",
    )
}
FAMILIES["xlm-roberta"] = xlm_roberta
FAMILIES["modernbert"] = modernbert
FAMILIES["electra"] = electra
FAMILIES["albert"] = albert
FAMILIES["deberta-v2"] = deberta_v2
FAMILIES.update(FAMILIES_VISION)  # vit, dinov2, clip, siglip and their towers (paramcalc/hf/vision.py)
FAMILIES.update(FAMILIES_CNN)  # resnet, convnext, mobilenet_v2, efficientnet as sequential nets (paramcalc/hf/cnn.py)
