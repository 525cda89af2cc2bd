"""Page images for OCR tests and the OCR benchmark, made as a scanner would: seeded
synthetic English and Arabic text (invented people and places) typeset by fpdf2 with
Debian's DejaVu fonts (HarfBuzz shaping for Arabic), rendered at 300 dpi by poppler's
pdftoppm, then skewed and given noise with Pillow. The text that was typeset is written
beside each image, for the character error rate.

Usage: pages.py OUT_DIR [PAGES_PER_LANGUAGE] [SEED]
  writes en-NN.png / en-NN.txt, ar-NN.png / ar-NN.txt, mix-NN.png / mix-NN.txt (a
  page with runs of English and Arabic lines), text.pdf (the same pages as a
  text layer) and scanned.pdf (the page images as JPEGs, no text layer).
"""

import os
import random
import subprocess
import sys
import tempfile

from fpdf import FPDF
from PIL import Image

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

EN_NAMES = ["Dana Whitlock", "Jay Marsden", "Kyle Ostby", "Amira Tull", "Reece Pardoe", "Leah Brannigan"]
EN_PLACES = ["Kirkgate garage", "Station Road", "the Eastfield hotel", "Bramley Lane", "the takeaway on Low Street"]
EN_THINGS = ["a silver Vauxhall", "two phones", "£300 in cash", "a black holdall", "the flat keys"]
EN_TEMPLATES = [
    "On {day} {a} met {b} at {place} at {time}.",
    "{a} said that {b} brought {thing} to {place}.",
    "I saw {a} leave {place} with {thing} shortly after {time}.",
    "{b} told me to wait near {place} until {a} called.",
    "The girl was collected from {place} in {thing} on {day}.",
    "{a} paid {b} for the room and kept {thing}.",
]
AR_NAMES = ["خالد الجبوري", "عمر الساعدي", "يوسف الدليمي", "سارة العبيدي", "أحمد الربيعي"]
AR_PLACES = ["الفندق", "الكراج", "محطة القطار", "الشقة في الشارع الثاني", "المحل قرب المدرسة"]
AR_THINGS = ["السيارة البيضاء", "هاتفين", "الفلوس نقدا", "الحقيبة السوداء", "مفاتيح البيت"]
AR_DAYS = ["يوم الاثنين", "يوم الخميس", "يوم الجمعة", "بعد منتصف الليل"]
AR_TEMPLATES = [
    "قال {a} إنه التقى {b} في {place} {day}.",
    "أخذ {a} {thing} من {place} ثم اتصل بـ{b}.",
    "طلب {b} من البنت أن تنتظر في {place}.",
    "رأيت {a} يخرج من {place} ومعه {thing}.",
    "دفع {a} ثمن الغرفة إلى {b} {day}.",
]
EN_DAYS = ["Monday", "Thursday", "Friday", "12 March", "the Saturday night"]


def sentences(rng, lang, count):
    if lang == "en":
        names, places, things, days, templates = EN_NAMES, EN_PLACES, EN_THINGS, EN_DAYS, EN_TEMPLATES
    else:
        names, places, things, days, templates = AR_NAMES, AR_PLACES, AR_THINGS, AR_DAYS, AR_TEMPLATES
    if lang == "mix":
        # A bilingual page: an English statement quoting Arabic messages, in runs.
        out = []
        while len(out) < count:
            out += sentences(rng, rng.choice(("en", "ar")), rng.randint(2, 4))
        return out[:count]
    out = []
    for _ in range(count):
        a, b = rng.sample(names, 2)
        out.append(rng.choice(templates).format(
            a=a, b=b, place=rng.choice(places), thing=rng.choice(things),
            day=rng.choice(days), time=f"{rng.randint(7, 23)}:{rng.choice(['00', '15', '30', '45'])}"))
    return out


def is_arabic(line):
    return any("\u0600" <= c <= "\u06ff" for c in line)


def typeset(pdf, lines, lang, size=12):
    """Adds a page holding `lines`, Arabic lines right-aligned (on a mixed page too)."""
    pdf.add_page()
    pdf.set_font("dv", size=size)
    for line in lines:
        pdf.multi_cell(0, size * 0.55, line, align="R" if is_arabic(line) else "L",
                       new_x="LMARGIN", new_y="NEXT")


def new_pdf(page="A4"):
    pdf = FPDF(format=page)
    pdf.add_font("dv", fname=FONT)
    pdf.set_text_shaping(True)
    pdf.set_margins(20, 20, 20)
    return pdf


def scan(lines, lang, png, rng, size=12, page="A4", scanned=True):
    """Typesets `lines` and renders the page at 300 dpi; a scan is skewed and noised, a
    screenshot is not."""
    with tempfile.TemporaryDirectory() as tmp:
        pdf = new_pdf(page)
        typeset(pdf, lines, lang, size)
        pdf.output(os.path.join(tmp, "page.pdf"))
        subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile",
                        os.path.join(tmp, "page.pdf"), os.path.join(tmp, "page")], check=True)
        image = Image.open(os.path.join(tmp, "page.png")).convert("L")
    if not scanned:
        image.save(png)
        return
    image = image.rotate(rng.uniform(-1.5, 1.5), resample=Image.BICUBIC, expand=True, fillcolor=255)
    noise = Image.effect_noise(image.size, 48)
    Image.blend(image, noise, 0.12).save(png, dpi=(300, 300))


def main():
    out = sys.argv[1]
    per_language = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 29)
    os.makedirs(out, exist_ok=True)
    text_pdf = new_pdf()
    scanned = []
    for lang in ("en", "ar", "mix"):
        for n in range(per_language):
            lines = sentences(rng, lang, 22)
            stem = os.path.join(out, f"{lang}-{n:02}")
            scan(lines, lang, stem + ".png", rng)
            with open(stem + ".txt", "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
            typeset(text_pdf, lines, lang)
            scanned.append(stem + ".png")
    text_pdf.output(os.path.join(out, "text.pdf"))
    # A scanner's PDF holds each page as a JPEG.
    scanned_pdf = FPDF(format="A4")
    with tempfile.TemporaryDirectory() as tmp:
        for n, png in enumerate(scanned):
            jpeg = os.path.join(tmp, f"{n}.jpg")
            Image.open(png).save(jpeg, quality=75)
            scanned_pdf.add_page()
            scanned_pdf.image(jpeg, x=0, y=0, w=210)
        scanned_pdf.output(os.path.join(out, "scanned.pdf"))


if __name__ == "__main__":
    main()
