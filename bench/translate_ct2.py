"""CTranslate2's half of bench/translate.sh, and the side-by-side table.

Converts the random Marian model that toex translated with (Hugging Face layout:
config.json, model.safetensors, tokenizer.json) to CTranslate2's format the way its own
Transformers converter treats MarianMTModel (post-norm, swish, sinusoidal positions,
decoder started from a zero embedding, `<pad>` dropped from the vocabulary), but from the
safetensors file with NumPy, so no PyTorch is needed. Then translates the same source
pieces with the same batch size, beam and threads, the output length forced to TOKENS,
and prints lines/s for both engines, the ratio, the £ per million characters and how
many lines came out identical (f32 against f32: both engines compute the same network).

    translate_ct2.py WORK THREADS TOKENS PRICE_PER_HOUR

WORK holds opus-mt-ar-en-random/, lines.txt, tokens.txt and toex.tsv (precision,
batch, lines, seconds, file of toex's output per run), written by bench/translate.sh.
"""

import json
import os
import sys
import time

import ctranslate2
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


def main():
    work, threads, tokens, price = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    model_dir = os.path.join(work, "model")
    nllb = json.load(open(os.path.join(model_dir, "config.json"))).get("model_type") == "m2m_100"
    # NLLB decodes after a forced target-language token; the length counts it.
    prefix = [["eng_Latn"]] if nllb else None
    extra = 1 if nllb else 0
    sources = [line.split() for line in open(os.path.join(work, "tokens.txt"), encoding="utf-8")]
    texts = open(os.path.join(work, "lines.txt"), encoding="utf-8").read().splitlines()
    runs = [line.rstrip("\n").split("\t") for line in open(os.path.join(work, "toex.tsv"))]
    print(f"== CTranslate2 {ctranslate2.__version__}, {threads} threads; {tokens} output tokens a line")
    translators = {}
    rows = []
    for precision, batch, lines, toex_secs, toex_out in runs:
        batch, lines, toex_secs = int(batch), int(lines), float(toex_secs)
        compute = {"f32": "float32", "int8": "int8"}[precision]
        if compute not in translators:
            out = os.path.join(work, f"ct2-{precision}")
            if not os.path.exists(os.path.join(out, "model.bin")):
                (convert_m2m100 if nllb else convert)(model_dir, out, compute)
            translators[compute] = ctranslate2.Translator(
                out, device="cpu", compute_type=compute, inter_threads=1, intra_threads=threads
            )
        tr = translators[compute]
        chunk = sources[:lines]
        prefixes = prefix * len(chunk) if prefix else None
        tr.translate_batch(chunk[:batch], target_prefix=prefixes[:batch] if prefixes else None,
                           max_batch_size=batch, beam_size=1, min_decoding_length=tokens + extra,
                           max_decoding_length=tokens + extra)  # warm-up
        started = time.perf_counter()
        results = tr.translate_batch(
            chunk, target_prefix=prefixes, max_batch_size=batch, beam_size=1,
            min_decoding_length=tokens + extra, max_decoding_length=tokens + extra,
        )
        secs = time.perf_counter() - started
        # As toex decodes: NLLB's specials (language tokens, <mask>…) are not text.
        keep = lambda tok: not (nllb and (tok.startswith("<") or (len(tok) == 8 and tok[3] == "_")))
        hyps = ["".join(x for x in r.hypotheses[0][extra:] if keep(x)).replace("\u2581", " ").strip()
                for r in results]
        lengths = [len(r.hypotheses[0]) - extra for r in results]
        ours = open(toex_out, encoding="utf-8").read().splitlines()
        same = sum(a == b for a, b in zip(ours, hyps))
        chars = sum(len(x) for x in texts[:lines])
        cost = lambda s: price / 3600 * s / chars * 1e6
        rows.append((precision, batch, lines, toex_secs, secs, same, sum(lengths) / len(lengths), cost(toex_secs), cost(secs)))
    print()
    print(f"{'prec':5} {'batch':>5} {'lines':>6} | {'toex s':>8} {'lines/s':>8} | {'ct2 s':>8} {'lines/s':>8} | "
          f"{'toex/ct2':>8} | {'same':>6} {'ct2 tok':>7} | £/M chars toex, ct2 at £{price:.2}/h")
    for precision, batch, lines, ts, cs, same, toks, tc, cc in rows:
        print(f"{precision:5} {batch:5d} {lines:6d} | {ts:8.2f} {lines / ts:8.1f} | {cs:8.2f} {lines / cs:8.1f} | "
              f"{cs / ts:7.2f}× | {100 * same / lines:5.1f}% {toks:7.1f} | {tc:.4f}, {cc:.4f}")
    print()
    print("toex/ct2 > 1: toex is faster. same: lines whose text is identical on both sides.")


if __name__ == "__main__":
    main()
