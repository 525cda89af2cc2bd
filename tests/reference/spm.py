"""SentencePiece reference for toex's unigram tokeniser (inference/tests/spm_reference.rs).

Trains a small unigram model (Google's sentencepiece) on a seeded corpus of English and
Iraqi-Arabic chat-like lines, writes it to DIR/m.model, then prints, as JSON, the pieces
and ids sentencepiece gives each line read from stdin, and its decoding of them.
Usage: spm.py DIR < lines
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

def corpus():
    rng = random.Random(7)
    for _ in range(3000):
        words = EN if rng.random() < 0.5 else AR
        yield " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))

def main():
    out = sys.argv[1]
    if hasattr(spm, "set_random_generator_seed"):
        spm.set_random_generator_seed(7)
    spm.SentencePieceTrainer.train(
        sentence_iterator=corpus(), model_prefix=f"{out}/m", vocab_size=100,
        model_type="unigram", character_coverage=1.0, normalization_rule_name="nmt_nfkc",
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
