"""Two builds of toex side by side on the same transcription and translation work:
each workload runs with the earlier build and this one alternately, ROUNDS times, and
the table shows the median seconds of each and the ratio (earlier / this: above 1, this
build is faster). Outputs are compared too: the same model and settings should decode
to the same text. Asserts nothing.

  python bench/versus.py BEFORE_BIN AFTER_BIN MODELS_DIR WORK_DIR [--rounds 2]
"""

import argparse
import pathlib
import statistics
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from transcribe import build_clips, run_toex  # noqa: E402


def translate(binary, lines, model, precision, batch, beam, tokens):
    p = subprocess.run(
        [binary, "translate", str(lines), "--from", "ar", "--model", str(model),
         "--batch", str(batch), "--beam", str(beam), "--precision", precision],
        capture_output=True, text=True, check=True,
        env={"TOEX_TRANSLATION_MAX_TOKENS": str(tokens), "PATH": "/usr/bin:/bin"})
    line = [l for l in p.stderr.splitlines() if l.startswith("translated")][-1]
    return float(line.split("characters) in ")[1].split(" s")[0]), p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("models")
    ap.add_argument("work")
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    work = pathlib.Path(a.work)
    clips = build_clips(work)
    jobs = []
    whisper = pathlib.Path(a.models) / "whisper-tiny.en"
    clip = clips["110s"][0]
    for precision in ["f32", "int8"]:
        for beam in [1, 5]:
            jobs.append((f"transcribe tiny.en {precision} beam {beam}, 110 s",
                         lambda b, p=precision, k=beam: run_toex(b, whisper, clip, p, k)[:2]))
    lines, model = work / "lines.txt", work / "opus-mt-ar-en-random"
    short = work / "lines-100.txt"
    short.write_text("".join(lines.read_text().splitlines(keepends=True)[:100]))
    for precision in ["f32", "int8"]:
        jobs.append((f"translate {precision} batch 32 beam 1, 400 lines × 24 tokens",
                     lambda b, p=precision: translate(b, lines, model, p, 32, 1, 24)))
    jobs.append(("translate f32 batch 8 beam 4, 100 lines (ends of their own)",
                 lambda b: translate(b, short, work / "opus-mt-ar-en-random-eos", "f32", 8, 4, 24)))
    print(f"{'workload':62} | {'before s':>8} | {'after s':>8} | before/after | same output")
    for name, job in jobs:
        times = {"before": [], "after": []}
        outputs = {}
        for _ in range(a.rounds):
            for side, binary in [("before", a.before), ("after", a.after)]:
                secs, out = job(binary)
                times[side].append(secs)
                outputs[side] = out
        b, f = statistics.median(times["before"]), statistics.median(times["after"])
        same = "yes" if outputs["before"] == outputs["after"] else "NO"
        print(f"{name:62} | {b:8.2f} | {f:8.2f} | {b / f:11.2f}× | {same}", flush=True)


if __name__ == "__main__":
    main()
