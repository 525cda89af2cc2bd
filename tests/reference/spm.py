"""SentencePiece reference for toex's tokeniser (inference/tests/spm_reference.rs).

Trains a small model (Google's sentencepiece) on a seeded corpus of chat-like lines,
writes it to DIR/m.model, then prints, as JSON, the pieces and ids sentencepiece gives
each line read from stdin, and its decoding of them. `unigram` (the default, as OPUS-MT
uses): English and Iraqi Arabic, 100 pieces; `bpe` (as NLLB-200 uses): those and the
other languages exploitation cases bring, 600 pieces.
Usage: spm.py DIR [unigram|bpe] < lines
"""
import json
import random
import sys

import sentencepiece as spm

EN = ("the car is at the garage near the flat bring the package tonight meet me after "
      "school phone number new silver golf behind the takeaway police are around do not "
      "talk to anyone money tomorrow morning where are you coming now").split()
AR = ("السيارة بالكراج يم الشقة جيب الاغراض الليلة رقمي الجديد لا تنطيه لأحد الشرطة "
      "بالمنطقة لا تجي هسه نلتقي باچر الصبح وين انت جاي هسه الفلوس البنات المدرسة").split()

VI = "anh đang ở đâu mai gặp nhau ở nhà hàng tiền cảnh sát đừng nói với ai điện thoại mới".split()
SQ = "ku je nesër takohemi te shtëpia paratë policia mos i thuaj askujt numri i ri".split()
RO = "unde ești mâine ne vedem la mașină banii poliția nu spune nimănui telefonul nou".split()
PL = "gdzie jesteś jutro spotkamy się pieniądze policja nie mów nikomu nowy numer".split()
FA = "کجایی فردا همدیگر را می بینیم پول پلیس به کسی نگو شماره جدید".split()
AM = "የት ነህ ነገ እንገናኛለን ገንዘብ ፖሊስ ለማንም አትንገር አዲስ ስልክ".split()
ZH = "你 在 哪里 明天 见 钱 警察 不要 告诉 任何人 新 号码".split()

def corpus(kinds):
    rng = random.Random(7)
    for _ in range(3000):
        words = rng.choice(kinds)
        yield " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))

def main():
    out = sys.argv[1]
    kind = sys.argv[2] if len(sys.argv) > 2 else "unigram"
    kinds = [EN, AR] if kind == "unigram" else [EN, AR, VI, SQ, RO, PL, FA, AM, ZH]
    if hasattr(spm, "set_random_generator_seed"):
        spm.set_random_generator_seed(7)
    spm.SentencePieceTrainer.train(
        sentence_iterator=corpus(kinds), model_prefix=f"{out}/m",
        vocab_size=100 if kind == "unigram" else 600, model_type=kind, character_coverage=1.0, normalization_rule_name="nmt_nfkc",
        unk_id=1, bos_id=-1, eos_id=0, pad_id=2, minloglevel=2, num_threads=1,
    )
    sp = spm.SentencePieceProcessor(model_file=f"{out}/m.model")
    rows = []
    for line in sys.stdin.read().split("\n"):
        ids = sp.encode(line)
        rows.append({"pieces": [sp.id_to_piece(i) for i in ids], "ids": ids,
                     "decoded": sp.decode(ids)})
    json.dump(rows, sys.stdout, ensure_ascii=False)

if __name__ == "__main__":
    main()
