"""The demo's seized material: what a phone download, a provider return and a seized laptop
of the synthetic network would hold (never real people), in the formats analysts receive.
Names, phones, e-mail addresses, vehicles and places come from the demo's own generated
CSVs, so what OCR, the email reader and the chat readers find links to the network.

  chats/       WhatsApp-style chats in English, Iraqi Arabic and Arabizi
  mail/        EML messages (some with Word and PDF attachments) and an MBOX
  statements/  PDF bank statements (text layer); one scanned statement (no text layer)
  documents/   Word witness statements
  records/     XLSX call records
  scans/       a scanned letter, and screenshots of an English and an Arabic chat (OCR)
  photos/      JPEG photos with EXIF date and GPS at the network's addresses
  exports/     a Telegram Desktop export (result.json) and an Instagram thread
  recordings/  voicemails spoken by espeak-ng's English voices, for Whisper to transcribe
               (its Arabic voice needs vowelled text, which chats do not have)
  download.zip a phone download holding more chats, photos and a mailbox

Usage: demo_files.py DEMO_DIR OUT_DIR [SEED]
"""

import csv
import datetime
import email.message
import email.utils
import io
import json
import mailbox
import os
import random
import subprocess
import sys
import tempfile
import zipfile

import docx
import openpyxl
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "reference"))
import pages  # noqa: E402  (typesetting and page rendering shared with the OCR tests)

demo, out = sys.argv[1], sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
UTC = datetime.timezone.utc


def rows(name):
    with open(os.path.join(demo, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


persons = {p["id"]: p for p in rows("persons.csv")}
held = {}
for r in rows("identifiers.csv"):
    held.setdefault(r["person_id"], []).append(r)
with open(os.path.join(demo, "planted.json"), encoding="utf-8") as f:
    planted = json.load(f)


def ident(pid, kind):
    found = [r for r in held.get(pid, []) if r["kind"] == kind]
    return found[0] if found else None


def latin(pid):
    """The name in Latin letters: the alias of an Arabic name, else the name."""
    p = persons[pid]
    return (p["aliases"].split("|")[0] or p["name"]) if not p["name"].isascii() else p["name"]


def first(pid):
    return latin(pid).split()[0]


aurora = planted["cse_suspects"]
others = [pid for pid, p in persons.items() if p["force"] == "WYP" and pid not in aurora
          and p["protected"] != "true"][:60]
cast = aurora + others
places = [r for rs in held.values() for r in rs if r["kind"] == "address" and r["lat"]]
shared = planted["shared_phone"]


def phone(pid):
    r = ident(pid, "phone")
    return r["value"] if r else shared


def vehicle(pid):
    r = ident(pid, "vehicle")
    return r["value"] if r else "YX19 ABC"


def address(pid):
    r = ident(pid, "address")
    return r["value"] if r else rng.choice(places)["value"]


def mail_of(pid):
    r = ident(pid, "email")
    return r["value"] if r else f"{first(pid).lower()}.{rng.randint(10, 99)}@example.invalid"


EN = [
    "new number {phone}, dont give it out",
    "pick up from {address} at {hour}",
    "taking the car, reg {vehicle}",
    "{other} says nobody talks to the police",
    "bring the girls to {address} tonight",
    "send the money to {other}, cash only",
    "ring me on {phone} when youre outside",
    "police were at {address} earlier, stay away",
]
AR = [
    "رقمي الجديد {phone} لا تنطيه لأحد",
    "السيارة {vehicle} بالكراج يم الشقة",
    "{other} يگول لا تحچي ويه الشرطة",
    "نلتقي باچر الصبح بـ{address}",
    "جيب الفلوس ويّاك",
]
ARABIZI = [
    "wen el sayara? 3end el garage",
    "5ali el phone m6fi, {other} y3arf",
    "ta3al 3ala {address} ba3d el 3asha",
    "7abibi la t7chi wiya a7ad",
]


def line(pid, other, lang):
    bank = {"en": EN, "ar": AR, "arabizi": ARABIZI}[lang]
    return rng.choice(bank).format(phone=phone(pid), address=address(pid), vehicle=vehicle(pid),
                                   other=latin(other) if lang != "ar" else persons[other]["name"],
                                   hour=f"{rng.randint(7, 23)}:{rng.choice(['00', '30'])}")


def when(i):
    return datetime.datetime(2024, 3, 1, 18, 0, tzinfo=UTC) + datetime.timedelta(hours=7 * i)


def write(rel, data):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def chat(i):
    a, b = rng.sample(cast, 2)
    lang = rng.choice(["en", "en", "ar", "arabizi"])
    body, t = [], when(i)
    for k in range(rng.randint(4, 16)):
        speaker, other = (a, b) if k % 2 == 0 else (b, a)
        name = persons[speaker]["name"] if lang == "ar" else first(speaker)
        t += datetime.timedelta(minutes=rng.randint(1, 40))
        body.append(f"{t:%d/%m/%Y, %H:%M} - {name}: {line(speaker, other, lang)}")
    return "\n".join(body) + "\n"


def statement_docx(pid, other):
    d = docx.Document()
    d.add_paragraph(f"Witness statement of {latin(pid)}")
    d.add_paragraph(f"I have known {latin(other)} for about a year. He uses the phone {phone(other)}.")
    d.add_paragraph(f"On {when(rng.randint(0, 60)):%d %B %Y} I saw him at {address(other)} "
                    f"driving {vehicle(other)}.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def bank_pdf(pid):
    pdf = pages.new_pdf()
    lines = [f"Statement for {latin(pid)}, account {rng.randint(10_000_000, 99_999_999)}, "
             f"sort code 20-{rng.randint(10, 99)}-{rng.randint(10, 99)}"]
    for k in range(rng.randint(6, 14)):
        payee = latin(rng.choice(cast))
        lines.append(f"{when(k):%d %b %Y}  transfer to {payee}  £{rng.randint(20, 900)}.00")
    pages.typeset(pdf, lines, "en", 10)
    return bytes(pdf.output()), lines


def message(sender, to, subject, body, t, attachments=()):
    m = email.message.EmailMessage()
    m["From"] = f"{latin(sender)} <{mail_of(sender)}>"
    m["To"] = f"{latin(to)} <{mail_of(to)}>"
    m["Subject"] = subject
    m["Date"] = email.utils.format_datetime(t)
    m["Message-ID"] = email.utils.make_msgid(domain="example.invalid")
    m.set_content(body)
    for name, data, maintype, subtype in attachments:
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m


def photo(i):
    place = rng.choice(places)
    image = Image.new("RGB", (960, 720), (rng.randint(40, 200), rng.randint(40, 200), rng.randint(40, 200)))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Samsung", "SM-A536B"
    exif.get_ifd(0x8769)[0x9003] = f"{when(i):%Y:%m:%d %H:%M:%S}"
    gps = exif.get_ifd(0x8825)

    def dms(value):
        value = abs(value)
        d, m = int(value), int((value % 1) * 60)
        return (float(d), float(m), round(((value % 1) * 60 - m) * 60, 2))

    lat, lon = float(place["lat"]), float(place["lon"])
    gps[1], gps[2] = ("N" if lat >= 0 else "S"), dms(lat)
    gps[3], gps[4] = ("E" if lon >= 0 else "W"), dms(lon)
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif, quality=80)
    return buf.getvalue()


def rendered(lines, lang, **kw):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "page.png")
        pages.scan(lines, lang, path, rng, **kw)
        with open(path, "rb") as f:
            return f.read()


for i in range(150):
    write(f"chats/chat-{i:03}.txt", chat(i))

mails = []
for i in range(40):
    a, b = rng.sample(cast, 2)
    attachments = []
    if i % 4 == 0:
        attachments.append((f"statement-{first(a).lower()}.docx", statement_docx(a, b), "application",
                            "vnd.openxmlformats-officedocument.wordprocessingml.document"))
    if i % 5 == 0:
        attachments.append(("invoice.pdf", bank_pdf(b)[0], "application", "pdf"))
    m = message(a, b, rng.choice(["the car", "tonight", "money", "re: the flat"]),
                "\n".join(line(a, b, "en") for _ in range(rng.randint(1, 4))), when(i), attachments)
    mails.append(m)
    write(f"mail/message-{i:03}.eml", m.as_bytes())

for i in range(12):
    data, _ = bank_pdf(rng.choice(cast))
    write(f"statements/statement-{i:02}.pdf", data)
for i in range(10):
    a, b = rng.sample(cast, 2)
    write(f"documents/witness-statement-{i:02}.docx", statement_docx(a, b))
for i in range(5):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Calls"
    ws.append(["Start", "Caller", "Called", "Seconds"])
    for k in range(rng.randint(30, 120)):
        a, b = rng.sample(cast, 2)
        ws.append([f"{when(k):%Y-%m-%d %H:%M}", phone(a), phone(b), rng.randint(5, 900)])
    buf = io.BytesIO()
    wb.save(buf)
    write(f"records/call-records-{i}.xlsx", buf.getvalue())

# Scans and screenshots, read back by OCR when ingested.
boss, runner = aurora[0], aurora[1]
write("scans/letter.png", rendered([
    "To whom it may concern,",
    f"I am writing about {latin(boss)}, who lives at {address(boss)}.",
    f"He gave my daughter a phone with the number {phone(boss)}",
    f"and collects girls in a car, registration {vehicle(runner)}.",
    "Please do something. I cannot give my name.",
], "en"))
_, lines = bank_pdf(runner)
scanned = pages.new_pdf()
scanned.add_page()
with tempfile.TemporaryDirectory() as tmp:
    page = os.path.join(tmp, "page.png")
    with open(page, "wb") as f:
        f.write(rendered(lines, "en", size=10))
    scanned.image(page, x=0, y=0, w=210)
    write("statements/statement-scanned.pdf", bytes(scanned.output()))
write("scans/screenshot-chat.png", rendered([
    f"{first(boss)}: new number {phone(boss)}",
    f"{first(runner)}: ok. where r u",
    f"{first(boss)}: {address(boss)}, come at 11",
], "en", size=13, page=(120, 90), scanned=False))
write("scans/screenshot-arabic.png", rendered([
    f"{persons[boss]['name']}: وين السيارة؟",
    f"{persons[runner]['name']}: بالكراج يم الشقة",
], "ar", size=13, page=(120, 90), scanned=False))

shots = [photo(i) for i in range(15)]
for i, shot in enumerate(shots):
    write(f"photos/IMG_{2400 + i}.jpg", shot)


def spoken(number):
    """A phone number as a caller reads it out: digit by digit, in its usual groups."""
    return ", ".join(" ".join("oh" if c == "0" else c for c in g) for g in number.split())


def speak(rel, voice, text):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", path, text], check=True)


carrier = aurora[2 % len(aurora)]
calls = [
    ("en-gb", f"Hi, it's {first(boss)}. This is my new number, {spoken(phone(boss))}. "
              f"Don't give it out. Pick them up from {address(boss)} at nine tonight."),
    ("en-gb", f"It's {first(runner)}. I've got the car, registration {' '.join(vehicle(runner))}. "
              f"Police were outside {address(runner)} earlier, so stay away from there."),
    ("en-us", f"Message for {first(carrier)}. {latin(boss)} wants the money by Friday, cash only. "
              f"Ring me back on {spoken(phone(runner))}."),
]
for k, (voice, text) in enumerate(calls):
    speak(f"recordings/call-{when(40 + k):%Y%m%d-%H%M}.wav", voice, text)

telegram = {"name": first(runner), "type": "personal_chat", "id": 4242, "messages": [
    {"id": k + 1, "type": "message", "date": f"{when(k):%Y-%m-%dT%H:%M:%S}",
     "from": first(a), "from_id": f"user{cast.index(a)}",
     **({"reply_to_message_id": k} if k and k % 3 == 0 else {}),
     "text": line(a, b, "en")}
    for k, (a, b) in enumerate([(boss, runner), (runner, boss)] * 6)]}
write("exports/telegram/result.json", json.dumps(telegram, ensure_ascii=False))
instagram = {"participants": [{"name": first(boss)}, {"name": first(runner)}], "title": first(runner),
             "messages": [{"sender_name": first(a), "timestamp_ms": int(when(k).timestamp() * 1000),
                           "content": line(a, b, "arabizi")}
                          for k, (a, b) in enumerate([(runner, boss), (boss, runner)] * 4)]}
write("exports/instagram/message_1.json", json.dumps(instagram))

with tempfile.TemporaryDirectory() as tmp:
    box = mailbox.mbox(os.path.join(tmp, "inbox.mbox"))
    for m in mails[:15]:
        box.add(m)
    box.flush()
    box.close()
    with open(os.path.join(tmp, "inbox.mbox"), "rb") as f:
        inbox = f.read()
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(30):
        z.writestr(f"WhatsApp/Chat-{i:02}.txt", chat(200 + i))
    for i in range(8):
        z.writestr(f"DCIM/Camera/IMG_{3100 + i}.jpg", photo(100 + i))
    # The same photo sent on WhatsApp: one document that knows both places.
    z.writestr("WhatsApp/Media/IMG-20240312-WA0003.jpg", shots[3])
    z.writestr("Mail/inbox.mbox", inbox)
write("download.zip", buf.getvalue())
print(f"demo seized material in {out}")
