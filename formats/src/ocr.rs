//! OCR with Tesseract (Debian's tesseract-ocr with its English and Arabic data), run as one
//! process per page image: lines in reading order, each with its box and confidence. Pages
//! are read in parallel, and no more than `Limits::ocr_workers` Tesseracts run at once in
//! the whole process, however many files are being read.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

use crate::process::run_with;
use crate::{FormatError, Limits, Segment};

const TOOL: &str = "tesseract";

/// Tesseract's OpenMP threads spin while they wait: on a busy machine one thread per page
/// is several times faster, and pages run side by side instead.
const SINGLE_THREAD: &[(&str, &str)] = &[("OMP_THREAD_LIMIT", "1")];

/// Tesseracts running in this process, and the signal that one has finished.
static RUNNING: Mutex<usize> = Mutex::new(0);
static FINISHED: Condvar = Condvar::new();

/// A place among the running Tesseracts, given back when dropped.
struct Slot;

impl Slot {
    /// Waits until fewer than `most` Tesseracts run.
    fn take(most: usize) -> Self {
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= most.max(1) {
            running = FINISHED.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        FINISHED.notify_all();
    }
}

/// A page's lines, or why it could not be read.
type PageRead = Result<Vec<Segment>, FormatError>;

/// One page image to read, and the page it is in its document.
pub(crate) struct PageImage {
    pub(crate) path: PathBuf,
    pub(crate) page: u32,
}

/// Reads `count` pages, at most `limits.ocr_workers` at once: `image` makes page `i`'s
/// image (a render of a PDF page, or the photo itself) in the page's own scratch folder.
/// Lines come back in page order; a page that cannot be read fails the whole file.
pub(crate) fn read_pages(
    count: usize,
    scratch: &Path,
    limits: &Limits,
    image: impl Fn(usize, &Path) -> Result<PageImage, FormatError> + Sync,
) -> Result<Vec<Segment>, FormatError> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, PageRead)>> = Mutex::new(Vec::new());
    let workers = limits.ocr_workers.clamp(1, count.max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let folder = scratch.join(format!("ocr-{i}"));
                    let _slot = Slot::take(limits.ocr_workers);
                    let read = std::fs::create_dir_all(&folder)
                        .map_err(|e| FormatError::Tool {
                            tool: TOOL,
                            reason: format!("no scratch folder: {e}"),
                        })
                        .and_then(|()| image(i, &folder))
                        .and_then(|page| read_page(&page, &folder, limits));
                    let failed = read.is_err();
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, read));
                    if failed {
                        // The file fails; the other workers stop at their next page.
                        next.store(count, Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    let mut segments = Vec::new();
    for (_, read) in results {
        segments.extend(read?);
    }
    Ok(segments)
}

fn read_page(
    page: &PageImage,
    scratch: &Path,
    limits: &Limits,
) -> Result<Vec<Segment>, FormatError> {
    let configured: Vec<&str> = limits.ocr_languages.split('+').collect();
    if configured.len() < 2 {
        return recognise(page, &limits.ocr_languages, scratch, limits);
    }
    // A page read with English and Arabic models together has three times the errors of
    // one read with the Arabic model alone: the page's script picks its languages.
    if let Some(script) = detect_script(page, scratch, limits)?
        && let Some(languages) = languages_of(&configured, &script)
    {
        return read_in_script(page, &languages, &configured, &script, scratch, limits);
    }
    // Too little text for the detector (a screenshot, a label): read with all of them,
    // and again with the script's own languages when one script wrote nearly all of it.
    let first = recognise(page, &limits.ocr_languages, scratch, limits)?;
    let text: String = first.iter().map(|s| s.text.as_str()).collect();
    let Some(script) = dominant_script(&text) else {
        return Ok(first);
    };
    match languages_of(&configured, script) {
        Some(languages) if languages != limits.ocr_languages => {
            read_in_script(page, &languages, &configured, script, scratch, limits)
        }
        _ => Ok(first),
    }
}

/// A line read with the wrong script's data comes back as confident-looking nonsense of
/// low confidence: Arabic read with English data scores 20–40 over its words, and an
/// English line read with Arabic data about 20, where a noisy line in its own script
/// scores 50 or more. Short lines (a time wrapped onto its own line) score low either way.
const OTHER_SCRIPT_CONFIDENCE: f32 = 45.0;
const OTHER_SCRIPT_WORDS: usize = 3;

fn reads_as_other_script(line: &Segment) -> bool {
    line.confidence.is_some_and(|c| c < OTHER_SCRIPT_CONFIDENCE)
        && line.text.split_whitespace().count() >= OTHER_SCRIPT_WORDS
}

/// Reads the page with `languages`, those of its main `script`. A page in two scripts
/// (an English statement quoting Arabic messages): when some lines read as another
/// script's, the page is read again with the other configured scripts' data, and each
/// such line takes the other reading of its place where that reading is more confident.
fn read_in_script(
    page: &PageImage,
    languages: &str,
    configured: &[&str],
    script: &str,
    scratch: &Path,
    limits: &Limits,
) -> Result<Vec<Segment>, FormatError> {
    let read = recognise(page, languages, scratch, limits)?;
    let others: Vec<&str> = configured
        .iter()
        .copied()
        .filter(|l| script_of(l) != script)
        .collect();
    if others.is_empty() || !read.iter().any(reads_as_other_script) {
        return Ok(read);
    }
    let again = recognise(page, &others.join("+"), scratch, limits)?;
    Ok(merge_readings(read, &again))
}

/// `read` with each line that reads as another script's replaced by the lines of `again`
/// in its place, where those are more confident on average.
fn merge_readings(read: Vec<Segment>, again: &[Segment]) -> Vec<Segment> {
    let mut taken = vec![false; again.len()];
    let mut out = Vec::with_capacity(read.len());
    for line in read {
        if !reads_as_other_script(&line) {
            out.push(line);
            continue;
        }
        let there: Vec<usize> = (0..again.len())
            .filter(|&j| !taken[j] && same_place(&line, &again[j]))
            .collect();
        let confidence = |j: &usize| again[*j].confidence.unwrap_or(0.0);
        let mean = there.iter().map(confidence).sum::<f32>() / there.len().max(1) as f32;
        if there.is_empty() || mean <= line.confidence.unwrap_or(0.0) {
            out.push(line);
            continue;
        }
        for j in there {
            taken[j] = true;
            out.push(again[j].clone());
        }
    }
    out
}

/// Whether two lines lie in the same place of the same page: they overlap across, and
/// down by at least half the shorter one's height.
fn same_place(a: &Segment, b: &Segment) -> bool {
    let (Some([al, at, aw, ah]), Some([bl, bt, bw, bh])) = (a.bbox, b.bbox) else {
        return false;
    };
    let overlap = |start_a: u32, len_a: u32, start_b: u32, len_b: u32| {
        (start_a + len_a)
            .min(start_b + len_b)
            .saturating_sub(start_a.max(start_b))
    };
    a.page == b.page
        && overlap(al, aw, bl, bw) > 0
        && 2 * overlap(at, ah, bt, bh) >= ah.min(bh).max(1)
}

/// Tesseract reads a printed capital I at the start of a clause as `|`: in a line of Latin
/// script, a `|` standing alone before a lower-case word, or before an apostrophe (`|'m`),
/// is taken as `I`. A `|` between capitalised cells or numbers (a table) is left alone.
fn mend_capital_i(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let next_lower = words
            .get(i + 1)
            .and_then(|w| w.chars().next())
            .is_some_and(|c| c.is_lowercase());
        let mended = match word.strip_prefix('|') {
            Some("") if next_lower => "I".to_owned(),
            Some(rest) if rest.starts_with(['\'', '’']) => format!("I{rest}"),
            _ => (*word).to_owned(),
        };
        out.push(mended);
    }
    out.join(" ")
}

/// Reads the page with `languages`, a segment per line.
fn recognise(
    page: &PageImage,
    languages: &str,
    scratch: &Path,
    limits: &Limits,
) -> Result<Vec<Segment>, FormatError> {
    let ran = run_with(
        TOOL,
        &[
            page.path.as_os_str(),
            OsStr::new("stdout"),
            OsStr::new("-l"),
            OsStr::new(languages),
            OsStr::new("tsv"),
        ],
        SINGLE_THREAD,
        scratch,
        limits.tool_seconds,
    )?;
    if !ran.success {
        let reason = ran
            .stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("tesseract could not read the image")
            .to_owned();
        return Err(FormatError::Damaged {
            format: "image",
            reason,
        });
    }
    let mut read = lines(&ran.stdout, page.page);
    for line in &mut read {
        if line.text.contains('|') && dominant_script(&line.text) == Some("Latin") {
            line.text = mend_capital_i(&line.text);
        }
    }
    Ok(read)
}

/// The page's script by Tesseract's orientation and script detection; `None` when the
/// page has too little text to tell.
fn detect_script(
    page: &PageImage,
    scratch: &Path,
    limits: &Limits,
) -> Result<Option<String>, FormatError> {
    let ran = run_with(
        TOOL,
        &[
            page.path.as_os_str(),
            OsStr::new("stdout"),
            OsStr::new("--psm"),
            OsStr::new("0"),
        ],
        SINGLE_THREAD,
        scratch,
        limits.tool_seconds,
    )?;
    Ok(ran
        .success
        .then(|| {
            ran.stdout
                .lines()
                .find_map(|l| l.strip_prefix("Script:"))
                .map(|s| s.trim().to_owned())
        })
        .flatten())
}

/// The configured languages written in `script`, joined for `-l`; `None` when none is.
fn languages_of(configured: &[&str], script: &str) -> Option<String> {
    let chosen: Vec<&str> = configured
        .iter()
        .copied()
        .filter(|l| script_of(l) == script)
        .collect();
    (!chosen.is_empty()).then(|| chosen.join("+"))
}

/// The script of at least four in five of the text's letters, among those told apart.
fn dominant_script(text: &str) -> Option<&'static str> {
    let (mut arabic, mut latin, mut cyrillic) = (0usize, 0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        match c as u32 {
            0x0600..=0x06FF
            | 0x0750..=0x077F
            | 0x08A0..=0x08FF
            | 0xFB50..=0xFDFF
            | 0xFE70..=0xFEFF => arabic += 1,
            0x0400..=0x04FF => cyrillic += 1,
            _ if c.is_ascii_alphabetic() || ('\u{C0}'..='\u{24F}').contains(&c) => latin += 1,
            _ => {}
        }
    }
    let total = arabic + latin + cyrillic;
    [("Arabic", arabic), ("Latin", latin), ("Cyrillic", cyrillic)]
        .into_iter()
        .find(|(_, n)| total > 0 && *n * 5 >= total * 4)
        .map(|(script, _)| script)
}

/// The script a Tesseract language's text is written in, as its script detection names it.
fn script_of(language: &str) -> &'static str {
    match language {
        "ara" | "fas" | "urd" | "pus" | "snd" | "uig" | "kur_ara" => "Arabic",
        "rus" | "ukr" | "bul" | "bel" | "mkd" | "srp" => "Cyrillic",
        "chi_sim" | "chi_tra" => "Han",
        "amh" | "tir" => "Ethiopic",
        "ell" => "Greek",
        "heb" | "yid" => "Hebrew",
        "hin" | "mar" | "nep" => "Devanagari",
        "ben" => "Bengali",
        "pan" => "Gurmukhi",
        "tha" => "Thai",
        "kor" => "Hangul",
        "jpn" => "Japanese",
        _ => "Latin",
    }
}

/// Groups Tesseract's TSV words into lines. `page` numbers the first page of the image;
/// a multi-page TIFF counts on from it.
pub(crate) fn lines(tsv: &str, page: u32) -> Vec<Segment> {
    struct Building {
        words: Vec<String>,
        confidence: f32,
        bbox: [u32; 4],
    }
    let mut out: Vec<((u32, u32, u32, u32), Building)> = Vec::new();
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.splitn(12, '\t').collect();
        if cols.len() < 11 {
            continue;
        }
        let n = |i: usize| cols[i].trim().parse::<u32>().unwrap_or(0);
        let key = (n(1), n(2), n(3), n(4));
        let bbox = [n(6), n(7), n(8), n(9)];
        match cols[0] {
            "4" => out.push((
                key,
                Building {
                    words: Vec::new(),
                    confidence: 0.0,
                    bbox,
                },
            )),
            "5" => {
                let word = cols.get(11).map(|w| w.trim()).unwrap_or("");
                let conf: f32 = cols[10].trim().parse().unwrap_or(-1.0);
                if word.is_empty() || conf < 0.0 {
                    continue;
                }
                if let Some((k, line)) = out.last_mut()
                    && *k == key
                {
                    line.words.push(word.to_owned());
                    line.confidence += conf;
                }
            }
            _ => {}
        }
    }
    out.into_iter()
        .filter(|(_, l)| !l.words.is_empty())
        .map(|((p, ..), l)| Segment {
            confidence: Some(l.confidence / l.words.len() as f32),
            text: l.words.join(" "),
            page: Some(page + p.saturating_sub(1)),
            bbox: Some(l.bbox),
            ..Segment::default()
        })
        .collect()
}

/// `tesseract 5.3.0 (eng 4.00.00alpha:eng:synth20170629, ara …)`: the engine and the
/// version string inside each language's data file.
pub fn version(languages: &str) -> String {
    static SEEN: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Mutex::default);
    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    seen.entry(languages.to_owned())
        .or_insert_with(|| describe(languages))
        .clone()
}

fn describe(languages: &str) -> String {
    let engine = std::process::Command::new(TOOL)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            let all = [o.stdout, o.stderr].concat();
            String::from_utf8_lossy(&all)
                .lines()
                .find_map(|l| l.strip_prefix("tesseract ").map(str::to_owned))
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let folder = tessdata();
    let data: Vec<String> = languages
        .split('+')
        .map(|lang| {
            let version = folder
                .as_ref()
                .and_then(|f| std::fs::read(f.join(format!("{lang}.traineddata"))).ok())
                .and_then(|b| data_version(&b))
                .unwrap_or_else(|| "unknown".to_owned());
            format!("{lang} {version}")
        })
        .collect();
    format!("tesseract {engine} ({})", data.join(", "))
}

/// The folder Tesseract reads its language data from, as `--list-langs` names it.
fn tessdata() -> Option<PathBuf> {
    let out = std::process::Command::new(TOOL)
        .arg("--list-langs")
        .output()
        .ok()?;
    let all = [out.stdout, out.stderr].concat();
    let text = String::from_utf8_lossy(&all);
    let quoted = text
        .lines()
        .find_map(|l| l.split_once(" in \""))
        .map(|(_, r)| r)?;
    Some(PathBuf::from(quoted.split('"').next()?))
}

/// The version entry of a `.traineddata` file: a count of entries, their offsets, and the
/// entries; the version string is entry 23.
fn data_version(bytes: &[u8]) -> Option<String> {
    const VERSION: usize = 23;
    let count = i32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    if count <= VERSION || count > 1000 {
        return None;
    }
    let offset = |i: usize| {
        let at = 4 + 8 * i;
        Some(i64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
    };
    let start = usize::try_from(offset(VERSION)?).ok()?;
    let end = (VERSION + 1..count)
        .filter_map(offset)
        .find_map(|o| usize::try_from(o).ok())
        .unwrap_or(bytes.len());
    let text = String::from_utf8_lossy(bytes.get(start..end)?);
    let text = text.trim_matches(char::from(0)).trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_a_line_join_in_order_with_its_box_and_mean_confidence() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
            1\t1\t0\t0\t0\t0\t0\t0\t2000\t3000\t-1\t\n\
            4\t1\t1\t1\t1\t0\t100\t200\t800\t40\t-1\t\n\
            5\t1\t1\t1\t1\t1\t100\t200\t300\t40\t90\tcash\n\
            5\t1\t1\t1\t1\t2\t420\t200\t480\t40\t80\tcollected\n\
            4\t2\t1\t1\t1\t0\t10\t20\t30\t40\t-1\t\n\
            5\t2\t1\t1\t1\t1\t10\t20\t30\t40\t70\tnext\n\
            4\t2\t1\t1\t2\t0\t10\t80\t30\t40\t-1\t\n\
            5\t2\t1\t1\t2\t1\t10\t80\t30\t40\t95\t \n";
        let got = lines(tsv, 3);
        assert_eq!(got.len(), 2, "an empty line is dropped: {got:?}");
        assert_eq!(got[0].text, "cash collected");
        assert_eq!(got[0].bbox, Some([100, 200, 800, 40]));
        assert_eq!(got[0].confidence, Some(85.0));
        assert_eq!(got[0].page, Some(3));
        assert_eq!(got[1].page, Some(4), "the second page of a TIFF counts on");
    }

    #[test]
    fn the_script_of_nearly_all_letters_decides() {
        assert_eq!(dominant_script("خالد: وين السيارة؟ ok"), Some("Arabic"));
        assert_eq!(dominant_script("the van at 21:15"), Some("Latin"));
        assert_eq!(dominant_script("خالد said ok to عمر"), None);
        assert_eq!(dominant_script("12:30 — 07700"), None);
        assert_eq!(
            languages_of(&["eng", "ara", "fas"], "Arabic").as_deref(),
            Some("ara+fas")
        );
        assert_eq!(languages_of(&["eng"], "Cyrillic"), None);
    }

    fn line(text: &str, confidence: f32, bbox: [u32; 4]) -> Segment {
        Segment {
            text: text.to_owned(),
            confidence: Some(confidence),
            bbox: Some(bbox),
            page: Some(1),
            ..Segment::default()
        }
    }

    #[test]
    fn a_mixed_page_keeps_the_more_confident_reading_of_each_other_script_line() {
        let english = [
            line(
                "The girl was collected from the hotel",
                96.0,
                [100, 100, 1800, 40],
            ),
            line("peel! Comiges ail pt Grell", 23.0, [300, 160, 1600, 44]),
            line("12:30.", 32.0, [100, 220, 150, 40]),
            line("Ja] Ctraiio rx sousdl", 34.0, [200, 280, 1700, 42]),
        ];
        let arabic = [
            line("مه الأقوامط >اعواط", 20.0, [100, 98, 1800, 44]),
            line("أخذ سارة العبيدي مفاتيح البيت", 63.0, [310, 158, 1590, 46]),
            line("دفع خالد", 18.0, [210, 282, 1690, 40]),
        ];
        let merged = merge_readings(english.to_vec(), &arabic);
        let texts: Vec<&str> = merged.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "The girl was collected from the hotel",
                "أخذ سارة العبيدي مفاتيح البيت",
                "12:30.",
                "Ja] Ctraiio rx sousdl",
            ],
            "a confident line stays; a garbled one takes the better reading of its place; \
             a short line and one the other reading does no better on are kept"
        );
    }

    #[test]
    fn a_pipe_read_for_a_capital_i_is_mended_but_a_table_pipe_is_kept() {
        assert_eq!(mend_capital_i("| saw Leah leave"), "I saw Leah leave");
        assert_eq!(
            mend_capital_i("then | told him |'m done"),
            "then I told him I'm done"
        );
        assert_eq!(
            mend_capital_i("Name | Phone | 07700 900001"),
            "Name | Phone | 07700 900001"
        );
        assert_eq!(mend_capital_i("a |"), "a |");
    }

    #[test]
    fn the_version_entry_of_a_traineddata_file_is_read() {
        let mut bytes = 25i32.to_le_bytes().to_vec();
        let header = 4 + 8 * 25;
        for i in 0..25i64 {
            let at = match i {
                23 => header as i64,
                24 => header as i64 + 5,
                _ => -1,
            };
            bytes.extend(at.to_le_bytes());
        }
        bytes.extend(b"4.1\0\0LSTM");
        assert_eq!(data_version(&bytes).as_deref(), Some("4.1"));
        assert_eq!(data_version(&bytes[..10]), None);
    }
}
