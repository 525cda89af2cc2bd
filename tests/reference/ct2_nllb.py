"""CTranslate2 itself on an NLLB-200 folder, for toex's tests of CTranslate2 folders
(never used at run time).

Usage: ct2_nllb.py MODEL_DIR OUT_DIR QUANTIZATION SOURCE_LANGUAGE < lines > JSON
Converts the Hugging Face folder MODEL_DIR into a CTranslate2 folder OUT_DIR with
CTranslate2's own writer (ct2_convert.py; QUANTIZATION float32 or int8) and copies its
sentencepiece.bpe.model, as converted NLLB-200 folders ship it. Then CTranslate2
translates each stdin line, written `LIMIT<TAB>TEXT`: tokenised with Google's
sentencepiece into NLLB's pieces, `[SOURCE_LANGUAGE] pieces </s>`, decoded greedily with
eng_Latn forced first and at most LIMIT tokens after it (toex's length guard).
Prints [{"tokens": the source tokens, "output": the output tokens after eng_Latn}, ...].
"""

import json
import os
import shutil
import sys

import ctranslate2
import sentencepiece as spm

from ct2_convert import convert_m2m100

model, out, quantization, language = sys.argv[1:5]
convert_m2m100(model, out, quantization)
shutil.copy(os.path.join(model, "sentencepiece.bpe.model"), out)
sp = spm.SentencePieceProcessor(model_file=os.path.join(model, "sentencepiece.bpe.model"))
translator = ctranslate2.Translator(out, device="cpu", compute_type=quantization, intra_threads=1)
rows = []
for line in sys.stdin.read().splitlines():
    limit, text = line.split("\t", 1)
    tokens = [language] + sp.encode(text, out_type=str) + ["</s>"]
    result = translator.translate_batch(
        [tokens], target_prefix=[["eng_Latn"]], beam_size=1, max_decoding_length=int(limit) + 1
    )[0]
    rows.append({"tokens": tokens, "output": result.hypotheses[0][1:]})
print(json.dumps(rows, ensure_ascii=False))
