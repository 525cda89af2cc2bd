"""Mixed-language speech: recordings that switch language (and run past Whisper's 30 s
windows without a pause), spoken by espeak-ng's voices, through `toex transcribe` and
faster-whisper (multilingual) with the same Whisper base model files. Prints, per
recording and per language, the word error rate, the reference words lost (deletions)
and, for toex, the share of that language's segments labelled with it. Asserts nothing.

  python bench/mixed.py TOEX_BIN MODEL_DIR WORK_DIR [--precision int8]
"""

import argparse
import json
import pathlib
import subprocess
import sys
import wave

# Fictional narration, written for this bench.
EN_LONG = (
    "The analyst opened the file at nine in the morning and read the statement again. "
    "The witness said that a white van had stopped outside the launderette on Bradford "
    "Road twice a week since the spring, always after dark, and that two young women had "
    "been taken from the flat above the shop to a car park near the canal. She remembered "
    "the first letters of the number plate, the colour of the driver's jacket and the name "
    "of the takeaway on the corner. She said the driver spoke on the phone in a language "
    "she did not know, and that the same phone number was written on a card in the window "
    "of the shop. The analyst wrote the details on the board and asked the team to check "
    "the cameras on the ring road for the nights the witness had named."
)
DE = (
    "Der Fahrer wartete jeden Abend vor dem Bahnhof und sprach mit niemandem. Am Freitag "
    "brachte er zwei Frauen in eine Wohnung am Stadtrand, wo schon drei andere Menschen "
    "lebten. Die Nachbarn hörten nachts oft Stimmen und sahen morgens einen grauen Wagen "
    "vor dem Haus."
)
ES = (
    "Nos vemos esta noche en la estación. El conductor espera con la llave delante de la "
    "casa, y después vamos juntos al puerto para recoger el dinero."
)
EN_SHORT = (
    "Meet me at the petrol station on Leeds Road at ten tonight, and bring the keys for "
    "the silver car."
)

RECORDINGS = {
    # English past the first window's end with no pause, then German at once.
    "en-de": [("en", EN_LONG), ("de", DE)],
    # Switching back and forth within a window.
    "en-es-en": [("en", EN_SHORT), ("es", ES), ("en", EN_SHORT)],
}


def speak(text, voice, path):
    subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(path), text], check=True)


def build(work):
    """Each recording as one WAV, with where each part starts and ends (seconds)."""
    out = {}
    for name, parts in RECORDINGS.items():
        frames, params, spans, at = [], None, [], 0.0
        for i, (lang, text) in enumerate(parts):
            piece = work / f"{name}-{i}.wav"
            speak(text, lang, piece)
            with wave.open(str(piece)) as w:
                params = w.getparams()
                n = w.getnframes()
                frames.append(w.readframes(n))
                seconds = n / w.getframerate()
            spans.append((lang, text, at, at + seconds))
            at += seconds
        path = work / f"{name}.wav"
        with wave.open(str(path), "wb") as w:
            w.setparams(params)
            for f in frames:
                w.writeframes(f)
        out[name] = (path, spans, at)
    return out


def normalise(text):
    return "".join(c if c.isalnum() else " " for c in text.lower()).split()


def errors(ref, hyp):
    """(edits, deletions) of the best alignment of word lists `ref` and `hyp`."""
    r, h = ref, hyp
    d = [[(j, 0) for j in range(len(h) + 1)]]
    for i in range(1, len(r) + 1):
        row = [(i, i)]
        for j in range(1, len(h) + 1):
            sub = d[i - 1][j - 1]
            sub = (sub[0] + (r[i - 1] != h[j - 1]), sub[1])
            dele = (d[i - 1][j][0] + 1, d[i - 1][j][1] + 1)
            ins = (row[j - 1][0] + 1, row[j - 1][1])
            row.append(min(sub, dele, ins))
        d.append(row)
    return d[len(r)][len(h)]


def per_language(spans, segments):
    """Each part's reference against the words of the segments whose middle falls in it."""
    rows = []
    for lang, text, start, end in spans:
        inside = [s for s in segments if start <= (s["start"] + s["end"]) / 2 < end]
        hyp = normalise(" ".join(s["text"] for s in inside))
        ref = normalise(text)
        edits, deleted = errors(ref, hyp)
        labelled = [s for s in inside if "language" in s]
        right = sum(s["language"] == lang for s in labelled)
        share = f"{right}/{len(labelled)}" if labelled else "-"
        rows.append((lang, start, end, len(ref), edits / max(1, len(ref)), deleted, share))
    return rows


def run_toex(binary, model, clip, precision):
    p = subprocess.run([binary, "transcribe", str(clip), "--model", str(model), "--format",
                        "json", "--precision", precision, "--beam", "1"],
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])["segments"]


FW = r"""
import json, sys
from faster_whisper import WhisperModel
model_dir, clip, compute = sys.argv[1], sys.argv[2], sys.argv[3]
m = WhisperModel(model_dir, device="cpu", compute_type=compute, cpu_threads=2)
segments, _ = m.transcribe(clip, beam_size=1, multilingual=True,
                           condition_on_previous_text=False)
print(json.dumps([{"start": s.start, "end": s.end, "text": s.text} for s in segments]))
"""


def run_fw(model, clip, precision):
    compute = {"f32": "float32", "int8": "int8"}[precision]
    p = subprocess.run([sys.executable, "-c", FW, str(model), str(clip), compute],
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("toex")
    ap.add_argument("model")
    ap.add_argument("work")
    ap.add_argument("--precision", default="int8")
    a = ap.parse_args()
    work = pathlib.Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'recording':9} {'lang':4} {'from–to s':>11} {'words':>5} | {'toex WER':>8} "
          f"{'lost':>4} {'labelled':>8} | {'f-w WER':>7} {'lost':>4}")
    for name, (clip, spans, seconds) in build(work).items():
        toex = per_language(spans, run_toex(a.toex, a.model, clip, a.precision))
        fw = per_language(spans, run_fw(a.model, clip, a.precision))
        for t, f in zip(toex, fw):
            lang, start, end, words, wer, lost, share = t
            print(f"{name:9} {lang:4} {start:5.1f}–{end:5.1f} {words:5d} | {wer:8.3f} "
                  f"{lost:4d} {share:>8} | {f[4]:7.3f} {f[5]:4d}", flush=True)
        print(f"{name:9} ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
