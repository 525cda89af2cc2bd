"""A seized phone download's archive for the ingest benchmark: COUNT files of invented
material in the mix analysts receive (chat logs, PDFs, Word files, emails, spreadsheets,
photos with GPS, scanned pages for OCR), made by the same tools as the tests' fixtures.

Usage: archive.py OUT.zip [COUNT] [SEED]
"""

import datetime
import email.message
import email.utils
import io
import os
import random
import sys
import tempfile
import zipfile

import docx
import openpyxl
from fpdf import FPDF
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "reference"))
import pages  # noqa: E402

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 500
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 5)

# Shares of the mix, per 100 files; scans are few because each costs seconds of OCR.
MIX = [("chat", 55), ("pdf", 12), ("docx", 10), ("eml", 10), ("xlsx", 5), ("photo", 6), ("scan", 2)]


def lines(lang, n):
    return pages.sentences(rng, lang, n)


def chat(i):
    start = datetime.datetime(2024, 3, 1, 18, 0) + datetime.timedelta(hours=i)
    names = ["Jay", "Dana", "Kyle", "خالد", "عمر"]
    body = []
    for k, line in enumerate(lines(rng.choice(["en", "ar"]), rng.randint(5, 30))):
        when = start + datetime.timedelta(minutes=3 * k)
        body.append(f"{when:%d/%m/%Y, %H:%M} - {rng.choice(names)}: {line}")
    return f"chats/chat-{i:04}.txt", ("\n".join(body) + "\n").encode()


def pdf(i):
    doc = pages.new_pdf()
    for _ in range(rng.randint(1, 3)):
        pages.typeset(doc, lines("en", 12), "en", 11)
    return f"documents/statement-{i:04}.pdf", bytes(doc.output())


def word(i):
    d = docx.Document()
    for line in lines("en", rng.randint(4, 15)):
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return f"documents/note-{i:04}.docx", buf.getvalue()


def mail(i):
    m = email.message.EmailMessage()
    m["From"] = "jay.marsden@example.invalid"
    m["To"] = "dana.w@example.invalid"
    m["Subject"] = f"re: pick up {i}"
    m["Date"] = email.utils.format_datetime(
        datetime.datetime(2024, 3, 1, 9, 0, tzinfo=datetime.timezone.utc) + datetime.timedelta(hours=i))
    m.set_content("\n".join(lines("en", rng.randint(2, 8))))
    return f"mail/message-{i:04}.eml", m.as_bytes()


def sheet(i):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Calls"
    ws.append(["Date", "From", "To", "Seconds"])
    for k in range(rng.randint(20, 200)):
        ws.append([f"2024-03-{1 + k % 28:02} {k % 24:02}:{k % 60:02}",
                   f"07700 900{rng.randint(100, 999)}", f"07700 900{rng.randint(100, 999)}",
                   rng.randint(5, 900)])
    buf = io.BytesIO()
    wb.save(buf)
    return f"records/calls-{i:04}.xlsx", buf.getvalue()


def photo(i):
    image = Image.new("RGB", (800, 600), (rng.randint(0, 255), rng.randint(0, 255), 90))
    exif = Image.Exif()
    exif[0x010F] = "Samsung"
    exif.get_ifd(0x8769)[0x9003] = f"2024:03:{1 + i % 28:02} 21:{i % 60:02}:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (53.0, 47.0 + rng.random(), 10.0 * rng.random())
    gps[3], gps[4] = "W", (1.0, 32.0 + rng.random(), 10.0 * rng.random())
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif, quality=80)
    return f"DCIM/IMG_{i:04}.jpg", buf.getvalue()


def scan(i):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "scan.png")
        lang = rng.choice(["en", "ar"])
        pages.scan(lines(lang, 15), lang, path, rng)
        buf = io.BytesIO()
        Image.open(path).save(buf, "JPEG", quality=75)
        return f"scans/scan-{i:04}.jpg", buf.getvalue()


makers = {"chat": chat, "pdf": pdf, "docx": word, "eml": mail, "xlsx": sheet, "photo": photo, "scan": scan}
plan = [kind for kind, share in MIX for _ in range(round(count * share / 100))]
plan = (plan + ["chat"] * count)[:count]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for i, kind in enumerate(plan):
        name, data = makers[kind](i)
        z.writestr(name, data)
print(" ".join(f"{kind} {plan.count(kind)}" for kind, _ in MIX))
