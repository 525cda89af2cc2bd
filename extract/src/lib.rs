//! Entity extraction for toex: phone numbers, emails, UK vehicle registrations and
//! postcodes, online handles, URLs, bank details and crypto wallets found by pattern and
//! confirmed by normalisation or check digits, and names of known persons found through a
//! transliteration-aware gazetteer; and the language of a text. Pure functions over text;
//! no I/O.

mod checks;
mod gazetteer;
pub mod identifiers;
mod language;
pub mod names;
mod patterns;

pub use gazetteer::{Gazetteer, KnownPerson, MAX_CANDIDATES};
pub use language::{detect_language, guess_language};
pub use patterns::identifiers as find_identifiers;

use serde::{Deserialize, Serialize};

/// What an extracted entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    /// E.164 phone number.
    Phone,
    Email,
    /// UK vehicle registration mark.
    Vehicle,
    /// UK postcode.
    Postcode,
    /// Online account: `platform:handle`, or `@handle` when the platform is not said.
    Account,
    Url,
    Iban,
    /// UK sort code with account number: `sortcode/account`.
    BankAccount,
    /// Bitcoin, Ethereum or Tron wallet address.
    Crypto,
    /// A person already in the graph, found by name; the value is the person's id.
    Person,
}

impl EntityKind {
    pub const ALL: [EntityKind; 10] = [
        EntityKind::Phone,
        EntityKind::Email,
        EntityKind::Vehicle,
        EntityKind::Postcode,
        EntityKind::Account,
        EntityKind::Url,
        EntityKind::Iban,
        EntityKind::BankAccount,
        EntityKind::Crypto,
        EntityKind::Person,
    ];

    /// The lower-case name used in stored keys (`phone:+447700900123`).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Phone => "phone",
            EntityKind::Email => "email",
            EntityKind::Vehicle => "vehicle",
            EntityKind::Postcode => "postcode",
            EntityKind::Account => "account",
            EntityKind::Url => "url",
            EntityKind::Iban => "iban",
            EntityKind::BankAccount => "bankaccount",
            EntityKind::Crypto => "crypto",
            EntityKind::Person => "person",
        }
    }

    /// The kind named by [`EntityKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The stored key of a value of this kind: `kind:value`.
    pub fn key(self, value: &str) -> String {
        format!("{}:{value}", self.as_str())
    }
}

/// One entity found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    pub kind: EntityKind,
    /// The normalised value: E.164, lower-cased email, VRM without spaces, postcode with
    /// one space, `platform:handle`, URL without scheme, IBAN, `sortcode/account`, wallet
    /// address, or person id.
    pub value: String,
    /// As written.
    pub text: String,
    /// Character offsets `[start, end)` in the text searched.
    pub start: u32,
    pub end: u32,
    /// For names: how many known persons carry the name (1 = unambiguous).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub candidates: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Which text of a document an entity was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextSide {
    Original,
    Translation,
}

/// An entity found in a document: which text, which segment, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    #[serde(flatten)]
    pub found: Found,
    pub side: TextSide,
    /// Index of the segment in the document; `None` for a document without segments or
    /// for its whole translation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<u32>,
}

/// Every identifier and known name in `text`, in order of position.
pub fn extract(text: &str, gazetteer: Option<&Gazetteer>) -> Vec<Found> {
    let mut found = patterns::identifiers(text);
    if let Some(g) = gazetteer {
        // A name never overlaps an identifier (a handle spelled like a name stays a handle).
        let names: Vec<Found> = g
            .find(text)
            .into_iter()
            .filter(|n| !found.iter().any(|f| f.start < n.end && n.start < f.end))
            .collect();
        found.extend(names);
    }
    found.sort_by_key(|f| (f.start, f.end, f.kind));
    found
}

/// Every mention in a document: each segment's original text (or the whole text when
/// there are no segments), then the translation.
pub fn extract_document<'a>(
    segments: impl IntoIterator<Item = &'a str>,
    text: &str,
    translation: Option<&str>,
    gazetteer: Option<&Gazetteer>,
) -> Vec<Mention> {
    // One pass over the segments joined by newlines (no pattern crosses a line), then
    // each hit is given back to its segment: a regex call per segment would cost more
    // than the scan itself.
    let segments: Vec<&str> = segments.into_iter().collect();
    let mut out = Vec::new();
    if segments.is_empty() {
        out.extend(extract(text, gazetteer).into_iter().map(|found| Mention {
            found,
            side: TextSide::Original,
            segment: None,
        }));
    } else {
        let mut starts = Vec::with_capacity(segments.len());
        let mut lens = Vec::with_capacity(segments.len());
        let mut at = 0u32;
        for s in &segments {
            let n = s.chars().count() as u32;
            starts.push(at);
            lens.push(n);
            at += n + 1;
        }
        let joined = segments.join("\n");
        for mut found in extract(&joined, gazetteer) {
            let i = starts
                .partition_point(|&s| s <= found.start)
                .saturating_sub(1);
            let (start, len) = (starts[i], lens[i]);
            if found.end > start + len {
                continue;
            }
            found.start -= start;
            found.end -= start;
            out.push(Mention {
                found,
                side: TextSide::Original,
                segment: Some(i as u32),
            });
        }
    }
    if let Some(t) = translation {
        out.extend(extract(t, gazetteer).into_iter().map(|found| Mention {
            found,
            side: TextSide::Translation,
            segment: None,
        }));
    }
    out
}

/// What `raw` names, for a look-up by identifier: the kind and normalised value of a
/// phone, email, VRM, postcode, handle (`@x` or `platform:x`), URL, IBAN, bank account
/// or wallet written on its own. `None` when it is none of these (it may be a name).
pub fn classify(raw: &str) -> Option<(EntityKind, String)> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if let Some((platform, handle)) = raw.split_once(':')
        && !platform.is_empty()
        && platform.chars().all(|c| c.is_ascii_alphabetic())
        && !handle.starts_with("//")
        && let Ok(v) = identifiers::normalise_account(platform, handle)
    {
        return Some((EntityKind::Account, v));
    }
    let found = patterns::identifiers(raw);
    // The whole input must be one entity (a derived account or phone of a URL aside).
    let whole = found
        .iter()
        .find(|f| f.start == 0 && f.end as usize == raw.chars().count())?;
    Some((whole.kind, whole.value.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_names_what_a_string_is() {
        assert_eq!(
            classify("07700 900123"),
            Some((EntityKind::Phone, "+447700900123".into()))
        );
        assert_eq!(
            classify("Jay@Example.com"),
            Some((EntityKind::Email, "jay@example.com".into()))
        );
        assert_eq!(
            classify("ab12 cde"),
            Some((EntityKind::Vehicle, "AB12CDE".into()))
        );
        assert_eq!(
            classify("ls1 1ab"),
            Some((EntityKind::Postcode, "LS1 1AB".into()))
        );
        assert_eq!(
            classify("snapchat:Jay_99"),
            Some((EntityKind::Account, "snapchat:jay_99".into()))
        );
        assert_eq!(
            classify("@jay_99"),
            Some((EntityKind::Account, "@jay_99".into()))
        );
        assert_eq!(classify("Mohammed Hassan"), None);
        assert_eq!(classify("call 07700 900123"), None);
    }

    #[test]
    fn mentions_keep_their_segment_and_side() {
        let m = extract_document(
            ["hello", "ring 07700 900123"],
            "hello\nring 07700 900123",
            Some("mail jay@example.com"),
            None,
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].segment, Some(1));
        assert_eq!((m[0].found.start, m[0].found.end), (5, 17));
        assert_eq!(m[1].side, TextSide::Translation);
    }
}
