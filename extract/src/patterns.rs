//! Identifier scanners. Each pattern proposes candidates; normalisation or a check digit
//! confirms them. Scanners run in priority order and a span, once claimed, is not claimed
//! again (an email's `@domain` is not a handle, a sort code is not a phone number).

use std::sync::LazyLock;

use regex::Regex;

use crate::identifiers::{
    normalise_account, normalise_email, normalise_phone, normalise_postcode, normalise_vrm,
};
use crate::{EntityKind, Found, checks};

mod phones;
use phones::phones;

/// A digit in any script people type numbers in: ASCII, Arabic-Indic, Persian.
const D: &str = r"[0-9\x{0660}-\x{0669}\x{06F0}-\x{06F9}]";

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("pattern {pattern}: {e}"))
}

static URL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:https?://|(?-u:\b)www\.|(?-u:\b)(?:instagram\.com|t\.me|wa\.me|snapchat\.com|tiktok\.com|facebook\.com|fb\.com|twitter\.com|x\.com)/)[^\s<>"'\x{0600}-\x{06FF}]+"#,
    )
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,24}",
    )
});
static IBAN: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?-u:\b)[A-Z]{2}[0-9]{2}[ A-Z0-9]{11,40}(?-u:\b)"));
static BANK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)([0-9]{2})[-– ]([0-9]{2})[-– ]([0-9]{2})(?-u:\b)[ \t,/:;#]*(?:(?:acc(?:ount)?|a/c)(?:[ \t]*(?:no|number|num))?\.?[ \t,/:;#]*)?(?-u:\b)([0-9]{8})(?-u:\b)",
    )
});
static ETH: LazyLock<Regex> = LazyLock::new(|| re(r"(?-u:\b)0x[0-9a-fA-F]{40}(?-u:\b)"));
static BECH32: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?-u:\b)bc1[02-9ac-hj-np-z]{11,71}(?-u:\b)"));
static BASE58: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?-u:\b)[13T][1-9A-HJ-NP-Za-km-z]{25,34}(?-u:\b)"));
static POSTCODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?-u:\b)([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})(?-u:\b)"));
static VRM_CURRENT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?-u:\b)([A-Z]{2})([0-9]{2}) ?([A-Z]{3})(?-u:\b)"));
static VRM_OLD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?-u:\b)(?:[A-HJ-NP-Y][1-9][0-9]{0,2} ?[A-Z]{3}|[A-Z]{3} ?[1-9][0-9]{0,2}[A-HJ-NP-Y])(?-u:\b)",
    )
});
static HANDLE_LATIN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(snapchat|snap|sc|instagram|insta|ig|tiktok|telegram|tg|twitter|kik|wickr|discord|facebook|fb|signal|threema)(?:[ \t]*[:=\-–][ \t]*@?|[ \t]+is[ \t]+@?|[ \t]+@)([a-z0-9_][a-z0-9_.]{0,29})",
    )
});
static HANDLE_ARABIC: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(سناب(?: ?شات)?|انستا|انستغرام|انستقرام|تيك ?توك|تلغرام|تليجرام|فيسبوك|فيس)[ \t]*[:：]?[ \t]*@?([A-Za-z0-9_][A-Za-z0-9_.]{0,29})",
    )
});
static HANDLE_BARE: LazyLock<Regex> = LazyLock::new(|| re(r"@([A-Za-z0-9_][A-Za-z0-9_.]{0,29})"));

/// UK postcode areas (the letters before the first digit).
const POSTCODE_AREAS: &[&str] = &[
    "AB", "AL", "B", "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "BT", "CA", "CB", "CF", "CH",
    "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY", "E",
    "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP", "HR", "HS",
    "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L", "LA", "LD", "LE", "LL",
    "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW", "OL", "OX",
    "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG", "SK", "SL", "SM",
    "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR", "TS", "TW",
    "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
];

/// Words that follow "snap:" or "@" in chat but are not handles.
const NOT_HANDLES: &[&str] = &[
    "me", "the", "and", "you", "my", "it", "him", "her", "them", "is", "at", "on", "to", "us",
    "here", "there", "now", "later", "pls", "please",
];

/// Byte offsets → character offsets for one text.
struct Offsets<'a> {
    text: &'a str,
    ascii: bool,
}

impl Offsets<'_> {
    fn char_at(&self, byte: usize) -> u32 {
        if self.ascii {
            byte as u32
        } else {
            self.text[..byte].chars().count() as u32
        }
    }
}

struct Scan<'a> {
    text: &'a str,
    offsets: Offsets<'a>,
    claimed: Vec<(usize, usize)>,
    found: Vec<Found>,
}

impl<'a> Scan<'a> {
    fn free(&self, start: usize, end: usize) -> bool {
        !self.claimed.iter().any(|&(s, e)| s < end && start < e)
    }

    /// Records an entity over bytes `[start, end)` and claims the span.
    fn add(&mut self, kind: EntityKind, value: String, start: usize, end: usize) {
        self.claimed.push((start, end));
        self.add_derived(kind, value, start, end);
    }

    /// Records an entity that shares a claimed span (a phone inside a wa.me link).
    fn add_derived(&mut self, kind: EntityKind, value: String, start: usize, end: usize) {
        self.found.push(Found {
            kind,
            value,
            text: self.text[start..end].to_owned(),
            start: self.offsets.char_at(start),
            end: self.offsets.char_at(end),
            candidates: 0,
        });
    }

    fn before(&self, byte: usize) -> Option<char> {
        self.text[..byte].chars().next_back()
    }

    fn after(&self, byte: usize) -> Option<char> {
        self.text[byte..].chars().next()
    }
}

/// What a text holds, as far as the patterns' gates care.
#[derive(Default)]
struct Features {
    /// Digits (any script), counted up to 7.
    digits: u32,
    slash: bool,
    at: bool,
    /// An ASCII letter next to a digit (postcodes, VRMs).
    letter_digit: bool,
    /// Two letters then two digits (IBANs).
    letters_digits: bool,
    /// A run of 26 or more ASCII letters and digits (wallets).
    long_alnum: bool,
}

impl Features {
    fn of(bytes: &[u8]) -> Self {
        let mut f = Features::default();
        let mut run = 0u32;
        for (i, &b) in bytes.iter().enumerate() {
            let prev = if i > 0 { bytes[i - 1] } else { 0 };
            // ASCII digits, and the second byte of ٠-٩ (D9 A0-A9) and ۰-۹ (DB B0-B9).
            let digit = b.is_ascii_digit()
                || (prev == 0xD9 && (0xA0..=0xA9).contains(&b))
                || (prev == 0xDB && (0xB0..=0xB9).contains(&b));
            if digit && f.digits < 7 {
                f.digits += 1;
            }
            f.slash |= b == b'/';
            f.at |= b == b'@';
            if b.is_ascii_digit() && prev.is_ascii_alphabetic()
                || b.is_ascii_alphabetic() && prev.is_ascii_digit()
            {
                f.letter_digit = true;
                if b.is_ascii_digit()
                    && i >= 2
                    && bytes[i - 2].is_ascii_alphabetic()
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                {
                    f.letters_digits = true;
                }
            }
            if b.is_ascii_alphanumeric() {
                run += 1;
                f.long_alnum |= run >= 26;
            } else {
                run = 0;
            }
        }
        f
    }
}

/// Every identifier in `text` (no names), in order of position.
pub fn identifiers(text: &str) -> Vec<Found> {
    let mut scan = Scan {
        text,
        offsets: Offsets {
            text,
            ascii: text.is_ascii(),
        },
        claimed: Vec::new(),
        found: Vec::new(),
    };
    // Cheap gates, from one pass over the bytes: most lines hold no digit, `@` or `/`,
    // and each pattern skipped is a pass over the text saved.
    let f = Features::of(text.as_bytes());
    if f.slash || text.contains("www.") || text.contains("WWW.") {
        urls(&mut scan);
    }
    if f.at {
        emails(&mut scan);
    }
    if f.letters_digits {
        ibans(&mut scan);
    }
    if f.long_alnum {
        wallets(&mut scan);
    }
    if f.digits >= 7 {
        bank_accounts(&mut scan);
        phones(&mut scan);
    }
    if f.letter_digit {
        postcodes(&mut scan);
        vehicles(&mut scan);
    }
    handles(&mut scan);
    let mut found = scan.found;
    found.sort_by_key(|f| (f.start, f.end, f.kind));
    found
}

fn urls(scan: &mut Scan<'_>) {
    let text = scan.text;
    for m in URL.find_iter(text) {
        let raw = m
            .as_str()
            .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '}', '\'', '"']);
        if raw.len() < 6 {
            continue;
        }
        let (start, end) = (m.start(), m.start() + raw.len());
        let lower = raw.to_lowercase();
        let bare = lower
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_start_matches("www.");
        // Keep the path's case (it can matter); lower-case scheme and host.
        let host_len = bare.find('/').unwrap_or(bare.len());
        let path = &raw[raw.len() - (bare.len() - host_len)..];
        let value = format!("{}{}", &bare[..host_len], path.trim_end_matches('/'));
        if !bare[..host_len].contains('.') {
            continue;
        }
        scan.add(EntityKind::Url, value.clone(), start, end);
        derived_from_url(scan, &value, start, end);
    }
}

/// An account or a phone number that a profile or chat link stands for.
fn derived_from_url(scan: &mut Scan<'_>, url: &str, start: usize, end: usize) {
    let Some((host, path)) = url.split_once('/') else {
        return;
    };
    let first = path.split(['/', '?', '#']).next().unwrap_or("");
    let (platform, handle) = match host {
        "instagram.com" => ("instagram", first),
        "t.me" => ("telegram", first),
        "tiktok.com" => ("tiktok", first.trim_start_matches('@')),
        "facebook.com" | "fb.com" => ("facebook", first),
        "twitter.com" | "x.com" => ("twitter", first),
        "snapchat.com" => (
            "snapchat",
            path.strip_prefix("add/")
                .map_or("", |p| p.split(['/', '?']).next().unwrap_or("")),
        ),
        "wa.me" => {
            let digits: String = first.chars().filter(char::is_ascii_digit).collect();
            if let Ok(e164) = normalise_phone(&format!("+{digits}")) {
                scan.add_derived(EntityKind::Phone, e164, start, end);
            }
            return;
        }
        _ => return,
    };
    let reserved = [
        "p",
        "reel",
        "explore",
        "share",
        "watch",
        "home",
        "profile.php",
    ];
    if !handle.is_empty()
        && !reserved.contains(&handle)
        && let Ok(v) = normalise_account(platform, handle)
    {
        scan.add_derived(EntityKind::Account, v, start, end);
    }
}

fn emails(scan: &mut Scan<'_>) {
    for m in EMAIL.find_iter(scan.text) {
        if !scan.free(m.start(), m.end()) {
            continue;
        }
        if let Ok(v) = normalise_email(m.as_str()) {
            scan.add(EntityKind::Email, v, m.start(), m.end());
        }
    }
}

fn ibans(scan: &mut Scan<'_>) {
    let text = scan.text;
    for m in IBAN.find_iter(text) {
        // The run may take words after the number (`… 7654 32 thanks`): drop trailing
        // space-separated chunks until the check digits hold.
        let mut raw = m.as_str().trim_end();
        loop {
            let compact: String = raw
                .chars()
                .filter(|c| *c != ' ')
                .collect::<String>()
                .to_uppercase();
            if compact.len() < 15 {
                break;
            }
            let end = m.start() + raw.len();
            if checks::iban_ok(&compact) {
                if scan.free(m.start(), end) {
                    scan.add(EntityKind::Iban, compact, m.start(), end);
                }
                break;
            }
            match raw.rfind(' ') {
                Some(i) => raw = raw[..i].trim_end(),
                None => break,
            }
        }
    }
}

fn wallets(scan: &mut Scan<'_>) {
    let text = scan.text;
    for m in ETH.find_iter(text) {
        if scan.free(m.start(), m.end()) {
            scan.add(
                EntityKind::Crypto,
                m.as_str().to_lowercase(),
                m.start(),
                m.end(),
            );
        }
    }
    for m in BECH32.find_iter(text) {
        let lower = m.as_str().to_lowercase();
        // Mixed case is invalid Bech32.
        let one_case = m.as_str() == lower || m.as_str() == m.as_str().to_uppercase();
        if one_case && scan.free(m.start(), m.end()) && checks::bech32_ok(&lower) {
            scan.add(EntityKind::Crypto, lower, m.start(), m.end());
        }
    }
    for m in BASE58.find_iter(text) {
        let s = m.as_str();
        let version = checks::base58check_version(s);
        // Bitcoin P2PKH (0) / P2SH (5) start with 1 / 3; Tron (0x41) with T.
        let ok = match s.as_bytes()[0] {
            b'1' => version == Some(0),
            b'3' => version == Some(5),
            _ => version == Some(0x41),
        };
        if ok && scan.free(m.start(), m.end()) {
            scan.add(EntityKind::Crypto, s.to_owned(), m.start(), m.end());
        }
    }
}

fn bank_accounts(scan: &mut Scan<'_>) {
    let text = scan.text;
    for c in BANK.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        if !scan.free(m.start(), m.end()) {
            continue;
        }
        let value = format!("{}{}{}/{}", &c[1], &c[2], &c[3], &c[4]);
        scan.add(EntityKind::BankAccount, value, m.start(), m.end());
    }
}

fn postcodes(scan: &mut Scan<'_>) {
    let text = scan.text;
    for c in POSTCODE.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        let outward = c[1].to_uppercase();
        let area: String = outward
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        if !POSTCODE_AREAS.contains(&area.as_str()) || !scan.free(m.start(), m.end()) {
            continue;
        }
        if let Ok(v) = normalise_postcode(m.as_str()) {
            scan.add(EntityKind::Postcode, v, m.start(), m.end());
        }
    }
}

fn vehicles(scan: &mut Scan<'_>) {
    let text = scan.text;
    for c in VRM_CURRENT.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        let (area, age, tail) = (c[1].to_uppercase(), &c[2], c[3].to_uppercase());
        let age: u32 = age.parse().unwrap_or(0);
        let letters_ok = !area.contains(['I', 'Q', 'Z'])
            && !area.starts_with(['U', 'X'])
            && !tail.contains(['I', 'Q']);
        let age_ok = (2..=29).contains(&age) || (51..=79).contains(&age);
        if letters_ok && age_ok && scan.free(m.start(), m.end()) {
            // A word in running lower-case text (`is12 the`) is rare; mixed case is not a plate.
            let s = m.as_str();
            let one_case = s == s.to_uppercase() || s == s.to_lowercase();
            if let (true, Ok(v)) = (one_case, normalise_vrm(s)) {
                scan.add(EntityKind::Vehicle, v, m.start(), m.end());
            }
        }
    }
    for m in VRM_OLD.find_iter(text) {
        if scan.free(m.start(), m.end())
            && let Ok(v) = normalise_vrm(m.as_str())
        {
            scan.add(EntityKind::Vehicle, v, m.start(), m.end());
        }
    }
}

fn handles(scan: &mut Scan<'_>) {
    let text = scan.text;
    // Latin platform words need a separator; the Arabic ones may stand alone.
    let arabic = !text.is_ascii() && text.contains(|c| ('\u{0600}'..='\u{06FF}').contains(&c));
    if !arabic && !text.contains([':', '=', '-', '–', '@']) && !text.contains(" is ") {
        return;
    }
    let mut prefixed: Vec<(usize, usize, String, String)> = Vec::new();
    for c in HANDLE_LATIN.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        prefixed.push((
            m.start(),
            m.end(),
            platform(&c[1]).to_owned(),
            c[2].to_owned(),
        ));
    }
    for c in HANDLE_ARABIC.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        prefixed.push((
            m.start(),
            m.end(),
            platform(&c[1]).to_owned(),
            c[2].to_owned(),
        ));
    }
    for (start, end, platform, handle) in prefixed {
        let trimmed = handle.trim_end_matches('.');
        let end = end - (handle.len() - trimmed.len());
        let handle = trimmed;
        if is_handle(handle)
            && scan.free(start, end)
            && let Ok(v) = normalise_account(&platform, handle)
        {
            scan.add(EntityKind::Account, v, start, end);
        }
    }
    for c in HANDLE_BARE.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        let handle = c[1].trim_end_matches('.');
        let end = m.end() - (c[1].len() - handle.len());
        let glued = scan
            .before(m.start())
            .is_some_and(|ch| ch.is_alphanumeric() || matches!(ch, '.' | '_' | '@'));
        if !glued && is_handle(handle) && scan.free(m.start(), end) {
            scan.add(
                EntityKind::Account,
                format!("@{}", handle.to_lowercase()),
                m.start(),
                end,
            );
        }
    }
}

fn is_handle(h: &str) -> bool {
    h.len() >= 3
        && h.chars().any(|c| c.is_ascii_alphabetic())
        && !NOT_HANDLES.contains(&h.to_lowercase().as_str())
}

fn platform(word: &str) -> &'static str {
    let w = word.to_lowercase();
    match w.as_str() {
        "snapchat" | "snap" | "sc" => "snapchat",
        "instagram" | "insta" | "ig" => "instagram",
        "tiktok" => "tiktok",
        "telegram" | "tg" => "telegram",
        "twitter" => "twitter",
        "facebook" | "fb" => "facebook",
        "kik" => "kik",
        "wickr" => "wickr",
        "discord" => "discord",
        "signal" => "signal",
        "threema" => "threema",
        _ if w.starts_with("سناب") => "snapchat",
        _ if w.starts_with("انست") => "instagram",
        _ if w.starts_with("تيك") => "tiktok",
        _ if w.starts_with("تل") => "telegram",
        _ => "facebook",
    }
}

#[cfg(test)]
mod tests;
