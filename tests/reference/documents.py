"""Seized-material fixtures for toex's format tests, made with the tools that make such
files in the wild (never used at run time): python-docx, openpyxl, odfpy, python-pptx,
fpdf2 (PDFs, one password-protected), Python's email and mailbox (EML, MBOX), zipfile and
tarfile (archives, a bomb, one with ../ entries). Telegram and Instagram exports are
written in their providers' JSON shapes. All people, numbers and addresses are invented.

Usage: documents.py OUT_DIR
"""

import email.message
import email.utils
import io
import json
import mailbox
import os
import sys
import tarfile
import zipfile

import docx
import openpyxl
import pptx
from fpdf import FPDF
from odf.opendocument import OpenDocumentSpreadsheet, OpenDocumentText
from odf.table import Table, TableCell, TableRow
from odf.text import P

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name)


# Word: paragraphs and a table.
d = docx.Document()
d.add_paragraph("Witness statement of Dana Whitlock")
d.add_paragraph("I met Jay at the Kirkgate garage on 12 March at 21:15.")
table = d.add_table(rows=1, cols=2)
table.rows[0].cells[0].text = "Phone"
table.rows[0].cells[1].text = "07700 900461"
d.save(path("statement.docx"))

# Excel: call records on a second sheet, a date and a number.
import datetime

wb = openpyxl.Workbook()
wb.active.title = "Summary"
wb.active["A1"] = "Call records for operation KESTREL"
calls = wb.create_sheet("Calls")
calls.append(["From", "To", "When", "Seconds"])
calls.append(["07700 900461", "07700 900987", datetime.datetime(2024, 3, 12, 21, 15), 95])
calls.append(["07700 900987", "07700 900461", datetime.datetime(2024, 3, 12, 21, 40), 12])
calls["F9"] = "note far away"
wb.save(path("calls.xlsx"))

# OpenDocument text and spreadsheet.
odt = OpenDocumentText()
odt.text.addElement(P(text="Intelligence log entry 4471"))
odt.text.addElement(P(text="Vehicle YX19 KLM seen outside 14 Harrow Street."))
odt.save(path("log.odt"))
ods = OpenDocumentSpreadsheet()
sheet = Table(name="Vehicles")
for row in (["VRM", "Seen at"], ["YX19 KLM", "Harrow Street"]):
    tr = TableRow()
    for value in row:
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=value))
        tr.addElement(cell)
    sheet.addElement(tr)
ods.spreadsheet.addElement(sheet)
ods.save(path("vehicles.ods"))

# PowerPoint: two slides.
deck = pptx.Presentation()
for title, body in [("Operation KESTREL", "Briefing"), ("Subjects", "Jay Marsh, Dana Whitlock")]:
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = title
    slide.placeholders[1].text = body
deck.save(path("briefing.pptx"))


# PDFs: two pages of text and a blank third (a scan would be), and one with a password.
def statement_pdf():
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Bank statement for account 12345678, sort code 20-00-00.")
    pdf.add_page()
    pdf.multi_cell(0, 8, "Transfer of 450 GBP to Jay Marsh on 13 March.")
    pdf.add_page()
    return pdf


statement_pdf().output(path("statement.pdf"))
locked = statement_pdf()
locked.set_encryption(owner_password="owner-secret", user_password="user-secret")
locked.output(path("locked.pdf"))
with open(path("statement.pdf"), "rb") as f:
    whole = f.read()
with open(path("truncated.pdf"), "wb") as f:
    f.write(whole[: len(whole) // 3])


# Email: a message with a text attachment and a PDF attachment.
def message(sender, to, subject, body, when, attachments=()):
    m = email.message.EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = email.utils.format_datetime(when)
    m["Message-ID"] = email.utils.make_msgid(domain="example.invalid")
    m.set_content(body)
    for name, data, maintype, subtype in attachments:
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m


utc = datetime.timezone.utc
mail = message(
    "Jay Marsh <jay.marsh@example.invalid>",
    "dana.w@example.invalid",
    "the car",
    "Bring the car to the garage.\n\nCall me on 07700 900461.",
    datetime.datetime(2024, 3, 12, 20, 0, tzinfo=utc),
    [("directions.txt", b"Left at the mill, second unit.", "text", "plain"),
     ("statement.pdf", whole, "application", "pdf")],
)
with open(path("message.eml"), "wb") as f:
    f.write(mail.as_bytes())

box = mailbox.mbox(path("inbox.mbox"))
box.add(message("a@example.invalid", "b@example.invalid", "first", "First message.",
                datetime.datetime(2024, 3, 1, 9, 0, tzinfo=utc)))
box.add(mailbox.mboxMessage(b"this line is no header\n\nand nothing else"))
box.add(message("b@example.invalid", "a@example.invalid", "third", "Third message.",
                datetime.datetime(2024, 3, 2, 9, 0, tzinfo=utc)))
box.flush()
box.close()

# Archives: a phone download with nested files, a bomb, entries that climb out.
with zipfile.ZipFile(path("download.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("Documents/statement.docx", open(path("statement.docx"), "rb").read())
    z.writestr("Mail/message.eml", mail.as_bytes())
    z.writestr("notes/todo.txt", "Pay Jay 450 on Friday.\n")
    z.writestr("../escape.txt", "this must never be written outside the job\n")
    z.writestr("/etc/owned.txt", "nor this\n")
with zipfile.ZipFile(path("bomb.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("zeros.txt", b"\0" * (40 * 1024 * 1024))
with tarfile.open(path("bundle.tar.gz"), "w:gz") as t:
    data = "Meet at 9 by the canal.\n".encode()
    info = tarfile.TarInfo("chats/note.txt")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
    link = tarfile.TarInfo("chats/passwd")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    t.addfile(link)

# Provider exports.
telegram = {
    "name": "Jay",
    "type": "personal_chat",
    "id": 4242,
    "messages": [
        {"id": 1, "type": "message", "date": "2024-03-12T21:15:00", "from": "Jay",
         "from_id": "user1", "text": "you coming tonight?"},
        {"id": 2, "type": "service", "date": "2024-03-12T21:15:30", "actor": "Jay",
         "action": "pin_message", "text": ""},
        {"id": 3, "type": "message", "date": "2024-03-12T21:16:00", "from": "Dana",
         "from_id": "user2", "reply_to_message_id": 1,
         "text": ["yes, ", {"type": "bold", "text": "bring the car"}]},
        {"id": 4, "type": "message", "date": "2024-03-12T21:17:00", "from": "Dana",
         "from_id": "user2", "photo": "photos/photo_1.jpg", "text": ""},
    ],
}
with open(path("result.json"), "w", encoding="utf-8") as f:
    json.dump(telegram, f, ensure_ascii=False)


def mojibake(s):
    """What Meta's exports do to non-ASCII text."""
    return s.encode("utf-8").decode("latin-1")


instagram = {
    "participants": [{"name": "Jay"}, {"name": mojibake("Zoë")}],
    "messages": [
        {"sender_name": mojibake("Zoë"), "timestamp_ms": 1710278200000,
         "content": mojibake("on my way, café at 9")},
        {"sender_name": "Jay", "timestamp_ms": 1710278100000, "content": "where are you",
         "photos": [{"uri": "messages/inbox/jay/photos/1.jpg"}]},
    ],
    "title": "Jay",
}
with open(path("message_1.json"), "w", encoding="utf-8") as f:
    json.dump(instagram, f)


# Images: a scanned letter, a bilingual statement and a screenshot of an Arabic chat (typeset, rendered at 300 dpi,
# skewed and noised by pages.py, read back by OCR), a photo with EXIF date and GPS, a PDF
# whose second page is a scan, an image of 30,000 × 30,000 pixels, and text called .jpg.
import random  # noqa: E402
import struct  # noqa: E402
import zlib  # noqa: E402

from PIL import Image  # noqa: E402

import pages  # noqa: E402

rng = random.Random(11)
pages.scan(["Dear Sir, I write about the white van seen at Kirkgate garage.",
            "It carried two girls on 12 March at 21:15.",
            "Yours faithfully, Dana Whitlock"], "en", path("letter.png"), rng)
pages.scan(["خالد: وين السيارة البيضاء؟", "عمر: في الكراج قرب المحطة", "خالد: جيب الفلوس بكرة"],
           "ar", path("screenshot.png"), rng, size=13, page=(120, 90), scanned=False)
# A scanned statement in two scripts: English, quoting the Arabic messages it describes.
pages.scan(["I saw these messages on her phone on 12 March.",
            "خالد: وين السيارة البيضاء؟ جيب الفلوس بكرة",
            "He then told her to wait at Kirkgate garage.",
            "عمر: في الكراج قرب المحطة بعد منتصف الليل",
            "I have kept the phone and it is sealed as exhibit DW/4."],
           "mix", path("bilingual.png"), random.Random(12))

photo = Image.new("RGB", (640, 480), (90, 110, 70))
exif = Image.Exif()
exif[0x010F] = "Canon"
exif[0x0110] = "EOS 250D"
exif.get_ifd(0x8769)[0x9003] = "2024:03:12 21:15:00"
gps = exif.get_ifd(0x8825)
gps[1] = "N"
gps[2] = (53.0, 47.0, 48.6)
gps[3] = "W"
gps[4] = (1.0, 32.0, 52.2)
photo.save(path("photo.jpg"), exif=exif, quality=85)

mixed = FPDF()
mixed.set_font("helvetica", size=12)
mixed.add_page()
mixed.multi_cell(0, 8, "Exhibit DW/3: the letter found in the van, scanned on the next page.")
mixed.add_page()
mixed.image(path("letter.png"), x=0, y=0, w=210)
mixed.output(path("exhibit.pdf"))


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A real PNG of 30,000 × 30,000 one-bit pixels (all white), compressed row by row.
side = 30_000
squeeze = zlib.compressobj(9)
row = b"\x00" + b"\xff" * (side // 8)
with open(path("huge.png"), "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n")
    f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)))
    body = b"".join(squeeze.compress(row * 1000) for _ in range(side // 1000)) + squeeze.flush()
    f.write(chunk(b"IDAT", body))
    f.write(chunk(b"IEND", b""))

with open(path("not-a-photo.jpg"), "w", encoding="utf-8") as f:
    f.write("a text file with a photo's name\n")
