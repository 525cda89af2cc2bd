"""Transcription benchmark driver: builds the clips, runs `toex transcribe` and
faster-whisper side by side on the same CTranslate2 model files and audio, and prints
real-time factor, speed ratio, word error rate and peak memory. Asserts nothing.

  python bench/transcribe.py TOEX_BIN MODELS_DIR WORK_DIR [--models tiny.en,base]
      [--precisions f32,int8] [--beams 1,5]
"""

import argparse
import json
import pathlib
import resource
import subprocess
import sys
import time
import wave

CLIPS = ["Front_Center", "Front_Left", "Front_Right", "Rear_Center", "Rear_Left",
         "Rear_Right", "Side_Left", "Side_Right"]
ALSA = pathlib.Path("/usr/share/sounds/alsa")


def build_clips(work: pathlib.Path):
    """11 s of real speech (the eight alsa-utils voice clips in a row) and 110 s (ten times)."""
    frames, params = [], None
    for name in CLIPS:
        with wave.open(str(ALSA / f"{name}.wav")) as w:
            params = w.getparams()
            frames.append(w.readframes(w.getnframes()))
    words = " ".join(n.replace("_", " ").lower() for n in CLIPS)
    out = {}
    for label, times in [("11s", 1), ("110s", 10)]:
        path = work / f"speech-{label}.wav"
        with wave.open(str(path), "wb") as w:
            w.setparams(params)
            for _ in range(times):
                for f in frames:
                    w.writeframes(f)
        with wave.open(str(path)) as w:
            seconds = w.getnframes() / w.getframerate()
        out[label] = (path, seconds, " ".join([words] * times))
    return out


def normalise(text: str) -> list:
    text = text.lower().replace("centre", "center")
    return "".join(c if c.isalnum() else " " for c in text).split()


def wer(ref: str, hyp: str) -> float:
    r, h = normalise(ref), normalise(hyp)
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)] / max(1, len(r))


def run_toex(binary, model, clip, precision, beam):
    started = time.perf_counter()
    p = subprocess.run(
        [binary, "transcribe", str(clip), "--model", str(model), "--format", "json",
         "--precision", precision, "--beam", str(beam), "--no-fallback"],
        capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    out = json.loads(p.stdout.strip().splitlines()[-1])
    text = " ".join(s["text"] for s in out["segments"])
    # Transcription time alone (loading excluded), from toex's own report.
    line = [l for l in p.stderr.splitlines() if l.startswith("transcribed")][-1]
    secs = float(line.split(" in ")[1].split(" s")[0])
    peak = int(line.rsplit("peak memory ", 1)[1].split()[0])
    return secs, text, peak, wall


FW_SCRIPT = r"""
import json, resource, sys, time
from faster_whisper import WhisperModel
model_dir, clip, compute, beam = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
m = WhisperModel(model_dir, device="cpu", compute_type=compute, cpu_threads=2)
t = time.perf_counter()
segments, info = m.transcribe(clip, beam_size=beam, condition_on_previous_text=False,
                              temperature=0.0)
text = " ".join(s.text for s in segments)
secs = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"secs": secs, "text": text, "peak": peak}))
"""


def run_fw(python, model, clip, precision, beam):
    compute = {"f32": "float32", "int8": "int8"}[precision]
    p = subprocess.run([python, "-c", FW_SCRIPT, str(model), str(clip), compute, str(beam)],
                       capture_output=True, text=True, check=True)
    out = json.loads(p.stdout.strip().splitlines()[-1])
    return out["secs"], out["text"], out["peak"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("toex")
    ap.add_argument("models")
    ap.add_argument("work")
    ap.add_argument("--models", dest="names", default="tiny.en,base")
    ap.add_argument("--precisions", default="f32,int8")
    ap.add_argument("--beams", default="1,5")
    ap.add_argument("--clips", default="11s,110s")
    a = ap.parse_args()
    work = pathlib.Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    clips = build_clips(work)
    print(f"{'model':8} {'prec':5} {'beam':4} {'clip':5} | {'toex s':>7} {'RTF':>6} {'WER':>5} {'MiB':>5}"
          f" | {'f-w s':>7} {'RTF':>6} {'WER':>5} {'MiB':>5} | speed ×f-w")
    for name in a.names.split(","):
        model = pathlib.Path(a.models) / f"whisper-{name}"
        for precision in a.precisions.split(","):
            for beam in [int(b) for b in a.beams.split(",")]:
                for label in a.clips.split(","):
                    clip, seconds, ref = clips[label]
                    ts, tt, tp, _ = run_toex(a.toex, model, clip, precision, beam)
                    fs, ft, fp = run_fw(sys.executable, model, clip, precision, beam)
                    print(f"{name:8} {precision:5} {beam:4} {label:5} | {ts:7.2f} {ts / seconds:6.3f} "
                          f"{wer(ref, tt):5.2f} {tp:5d} | {fs:7.2f} {fs / seconds:6.3f} "
                          f"{wer(ref, ft):5.2f} {fp:5d} | {fs / ts:5.2f}×", flush=True)


if __name__ == "__main__":
    main()
