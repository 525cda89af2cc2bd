"""Reference NLLB-200 (M2M100) translation for toex's tests (never used at run time).

Usage: nllb.py MODEL_DIR SOURCE_LANGUAGE < lines (one per line) > JSON
Tokenises with Google's sentencepiece (`sentencepiece.bpe.model`) and fairseq's id
layout (<s> 0, <pad> 1, </s> 2, <unk> 3, each piece at its id + 1, the language tokens of
`tokenizer_config.json` after the pieces), as Hugging Face's NllbTokenizer does — or,
with a `vocab.json` (M2M100), each piece at its id there and the language tokens of
`special_tokens_map.json` after them, as M2M100Tokenizer does: a source is [language]
pieces </s>, SOURCE_LANGUAGE the token as written (`arb_Arab`, `__ar__`). Then runs M2M100 in NumPy from model.safetensors (pre-norm
blocks, a norm after each stack, fairseq's sinusoidal positions from padding id + 1,
embeddings scaled by sqrt(d_model), the vocabulary projection tied to the embeddings)
and decodes greedily from </s> with eng_Latn forced first, the padding token never
chosen, for at most min(256, ceil(2 x source tokens) + 10) tokens (toex's length guard).
Prints [{"ids": source ids, "output": output ids without start, language and end}, ...].
"""

import json
import math
import sys

import numpy as np
import sentencepiece as spm
from safetensors.numpy import load_file

model, source_language = sys.argv[1], sys.argv[2]
cfg = json.load(open(f"{model}/config.json"))
w = load_file(f"{model}/model.safetensors")
sp = spm.SentencePieceProcessor(model_file=f"{model}/sentencepiece.bpe.model")
OFFSET = 1
try:
    vocab = json.load(open(f"{model}/vocab.json"))
    codes = json.load(open(f"{model}/special_tokens_map.json"))["additional_special_tokens"]
    language = {code: len(vocab) + i for i, code in enumerate(codes)}
    target = language["__en__"]
except FileNotFoundError:
    vocab = None
    codes = json.load(open(f"{model}/tokenizer_config.json"))["additional_special_tokens"]
    language = {code: sp.get_piece_size() + OFFSET + i for i, code in enumerate(codes)}
    target = language["eng_Latn"]
pad, eos, start = cfg["pad_token_id"], cfg["eos_token_id"], cfg["decoder_start_token_id"]
d = cfg["d_model"]
heads = cfg["decoder_attention_heads"]
assert cfg["activation_function"] == "relu"
scale = math.sqrt(d) if cfg.get("scale_embedding") else 1.0
embeddings = w["model.shared.weight"]
bias = w.get("final_logits_bias", np.zeros((1, embeddings.shape[0]), np.float32))[0]


def sinusoids(n, dim, padding_idx):
    half = dim // 2
    freq = np.exp(np.arange(half) * -(math.log(10000) / (half - 1)))
    angles = np.arange(n)[:, None] * freq[None, :]
    table = np.concatenate([np.sin(angles), np.cos(angles)], 1)
    table[padding_idx] = 0
    return table.astype(np.float32)


positions = sinusoids(cfg["max_position_embeddings"] + pad + 1, d, pad)


def encode(line):
    if vocab is not None:
        ids = [vocab.get(piece, 3) for piece in sp.encode(line, out_type=str)]
    else:
        ids = [i + OFFSET if i != sp.unk_id() else 3 for i in sp.encode(line)]
    return [language[source_language]] + ids + [eos]


def norm(x, p):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w[p + ".weight"] + w[p + ".bias"]


def dense(x, p):
    return x @ w[p + ".weight"].T + w[p + ".bias"]


def heads_of(m):
    return m.reshape(m.shape[0], heads, -1).transpose(1, 0, 2)


def attend(q, k, v, p):
    """q: (heads, tq, dh) already scaled; k, v: (heads, tk, dh)."""
    s = q @ k.transpose(0, 2, 1)
    s = np.exp(s - s.max(-1, keepdims=True))
    s /= s.sum(-1, keepdims=True)
    ctx = (s @ v).transpose(1, 0, 2).reshape(q.shape[1], d)
    return dense(ctx, p + ".out_proj")


def query(x, p):
    return heads_of(dense(x, p + ".q_proj") * (d // heads) ** -0.5)


def ffn(x, p):
    return dense(np.maximum(dense(norm(x, p + ".final_layer_norm"), p + ".fc1"), 0), p + ".fc2")


def embed(ids, first):
    # create_position_ids_from_input_ids: non-padding tokens count from padding id + 1.
    at = np.arange(first, first + len(ids)) + pad + 1
    return embeddings[ids] * scale + positions[at]


def encoder(ids):
    x = embed(np.array(ids), 0)
    for layer in range(cfg["encoder_layers"]):
        p = f"model.encoder.layers.{layer}"
        h = norm(x, p + ".self_attn_layer_norm")
        a = p + ".self_attn"
        x = x + attend(query(h, a), heads_of(dense(h, a + ".k_proj")),
                       heads_of(dense(h, a + ".v_proj")), a)
        x = x + ffn(x, p)
    return norm(x, "model.encoder.layer_norm")


def translate(ids):
    memory = encoder(ids)
    cross = []
    for layer in range(cfg["decoder_layers"]):
        a = f"model.decoder.layers.{layer}.encoder_attn"
        cross.append((heads_of(dense(memory, a + ".k_proj")), heads_of(dense(memory, a + ".v_proj"))))
    cache = [[None, None] for _ in range(cfg["decoder_layers"])]
    limit = max(1, min(256, math.ceil(len(ids) * 2.0) + 10, cfg["max_position_embeddings"] - 2))
    tokens, out = [start, target], []
    for step in range(len(tokens) - 1 + limit):
        y = embed(np.array([tokens[step]]), step)
        for layer in range(cfg["decoder_layers"]):
            p = f"model.decoder.layers.{layer}"
            a = p + ".self_attn"
            h = norm(y, p + ".self_attn_layer_norm")
            k, v = heads_of(dense(h, a + ".k_proj")), heads_of(dense(h, a + ".v_proj"))
            if cache[layer][0] is not None:
                k = np.concatenate([cache[layer][0], k], 1)
                v = np.concatenate([cache[layer][1], v], 1)
            cache[layer] = [k, v]
            y = y + attend(query(h, a), k, v, a)
            c = p + ".encoder_attn"
            y = y + attend(query(norm(y, p + ".encoder_attn_layer_norm"), c), *cross[layer], c)
            y = y + ffn(y, p)
        if step + 1 < len(tokens):
            continue  # the forced language token
        logits = norm(y, "model.decoder.layer_norm")[0] @ embeddings.T + bias
        logits[pad] = -np.inf
        t = int(np.argmax(logits))
        if t == eos:
            break
        out.append(t)
        tokens.append(t)
        if len(out) >= limit:
            break
    return out


rows = []
for line in sys.stdin.read().split("\n"):
    ids = encode(line)
    rows.append({"ids": ids, "output": translate(ids)})
print(json.dumps(rows))
