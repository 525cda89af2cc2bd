"""Hugging Face translation folders (Marian, M2M100 / NLLB-200) converted to
CTranslate2's format with CTranslate2's own model specs and writer, the way its
Transformers converter treats MarianMTModel and M2M100ForConditionalGeneration, but from
the safetensors file with NumPy, so no PyTorch is needed. Used by bench/translate.sh
(bench/translate_ct2.py) and by toex's tests of CTranslate2 folders (ct2_nllb.py); never
at run time.
"""

import json
import os

import numpy as np
from ctranslate2.specs import common_spec, transformer_spec
from safetensors.numpy import load_file


def linear(spec, w, b=None):
    spec.weight = w
    if b is not None:
        spec.bias = b


def layer_norm(spec, t, name):
    spec.gamma = t[f"{name}.weight"]
    spec.beta = t[f"{name}.bias"]


def attention(spec, t, name, self_attention):
    q, k, v = (t[f"{name}.{p}_proj.weight"] for p in "qkv")
    qb, kb, vb = (t[f"{name}.{p}_proj.bias"] for p in "qkv")
    if self_attention:
        linear(spec.linear[0], np.concatenate([q, k, v]), np.concatenate([qb, kb, vb]))
    else:
        linear(spec.linear[0], q, qb)
        linear(spec.linear[1], np.concatenate([k, v]), np.concatenate([kb, vb]))
    linear(spec.linear[-1], t[f"{name}.out_proj.weight"], t[f"{name}.out_proj.bias"])


def sinusoids(positions, dim):
    """Marian's table: sines of even frequencies in the first half, cosines in the second."""
    i = np.arange(dim // 2)
    angle = np.arange(positions)[:, None] / np.power(10000.0, 2 * i / dim)[None, :]
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1).astype(np.float32)


def fill(spec, t, embeddings, positions, scale, final_norms):
    """Both stacks' embeddings, positions and layers from Hugging Face's names (the same
    in Marian and M2M100); `final_norms`: M2M100's norm after each stack."""
    for side, s in (("encoder", spec.encoder), ("decoder", spec.decoder)):
        s.scale_embeddings = scale
        s.position_encodings.encodings = positions
        (s.embeddings[0] if isinstance(s.embeddings, list) else s.embeddings).weight = embeddings
        if final_norms:
            layer_norm(s.layer_norm, t, f"model.{side}.layer_norm")
        for i, layer in enumerate(s.layer):
            p = f"model.{side}.layers.{i}"
            attention(layer.self_attention, t, f"{p}.self_attn", True)
            layer_norm(layer.self_attention.layer_norm, t, f"{p}.self_attn_layer_norm")
            if side == "decoder":
                attention(layer.attention, t, f"{p}.encoder_attn", False)
                layer_norm(layer.attention.layer_norm, t, f"{p}.encoder_attn_layer_norm")
            linear(layer.ffn.linear_0, t[f"{p}.fc1.weight"], t[f"{p}.fc1.bias"])
            linear(layer.ffn.linear_1, t[f"{p}.fc2.weight"], t[f"{p}.fc2.bias"])
            layer_norm(layer.ffn.layer_norm, t, f"{p}.final_layer_norm")


def fairseq_sinusoids(positions, dim, offset):
    """M2M100's table (fairseq's frequencies, 10000^(-i/(d/2-1))), from row `offset`."""
    i = np.arange(dim // 2)
    angle = np.arange(positions + offset)[:, None] * np.exp(-np.log(10000.0) * i / (dim // 2 - 1))[None, :]
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)[offset:].astype(np.float32)


def convert_m2m100(model_dir, out_dir, quantization):
    """NLLB-200 (M2M100) as CTranslate2's converter treats M2M100ForConditionalGeneration:
    pre-norm with a norm after each stack, ReLU, fairseq positions from padding id + 1,
    the decoder started from </s>; the vocabulary in fairseq's order (<s> <pad> </s> <unk>,
    the pieces, the language codes, <mask>). The padding token is ruled out of the output,
    as toex rules it out."""
    import sentencepiece as spm

    config = json.load(open(os.path.join(model_dir, "config.json")))
    sp = spm.SentencePieceProcessor(model_file=os.path.join(model_dir, "sentencepiece.bpe.model"))
    codes = json.load(open(os.path.join(model_dir, "tokenizer_config.json")))["additional_special_tokens"]
    vocab = ["<s>", "<pad>", "</s>", "<unk>"] + [sp.id_to_piece(i) for i in range(3, sp.get_piece_size())]
    vocab += codes + ["<mask>"]
    assert len(vocab) == config["vocab_size"], (len(vocab), config["vocab_size"])
    t = load_file(os.path.join(model_dir, "model.safetensors"))
    spec = transformer_spec.TransformerSpec.from_config(
        (config["encoder_layers"], config["decoder_layers"]),
        config["encoder_attention_heads"],
        pre_norm=True,
        activation=common_spec.Activation.RELU,
        layernorm_embedding=False,
    )
    embeddings = t["model.shared.weight"]
    pad = config["pad_token_id"]
    positions = fairseq_sinusoids(config["max_position_embeddings"], config["d_model"], pad + 1)
    scale = float(np.sqrt(config["d_model"])) if config.get("scale_embedding", True) else 1.0
    fill(spec, t, embeddings, positions, scale, final_norms=True)
    bias = t["final_logits_bias"].reshape(-1).copy() if "final_logits_bias" in t else np.zeros(len(vocab), np.float32)
    bias[pad] = -1e9
    linear(spec.decoder.projection, embeddings, bias)
    spec.config.bos_token = "<s>"
    spec.config.eos_token = "</s>"
    spec.config.unk_token = "<unk>"
    spec.config.decoder_start_token = "</s>"
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.validate()
    spec.optimize(quantization=quantization)
    os.makedirs(out_dir, exist_ok=True)
    spec.save(out_dir)


def convert(model_dir, out_dir, quantization):
    config = json.load(open(os.path.join(model_dir, "config.json")))
    vocab = [p for p, _ in json.load(open(os.path.join(model_dir, "tokenizer.json")))["model"]["vocab"]]
    t = load_file(os.path.join(model_dir, "model.safetensors"))
    assert vocab[-1] == "<pad>" and config["pad_token_id"] == len(vocab) - 1
    layers, heads = config["encoder_layers"], config["encoder_attention_heads"]
    spec = transformer_spec.TransformerSpec.from_config(
        (layers, config["decoder_layers"]),
        heads,
        pre_norm=False,
        activation=common_spec.Activation.SWISH,
        layernorm_embedding=False,
    )
    embeddings = t["model.shared.weight"][:-1]  # <pad> dropped, as the converter does
    positions = sinusoids(config["max_position_embeddings"], config["d_model"])
    scale = float(np.sqrt(config["d_model"])) if config.get("scale_embedding", True) else 1.0
    fill(spec, t, embeddings, positions, scale, final_norms=False)
    spec.decoder.start_from_zero_embedding = True
    linear(spec.decoder.projection, embeddings, t["final_logits_bias"].reshape(-1)[:-1])
    spec.config.eos_token = "</s>"
    spec.config.unk_token = "<unk>"
    spec.config.decoder_start_token = "</s>"
    spec.register_source_vocabulary(vocab[:-1])
    spec.register_target_vocabulary(vocab[:-1])
    spec.validate()
    spec.optimize(quantization=quantization)
    os.makedirs(out_dir, exist_ok=True)
    spec.save(out_dir)
