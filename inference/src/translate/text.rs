//! The text around machine translation, independent of the model: each line is routed by
//! its language (English and lines with nothing to translate pass through untouched),
//! identifiers and numbers are swapped for placeholders so the model cannot mangle them,
//! long lines are split into sentences, and the translations are put back together as
//! exactly one output line per input line, with every identifier restored verbatim.

use std::ops::Range;

/// How lines are cut and batched.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Lines longer than this (in characters) are split into sentences.
    pub max_unit_chars: usize,
    /// Language assumed for every line (`--from ar`); detected per line when `None`.
    pub language: Option<String>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            max_unit_chars: 400,
            language: None,
        }
    }
}

/// One piece for the model: a sentence (or a whole short line) with its identifiers
/// replaced by placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The input line it belongs to (0-based).
    pub line: usize,
    /// ISO 639-1 code of its language, for choosing the model.
    pub language: String,
    pub text: String,
    /// Written in Latin letters (Arabizi) and given to the model in Arabic script.
    pub arabizi: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// Passed through untouched (empty, English, nothing but identifiers and numbers).
    Keep(String),
    /// Translated from these units; `slots[i]` is what placeholder `i + 1` stands for.
    Translate {
        units: Range<usize>,
        slots: Vec<String>,
        /// The line as it came, for when no model has its language.
        original: String,
    },
}

/// A text cut into units for the model, and how to put the translations back.
#[derive(Debug, Clone)]
pub struct Plan {
    lines: Vec<Line>,
    pub units: Vec<Unit>,
}

/// Why translations could not be put back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlignError {
    #[error("{expected} pieces were sent for translation but {got} came back")]
    Count { expected: usize, got: usize },
}

/// The placeholder for slot `n` (1-based). Plain ASCII that subword vocabularies hold, so
/// a model copies it through; [`Plan::finish`] tolerates spaces put inside it.
pub fn placeholder(n: usize) -> String {
    format!("[[{n}]]")
}

/// Digits of any script: what counts as a number to protect.
fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
        || ('\u{0660}'..='\u{0669}').contains(&c)
        || ('\u{06F0}'..='\u{06F9}').contains(&c)
}

/// `line` with identifiers (phones, emails, VRMs, postcodes, handles, URLs, bank
/// details, wallets), numbers and anything already shaped like a placeholder replaced by
/// placeholders, and what each stands for.
pub fn protect(line: &str) -> (String, Vec<String>) {
    let chars: Vec<char> = line.chars().collect();
    let mut spans: Vec<(usize, usize)> = toex_extract::find_identifiers(line)
        .into_iter()
        .map(|f| (f.start as usize, f.end as usize))
        .collect();
    // Numbers (with their separators) and literal `[[n]]` outside the identifiers.
    let mut i = 0;
    while i < chars.len() {
        let inside = spans.iter().any(|&(s, e)| s <= i && i < e);
        if !inside && chars[i] == '[' && chars.get(i + 1) == Some(&'[') {
            let mut j = i + 2;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            if j > i + 2 && chars.get(j) == Some(&']') && chars.get(j + 1) == Some(&']') {
                spans.push((i, j + 2));
                i = j + 2;
                continue;
            }
        }
        if !inside && is_digit(chars[i]) {
            let mut j = i + 1;
            while j < chars.len()
                && (is_digit(chars[j])
                    || (matches!(chars[j], '.' | ',' | ':' | '/' | '٫' | '٬')
                        && chars.get(j + 1).copied().is_some_and(is_digit)))
            {
                j += 1;
            }
            if !spans.iter().any(|&(s, e)| s < j && i < e) {
                spans.push((i, j));
            }
            i = j;
            continue;
        }
        i += 1;
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(line.len());
    let mut slots = Vec::with_capacity(spans.len());
    let mut at = 0;
    for (start, end) in spans {
        if start < at {
            continue;
        }
        out.extend(&chars[at..start]);
        slots.push(chars[start..end].iter().collect::<String>());
        out.push_str(&placeholder(slots.len()));
        at = end;
    }
    out.extend(&chars[at..]);
    (out, slots)
}

/// Puts the slots back into a translated line. A placeholder the model spaced out
/// (`[ [ 2 ] ]`) is still found; one it dropped is appended, so no identifier is lost; one
/// it invented (a number past the slots) is left as it is.
pub fn restore(translated: &str, slots: &[String]) -> String {
    let chars: Vec<char> = translated.chars().collect();
    let mut used = vec![false; slots.len()];
    let mut out = String::with_capacity(translated.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some((n, end)) = placeholder_at(&chars, i)
            && (1..=slots.len()).contains(&n)
        {
            out.push_str(&slots[n - 1]);
            used[n - 1] = true;
            i = end;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    let missing: Vec<&str> = slots
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(s, _)| s.as_str())
        .collect();
    if !missing.is_empty() {
        let out_trimmed = out.trim_end().len();
        out.truncate(out_trimmed);
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("[{}]", missing.join(", ")));
    }
    out
}

/// A placeholder starting at `i` (spaces allowed between its parts): its number and
/// where it ends.
fn placeholder_at(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    let expect = |c: char, j: &mut usize| -> bool {
        while *j < chars.len() && chars[*j] == ' ' && *j > i {
            *j += 1;
        }
        if chars.get(*j) == Some(&c) {
            *j += 1;
            true
        } else {
            false
        }
    };
    if !(expect('[', &mut j) && expect('[', &mut j)) {
        return None;
    }
    while j < chars.len() && chars[j] == ' ' {
        j += 1;
    }
    let digits_start = j;
    while j < chars.len() && chars[j].is_ascii_digit() {
        j += 1;
    }
    if j == digits_start || j - digits_start > 4 {
        return None;
    }
    let n: usize = chars[digits_start..j]
        .iter()
        .collect::<String>()
        .parse()
        .ok()?;
    if !(expect(']', &mut j) && expect(']', &mut j)) {
        return None;
    }
    Some((n, j))
}

/// Splits a long line after sentence ends (`.`, `!`, `?`, `؟`, `…`, `。` before a space),
/// then, for pieces still over `max_chars`, at the last space before the limit.
pub fn split_sentences(line: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(16);
    let chars: Vec<char> = line.chars().collect();
    let mut sentences = Vec::new();
    let mut start = 0;
    for i in 0..chars.len() {
        let end_mark = matches!(chars[i], '.' | '!' | '?' | '؟' | '…' | '。');
        if end_mark && chars.get(i + 1).is_some_and(|c| c.is_whitespace()) {
            sentences.push(chars[start..=i].iter().collect::<String>());
            start = i + 1;
        }
    }
    if start < chars.len() {
        sentences.push(chars[start..].iter().collect::<String>());
    }
    let mut out = Vec::new();
    for s in sentences {
        let mut rest: Vec<char> = s.trim().chars().collect();
        while rest.len() > max_chars {
            let cut = rest[..max_chars]
                .iter()
                .rposition(|c| c.is_whitespace())
                .filter(|&p| p > 0)
                .unwrap_or(max_chars);
            out.push(rest[..cut].iter().collect::<String>().trim().to_owned());
            rest = rest[cut..].to_vec();
        }
        let tail: String = rest.iter().collect::<String>().trim().to_owned();
        if !tail.is_empty() {
            out.push(tail);
        }
    }
    out
}

/// The language of one line, or `None` when it has no letters to go by. Short lines
/// that statistics cannot place go by their script: Arabic script as Arabic, anything
/// else as English (which passes through).
fn line_language(line: &str) -> Option<String> {
    if !line.chars().any(char::is_alphabetic) {
        return None;
    }
    toex_extract::detect_language(line).or_else(|| {
        let arabic = line.chars().any(|c| {
            ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{0750}'..='\u{077F}').contains(&c)
        });
        Some(if arabic { "ar" } else { "en" }.to_owned())
    })
}

/// A text (one item per line; `\r\n` or `\n`) cut into units for translation.
pub fn plan(text: &str, opts: &PlanOptions) -> Plan {
    let mut lines = Vec::new();
    let mut units = Vec::new();
    for (n, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        // Arabizi (unless another language is stated) is read in Arabic script.
        let arabizi = matches!(opts.language.as_deref(), None | Some("ar"))
            && super::arabizi::is_arabizi(line);
        let (protected, slots) = if arabizi {
            protect(&super::arabizi::transliterate(line))
        } else {
            protect(line)
        };
        // English passes through; otherwise the stated language, or the detected one.
        let language = match line_language(&protected) {
            _ if arabizi => Some("ar".to_owned()),
            Some(l) if l == "en" => None,
            Some(l) => Some(opts.language.clone().unwrap_or(l)),
            None => None,
        };
        let Some(language) = language else {
            lines.push(Line::Keep(line.to_owned()));
            continue;
        };
        let first = units.len();
        let pieces = if protected.chars().count() <= opts.max_unit_chars {
            vec![protected.trim().to_owned()]
        } else {
            split_sentences(&protected, opts.max_unit_chars)
        };
        for sentence in pieces {
            units.push(Unit {
                line: n,
                language: language.clone(),
                text: sentence,
                arabizi,
            });
        }
        lines.push(Line::Translate {
            units: first..units.len(),
            slots,
            original: line.to_owned(),
        });
    }
    Plan { lines, units }
}

impl Plan {
    /// How many lines went in (and will come out).
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// One output line per input line: translated units rejoined with a space and their
    /// identifiers restored, kept lines as they were.
    pub fn finish(&self, translated: &[String]) -> Result<Vec<String>, AlignError> {
        let some: Vec<Option<String>> = translated.iter().cloned().map(Some).collect();
        self.finish_some(&some)
    }

    /// [`Plan::finish`] where a unit may be untranslated (`None`: no model has its
    /// language): a line with any such unit comes out as it went in.
    pub fn finish_some(&self, translated: &[Option<String>]) -> Result<Vec<String>, AlignError> {
        if translated.len() != self.units.len() {
            return Err(AlignError::Count {
                expected: self.units.len(),
                got: translated.len(),
            });
        }
        Ok(self
            .lines
            .iter()
            .map(|line| match line {
                Line::Keep(text) => text.clone(),
                Line::Translate {
                    units,
                    slots,
                    original,
                } => {
                    let parts = &translated[units.clone()];
                    if parts.iter().any(Option::is_none) {
                        return original.clone();
                    }
                    let joined = parts
                        .iter()
                        .flatten()
                        .map(|s| s.trim())
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    // A line break from the model would break the alignment.
                    restore(&joined, slots).replace(['\n', '\r'], " ")
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_numbers_become_placeholders_and_come_back_verbatim() {
        let line =
            "رقمي ٠٧٧٠٠ ٩٠٠١٢٣ وايميلي ali.h@example.co.uk والسيارة YX19 ABC، تعال الساعة ١١ [[2]]";
        let (text, slots) = protect(line);
        assert!(!text.contains("٠٧٧٠٠"), "{text}");
        assert_eq!(
            slots,
            vec![
                "٠٧٧٠٠ ٩٠٠١٢٣",
                "ali.h@example.co.uk",
                "YX19 ABC",
                "١١",
                "[[2]]"
            ]
        );
        assert!(text.contains("[[1]]") && text.contains("[[5]]"), "{text}");
        // A model that keeps the placeholders, one that spaces them out, and one that
        // drops one: every identifier is still in the output, verbatim.
        let out = restore(
            "my number [[1]], email [[2]], car [[3]], at [[4]] [[5]]",
            &slots,
        );
        assert_eq!(
            out,
            "my number ٠٧٧٠٠ ٩٠٠١٢٣, email ali.h@example.co.uk, car YX19 ABC, at ١١ [[2]]"
        );
        let spaced = restore("number [ [1] ] and [[ 2 ]] [[3]] [[4]] [[5]]", &slots);
        assert!(
            spaced.starts_with("number ٠٧٧٠٠ ٩٠٠١٢٣ and ali.h@example.co.uk"),
            "{spaced}"
        );
        let dropped = restore("my number [[1]] and car [[3]].", &slots);
        assert_eq!(
            dropped,
            "my number ٠٧٧٠٠ ٩٠٠١٢٣ and car YX19 ABC. [ali.h@example.co.uk, ١١, [[2]]]"
        );
        // An invented placeholder is left alone rather than guessed.
        assert_eq!(
            restore("see [[9]]", &slots[..1]),
            "see [[9]] [٠٧٧٠٠ ٩٠٠١٢٣]"
        );
    }

    #[test]
    fn handles_urls_and_postcodes_are_protected() {
        let (text, slots) =
            protect("ضيفني سناب @sara_x1 او https://wa.me/447700900123 بالشقة BD1 4AS");
        assert_eq!(slots.len(), 3, "{slots:?} {text}");
        assert!(slots.iter().any(|s| s.contains("sara_x1")));
        assert!(slots.iter().any(|s| s.contains("wa.me")));
        assert!(slots.contains(&"BD1 4AS".to_owned()));
    }

    #[test]
    fn long_lines_split_into_sentences_within_the_limit() {
        let line = "First sentence here. Second one? ثالثة؟ And a very long tail without any stop that goes on and on and on";
        let parts = split_sentences(line, 40);
        assert_eq!(
            &parts[..3],
            &["First sentence here.", "Second one?", "ثالثة؟"]
        );
        assert!(parts.iter().all(|p| p.chars().count() <= 40), "{parts:?}");
        assert_eq!(
            parts.join(" "),
            line,
            "nothing is lost or reordered when the pieces are rejoined"
        );
        assert_eq!(split_sentences("x".repeat(50).as_str(), 20).len(), 3);
    }

    #[test]
    fn n_lines_in_n_lines_out_with_english_and_empty_lines_untouched() {
        let text = "مرحبا كيف حالك\n\nI am fine, thanks\r\n٠٧٧٠٠ ٩٠٠١٢٣\nوين السيارة؟ بالكراج. رقمي ٠٧٧٠٠٩٠٠١٢٣\n";
        let plan = plan(text, &PlanOptions::default());
        assert_eq!(plan.line_count(), 6);
        let sent: Vec<&str> = plan.units.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(sent, ["مرحبا كيف حالك", "وين السيارة؟ بالكراج. رقمي [[1]]"]);
        assert!(plan.units.iter().all(|u| u.language == "ar"));
        let out = plan
            .finish(&[
                "hello how are you".into(),
                "where is the car? in the garage. my number [[1]]".into(),
            ])
            .unwrap();
        assert_eq!(
            out,
            [
                "hello how are you",
                "",
                "I am fine, thanks",
                "٠٧٧٠٠ ٩٠٠١٢٣",
                "where is the car? in the garage. my number ٠٧٧٠٠٩٠٠١٢٣",
                ""
            ]
        );
        assert_eq!(
            plan.finish(&["one".into()]),
            Err(AlignError::Count {
                expected: 2,
                got: 1
            })
        );
    }

    #[test]
    fn split_lines_are_rejoined_in_order_and_a_stated_language_routes_all_but_english() {
        let long = "جملة اولى طويلة نوعا ما. جملة ثانية طويلة ايضا. جملة ثالثة.";
        let opts = PlanOptions {
            max_unit_chars: 30,
            language: Some("ar".into()),
        };
        let plan = plan(
            &format!("{long}\nhello there, how are you today\nBonjour à tous"),
            &opts,
        );
        assert_eq!(plan.units.len(), 4, "{:?}", plan.units);
        assert!(
            plan.units.iter().all(|u| u.language == "ar"),
            "the stated language routes"
        );
        let out = plan
            .finish(&[
                "one.".into(),
                "two.".into(),
                "three.".into(),
                "hello all".into(),
            ])
            .unwrap();
        assert_eq!(
            out,
            [
                "one. two. three.",
                "hello there, how are you today",
                "hello all"
            ]
        );
    }
}
