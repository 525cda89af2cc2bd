"""CTranslate2's half of bench/translate.sh, and the side-by-side table.

Converts the random model that toex translated with (Hugging Face layout) to
CTranslate2's format (tests/reference/ct2_convert.py: as CTranslate2's own Transformers
converter would, from the safetensors file with NumPy). Then translates the same source
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from ct2_convert import convert, convert_m2m100  # noqa: E402


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
