"""Reference all-MiniLM-L6-v2 embeddings for toex's tests (never used at run time).

Usage: minilm.py MODEL_DIR < sentences (one per line) > JSON
Tokenises with Hugging Face `tokenizers` (tokenizer.json, truncated to 256) and runs
the BERT forward pass in NumPy from model.safetensors, then mean-pools and normalises,
as sentence-transformers does. Prints [{"ids": [...], "vector": [...]}, ...].
"""

import json
import sys

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from tokenizers import Tokenizer

model = sys.argv[1]
w = {k: v.astype(np.float64) for k, v in load_file(f"{model}/model.safetensors").items()}
config = json.load(open(f"{model}/config.json"))
heads = config["num_attention_heads"]
tok = Tokenizer.from_file(f"{model}/tokenizer.json")
tok.enable_truncation(256)
tok.no_padding()


def norm(x, p, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w[p + ".weight"] + w[p + ".bias"]


def dense(x, p):
    return x @ w[p + ".weight"].T + w[p + ".bias"]


def embed(ids):
    t = len(ids)
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:t]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = norm(x, "embeddings.LayerNorm")
    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        q, k, v = (dense(x, p + f"attention.self.{n}") for n in ("query", "key", "value"))
        dh = q.shape[-1] // heads
        split = lambda m: m.reshape(t, heads, dh).transpose(1, 0, 2)
        q, k, v = split(q), split(k), split(v)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        ctx = (scores @ v).transpose(1, 0, 2).reshape(t, heads * dh)
        x = norm(x + dense(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        h = dense(x, p + "intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))
        x = norm(x + dense(h, p + "output.dense"), p + "output.LayerNorm")
    v = x.mean(0)
    return v / np.linalg.norm(v)


out = []
for line in sys.stdin.read().splitlines():
    ids = tok.encode(line).ids
    out.append({"ids": ids, "vector": embed(np.array(ids)).tolist()})
print(json.dumps(out))
