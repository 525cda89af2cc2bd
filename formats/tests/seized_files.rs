//! Seized-material formats read from files made by the tools that make them in the wild
//! (tests/reference/documents.py: python-docx, openpyxl, odfpy, python-pptx, fpdf2,
//! Python's email, mailbox, zipfile and tarfile), PDFs through poppler.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use toex_formats::{FormatError, Limits, Read, read};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The fixtures, made once per test run.
fn fixtures() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let python = std::env::var_os("REFERENCE_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join(".toex/venv/bin/python"));
        let status = Command::new(&python)
            .arg(repo_root().join("tests/reference/documents.py"))
            .arg(dir.path())
            .status()
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; run scripts/setup.sh --test to create the reference venv",
                    python.display()
                )
            });
        assert!(status.success(), "documents.py failed");
        dir
    })
    .path()
}

fn read_fixture(name: &str) -> Result<Read, FormatError> {
    let bytes = std::fs::read(fixtures().join(name)).unwrap();
    read(name, &bytes, &Limits::default())
}

fn document(name: &str) -> toex_formats::Parsed {
    read_fixture(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .document
        .unwrap_or_else(|| panic!("{name} has no document"))
}

fn texts(parsed: &toex_formats::Parsed) -> Vec<&str> {
    parsed.segments.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn word_and_opendocument_text_become_paragraphs() {
    let docx = document("statement.docx");
    assert_eq!(docx.source_type, "document");
    let t = texts(&docx);
    assert_eq!(t[0], "Witness statement of Dana Whitlock");
    assert!(t.contains(&"I met Jay at the Kirkgate garage on 12 March at 21:15."));
    assert!(
        t.contains(&"07700 900461"),
        "table cells are paragraphs too: {t:?}"
    );
    let odt = document("log.odt");
    assert_eq!(
        texts(&odt),
        [
            "Intelligence log entry 4471",
            "Vehicle YX19 KLM seen outside 14 Harrow Street."
        ]
    );
}

#[test]
fn spreadsheet_rows_keep_their_sheet_and_cell() {
    let xlsx = document("calls.xlsx");
    assert_eq!(xlsx.source_type, "spreadsheet");
    let rows: Vec<(&str, &str)> = xlsx
        .segments
        .iter()
        .map(|s| (s.cell.as_deref().unwrap(), s.text.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("Summary!A1", "Call records for operation KESTREL"),
            ("Calls!A1", "From | To | When | Seconds"),
            (
                "Calls!A2",
                "07700 900461 | 07700 900987 | 2024-03-12 21:15:00 | 95"
            ),
            (
                "Calls!A3",
                "07700 900987 | 07700 900461 | 2024-03-12 21:40:00 | 12"
            ),
            ("Calls!F9", "note far away"),
        ]
    );
    let ods = document("vehicles.ods");
    assert_eq!(ods.segments[1].text, "YX19 KLM | Harrow Street");
    assert_eq!(ods.segments[1].cell.as_deref(), Some("Vehicles!A2"));
}

#[test]
fn slides_are_pages() {
    let deck = document("briefing.pptx");
    assert_eq!(deck.source_type, "slides");
    let pages: Vec<(Option<u32>, &str)> = deck
        .segments
        .iter()
        .map(|s| (s.page, s.text.as_str()))
        .collect();
    assert_eq!(
        pages,
        [
            (Some(1), "Operation KESTREL\nBriefing"),
            (Some(2), "Subjects\nJay Marsh, Dana Whitlock")
        ]
    );
}

#[test]
fn pdf_text_keeps_its_page_and_blank_pages_wait_for_ocr() {
    let pdf = document("statement.pdf");
    assert_eq!(pdf.source_type, "pdf");
    assert_eq!(pdf.segments[0].page, Some(1));
    assert!(pdf.segments[0].text.contains("account 12345678"));
    assert_eq!(pdf.segments[1].page, Some(2));
    assert!(pdf.segments[1].text.contains("Jay Marsh"));
    assert_eq!(pdf.pages_without_text, [3]);
    assert!(
        pdf.tool
            .as_deref()
            .unwrap()
            .starts_with("poppler pdftotext ")
    );
    assert!(pdf.headers.contains(&("Pages".to_owned(), "3".to_owned())));
}

#[test]
fn locked_and_damaged_pdfs_say_why() {
    assert_eq!(
        read_fixture("locked.pdf").unwrap_err(),
        FormatError::Encrypted { format: "PDF" }
    );
    let err = read_fixture("truncated.pdf").unwrap_err();
    assert!(
        matches!(&err, FormatError::Damaged { format: "PDF", .. }),
        "{err}"
    );
    let err = read("fake.pdf", b"GIF89a not a pdf", &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("no %PDF- header"), "{err}");
}

#[test]
fn email_keeps_its_headers_and_attachments_become_members() {
    let read = read_fixture("message.eml").unwrap();
    let mail = read.document.as_ref().unwrap();
    assert_eq!(mail.source_type, "email");
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        header("From"),
        Some("Jay Marsh <jay.marsh@example.invalid>")
    );
    assert_eq!(header("Subject"), Some("the car"));
    assert_eq!(header("Date"), Some("2024-03-12T20:00:00Z"));
    let t = texts(mail);
    assert!(t[0].contains("jay.marsh@example.invalid") && t[0].contains("dana.w@example.invalid"));
    assert!(t.contains(&"Call me on 07700 900461."));
    assert!(
        mail.segments
            .iter()
            .all(|s| s.speaker.as_deref() == Some("Jay Marsh <jay.marsh@example.invalid>"))
    );
    let names: Vec<&str> = read.members.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(names, ["directions.txt", "statement.pdf"]);
    assert!(read.members[1].bytes.starts_with(b"%PDF-"));
}

#[test]
fn a_mailbox_gives_each_message_and_a_broken_one_fails_alone() {
    let mbox = read_fixture("inbox.mbox").unwrap();
    assert!(mbox.document.is_none());
    assert_eq!(mbox.members.len(), 3);
    let each: Vec<Result<Read, FormatError>> = mbox
        .members
        .iter()
        .map(|m| read(&m.path, &m.bytes, &Limits::default()))
        .collect();
    assert!(each[0].is_ok() && each[2].is_ok());
    let err = each[1].as_ref().unwrap_err();
    assert!(err.to_string().contains("no message headers"), "{err}");
}

#[test]
fn archives_keep_paths_and_refuse_entries_that_climb_out() {
    let zip = read_fixture("download.zip").unwrap();
    let kept: Vec<&str> = zip.members.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(
        kept,
        [
            "Documents/statement.docx",
            "Mail/message.eml",
            "notes/todo.txt"
        ]
    );
    let refused: Vec<(&str, String)> = zip
        .refused
        .iter()
        .map(|r| (r.path.as_str(), r.error.to_string()))
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused[0].1.contains("points outside the archive"));
    assert!(refused[1].1.contains("absolute path"));
    let tgz = read_fixture("bundle.tar.gz").unwrap();
    assert_eq!(tgz.members[0].path, "chats/note.txt");
    assert_eq!(tgz.refused[0].path, "chats/passwd");
}

#[test]
fn a_zip_bomb_is_refused_before_it_expands() {
    // Refused from the sizes the archive declares (40 MiB of zeros in about 40 KiB).
    let err = read_fixture("bomb.zip").unwrap_err();
    assert!(
        matches!(&err, FormatError::Bomb(m) if m.contains("zeros.txt expands") && m.contains("-fold")),
        "{err}"
    );
}

#[test]
fn chat_exports_keep_senders_times_replies_and_attachments() {
    let telegram = document("result.json");
    assert_eq!(telegram.source_type, "chat");
    assert_eq!(
        telegram.segments.len(),
        3,
        "the service message is left out"
    );
    let answer = &telegram.segments[1];
    assert_eq!(answer.text, "yes, bring the car");
    assert_eq!(answer.speaker.as_deref(), Some("Dana"));
    assert_eq!(answer.reply_to, Some(1));
    assert_eq!(telegram.segments[2].attachments, ["photos/photo_1.jpg"]);
    let instagram = document("message_1.json");
    assert_eq!(
        instagram.segments[0].speaker.as_deref(),
        Some("Jay"),
        "oldest first"
    );
    assert_eq!(instagram.segments[1].speaker.as_deref(), Some("Zoë"));
    assert_eq!(instagram.segments[1].text, "on my way, café at 9");
    assert_eq!(
        instagram.segments[1].sent.as_deref(),
        Some("2024-03-12T21:16:40Z")
    );
    assert_eq!(
        instagram.segments[0].attachments,
        ["messages/inbox/jay/photos/1.jpg"]
    );
}

#[test]
fn encrypted_office_files_and_legacy_formats_say_why() {
    // A password-protected DOCX is an OLE compound file, not a ZIP.
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend(std::iter::repeat_n(0u8, 512));
    assert_eq!(
        read("locked.docx", &ole, &Limits::default()).unwrap_err(),
        FormatError::Encrypted {
            format: "Office file"
        }
    );
    let err = read("old.doc", &ole, &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("save it as DOCX"), "{err}");
    let err = read("broken.docx", b"PK\x03\x04 truncated", &Limits::default()).unwrap_err();
    assert!(matches!(err, FormatError::Damaged { .. }), "{err}");
}

#[test]
fn a_scanned_letter_is_read_by_ocr_line_by_line_with_boxes() {
    let letter = document("letter.png");
    assert_eq!(letter.source_type, "image");
    assert_eq!(letter.encoding, "PNG");
    let text = letter.text();
    for words in [
        "Dear Sir, I write about",
        "white van seen at Kirkgate garage",
        "two girls on 12 March",
        "Dana Whitlock",
    ] {
        assert!(text.contains(words), "{words:?} not in {text:?}");
    }
    assert_eq!(letter.segments.len(), 3, "{:?}", texts(&letter));
    let mut last_top = 0;
    for s in &letter.segments {
        let [_, top, width, height] = s.bbox.expect("a box for each OCR'd line");
        assert!(top > last_top && width > 200 && height > 20, "{s:?}");
        last_top = top;
        assert!(s.confidence.unwrap() > 80.0, "{s:?}");
        assert_eq!(s.page, Some(1));
    }
    let tool = letter.tool.as_deref().unwrap();
    assert!(
        tool.starts_with("tesseract ") && tool.contains("eng "),
        "{tool}"
    );
}

#[test]
fn a_screenshot_of_an_arabic_chat_is_read_with_the_arabic_model() {
    let shot = document("screenshot.png");
    let text = shot.text();
    for words in ["السيارة البيضاء", "الكراج قرب المحطة", "الفلوس"]
    {
        assert!(text.contains(words), "{words:?} not in {text:?}");
    }
}

#[test]
fn a_page_in_two_scripts_reads_each_line_with_its_own_scripts_data() {
    let statement = document("bilingual.png");
    let text = statement.text();
    for words in [
        "I saw these messages on her phone",
        "told her to wait at Kirkgate garage",
        "I have kept the phone",
        "السيارة البيضاء",
        "الكراج قرب المحطة",
    ] {
        assert!(text.contains(words), "{words:?} not in {text:?}");
    }
    assert_eq!(statement.segments.len(), 5, "{:?}", texts(&statement));
    assert!(
        statement
            .segments
            .iter()
            .all(|s| s.confidence.unwrap() > 60.0),
        "every line in its own script's reading: {:?}",
        statement.segments
    );
}

#[test]
fn a_photo_keeps_when_and_where_it_was_taken_without_any_text() {
    let photo = document("photo.jpg");
    assert_eq!(photo.source_type, "image");
    assert!(photo.segments.is_empty(), "{:?}", texts(&photo));
    let at = photo.location.expect("the photo's GPS");
    // 53° 47' 48.6" N, 1° 32' 52.2" W
    assert!((at.latitude - 53.796833).abs() < 1e-5, "{at:?}");
    assert!((at.longitude + 1.547833).abs() < 1e-5, "{at:?}");
    assert_eq!(photo.taken.as_deref(), Some("2024:03:12 21:15:00"));
    assert!(
        photo
            .headers
            .contains(&("Camera".to_owned(), "Canon EOS 250D".to_owned())),
        "{:?}",
        photo.headers
    );
}

#[test]
fn a_pdf_page_without_a_text_layer_is_read_by_ocr_in_page_order() {
    let pdf = document("exhibit.pdf");
    assert_eq!(pdf.pages_without_text, Vec::<u32>::new());
    assert_eq!(pdf.segments[0].page, Some(1));
    assert!(pdf.segments[0].text.contains("Exhibit DW/3"));
    assert!(pdf.segments[0].bbox.is_none(), "a text layer has no box");
    let scanned: Vec<&toex_formats::Segment> =
        pdf.segments.iter().filter(|s| s.page == Some(2)).collect();
    assert!(
        scanned.iter().any(|s| s.text.contains("Kirkgate garage")),
        "{:?}",
        texts(&pdf)
    );
    assert!(scanned.iter().all(|s| s.bbox.is_some()));
    // The boxes are in the frame the page was rendered in for OCR (A4 at 300 dpi).
    assert_eq!(
        pdf.page_frames,
        [toex_formats::PageFrame {
            page: 2,
            width: 2481,
            height: 3508
        }]
    );
    assert!(scanned.iter().all(|s| {
        let [left, top, width, height] = s.bbox.unwrap();
        left + width <= 2481 && top + height <= 3508
    }));
    let tool = pdf.tool.as_deref().unwrap();
    assert!(
        tool.contains("pdftotext") && tool.contains("OCR tesseract"),
        "{tool}"
    );
}

#[test]
fn a_scan_read_without_ocr_awaits_it_and_takes_what_ocr_read_elsewhere_whole() {
    let without = Limits {
        ocr: false,
        ..Limits::default()
    };
    for name in ["exhibit.pdf", "letter.png"] {
        let bytes = std::fs::read(fixtures().join(name)).unwrap();
        let mut facts = read(name, &bytes, &without).unwrap().document.unwrap();
        assert!(facts.awaits_ocr, "{name}");
        assert!(
            !facts.text().contains("Kirkgate"),
            "{name}: no OCR ran: {:?}",
            texts(&facts)
        );
        // What a worker's OCR reads of the same file makes the document read here whole.
        let whole = document(name);
        facts.take_scan(whole.clone().into_scan());
        assert_eq!(facts, whole, "{name}");
    }
    // A file with nothing for OCR to read does not await it.
    let bytes = std::fs::read(fixtures().join("message.eml")).unwrap();
    let mail = read("message.eml", &bytes, &without).unwrap();
    assert!(!mail.document.unwrap().awaits_ocr);
}

#[test]
fn a_scanned_pdf_page_renders_as_an_image_within_its_pixel_budget() {
    let out = tempfile::tempdir().unwrap();
    let jpeg = out.path().join("page.jpg");
    let limits = Limits::default();
    toex_formats::render_page(
        &fixtures().join("exhibit.pdf"),
        2,
        1_500_000,
        &jpeg,
        &limits,
    )
    .unwrap();
    let bytes = std::fs::read(&jpeg).unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "not a JPEG");
    let size = imagesize::blob_size(&bytes).unwrap();
    // A4's proportions, within the budget.
    assert!(size.width * size.height <= 1_500_000, "{size:?}");
    let ratio = size.height as f64 / size.width as f64;
    assert!((ratio - 841.89 / 595.28).abs() < 0.01, "{size:?}");
    let err = toex_formats::render_page(
        &fixtures().join("exhibit.pdf"),
        9,
        1_500_000,
        &jpeg,
        &limits,
    )
    .unwrap_err();
    assert!(err.to_string().contains("no page 9"), "{err}");
}

#[test]
fn an_images_facts_come_from_its_header_and_exif_without_ocr() {
    let bytes = std::fs::read(fixtures().join("photo.jpg")).unwrap();
    let facts = toex_formats::image_facts(&bytes, &Limits::default()).unwrap();
    assert!(facts.segments.is_empty());
    assert_eq!(facts.taken.as_deref(), Some("2024:03:12 21:15:00"));
    assert!(facts.location.is_some());
    let err = toex_formats::image_facts(b"%PDF-1.7 not an image", &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("no image format"), "{err}");
}

#[test]
fn an_image_too_large_is_refused_from_its_header_before_it_decodes() {
    let started = std::time::Instant::now();
    let err = read_fixture("huge.png").unwrap_err();
    assert!(
        matches!(&err, FormatError::Bomb(reason) if reason.contains("30000 × 30000")),
        "{err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "refused in {:?}",
        started.elapsed()
    );
    let err = read_fixture("not-a-photo.jpg").unwrap_err();
    assert!(
        matches!(
            &err,
            FormatError::Damaged {
                format: "image",
                ..
            }
        ),
        "{err}"
    );
}
