//! Phone numbers: candidates in any script's digits, split where two numbers run
//! together, kept when libphonenumber-style normalisation accepts them.

use std::sync::LazyLock;

use regex::Regex;

use super::{D, Scan, re};
use crate::EntityKind;
use crate::identifiers::{ascii_digits, is_digit, normalise_phone, phone_is_valid};

static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?:\+ ?)?\(?{D}[0-9\x{{0660}}-\x{{0669}}\x{{06F0}}-\x{{06F9}} \t\-.()\x{{00A0}}]{{5,40}}{D}"
    ))
});

pub(super) fn phones(scan: &mut Scan<'_>) {
    let text = scan.text;
    let mut from = 0;
    while let Some(m) = PHONE.find_at(text, from) {
        from = m.end();
        // Not the tail of a word or of a longer number.
        if scan
            .before(m.start())
            .is_some_and(|c| c.is_alphanumeric() || c == '+' || c == '_')
        {
            continue;
        }
        let next = scan.after(m.end());
        for (start, end, e164) in phone_spans(m.as_str(), next) {
            let (start, end) = (m.start() + start, m.start() + end);
            if scan.free(start, end) {
                scan.add(EntityKind::Phone, e164, start, end);
            }
        }
    }
}

/// The numbers in one candidate run of digits and separators: groups of digits are
/// joined from the left, longest valid number first, so `07700 900123 2pm` gives
/// `07700 900123` and `on 3 07700 900123` skips the `3`.
fn phone_spans(candidate: &str, next: Option<char>) -> Vec<(usize, usize, String)> {
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in candidate.char_indices() {
        match (is_digit(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                groups.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        groups.push((s, candidate.len()));
    }
    // A number glued to a word (`0770090012 7abibi`'s last group) ends before it.
    let ends_clean = |end: usize| {
        let after = candidate[end..].chars().next().or(next);
        !after.is_some_and(char::is_alphanumeric)
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < groups.len() {
        // The longest number the numbering plan knows, else the longest plausible one.
        let mut best: Option<(usize, usize, usize, String, bool)> = None;
        for j in (i..groups.len()).rev() {
            // The first group keeps what leads it (`+`, `(`); later ones start bare.
            let begin = if i == 0 { 0 } else { groups[i].0 };
            if !ends_clean(groups[j].1) {
                continue;
            }
            if let Some(e164) = phone_value(&candidate[begin..groups[j].1]) {
                // UK numbers are already held to their exact national length; the
                // numbering plan decides between readings of other countries' numbers.
                let valid = e164.starts_with("+44") || phone_is_valid(&e164);
                if best.as_ref().is_none_or(|b| valid && !b.4) {
                    best = Some((j, begin, groups[j].1, e164, valid));
                }
                if valid {
                    break;
                }
            }
        }
        match best {
            Some((j, s, e, v, _)) => {
                out.push((s, e, v));
                i = j + 1;
            }
            None => i += 1,
        }
    }
    out
}

/// E.164 for a written number: international with `+` or `00`, or UK national with a
/// leading 0 and 10–11 digits. Bare digit runs (amounts, references) are not phones.
fn phone_value(raw: &str) -> Option<String> {
    let ascii = ascii_digits(raw);
    let digits: String = ascii.chars().filter(char::is_ascii_digit).collect();
    let international = ascii.starts_with('+') || ascii.starts_with("00");
    if international {
        if !(8..=15).contains(&(digits.len() - usize::from(ascii.starts_with("00")) * 2)) {
            return None;
        }
        // +44 (0)7700 900123: the trunk 0 in brackets is not dialled.
        let cleaned = ascii.replacen("(0)", "", 1);
        normalise_phone(&cleaned).ok()
    } else if digits.starts_with('0') && (10..=11).contains(&digits.len()) {
        normalise_phone(&ascii).ok()
    } else {
        None
    }
}
