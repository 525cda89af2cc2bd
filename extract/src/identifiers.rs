//! Normalisation of identifiers to the keys the graph stores: phone numbers to E.164
//! (UK default region; Arabic-Indic and Persian digits accepted), emails, UK vehicle
//! registrations, online accounts and postcodes.

use std::cell::RefCell;
use std::collections::HashMap;

use phonenumber::country::Id;
use phonenumber::{Mode, PhoneNumber};

/// A digit in any script people type numbers in: ASCII, Arabic-Indic, Persian.
pub fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
        || ('\u{0660}'..='\u{0669}').contains(&c)
        || ('\u{06F0}'..='\u{06F9}').contains(&c)
}

/// Replaces Arabic-Indic (٠-٩) and Persian (۰-۹) digits by ASCII digits.
pub fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            other => other,
        })
        .collect()
}

thread_local! {
    /// Raw number → result, per thread: call records and chat logs repeat the same few
    /// numbers, and libphonenumber's parse is the costly part of importing them.
    static PHONES: RefCell<HashMap<String, Result<String, String>>> = RefCell::new(HashMap::new());
}
const PHONE_CACHE: usize = 100_000;

/// A phone number in E.164 (`+447700900123`), or why it is not one.
pub fn normalise_phone(raw: &str) -> Result<String, String> {
    // Most numbers are plain UK ones, which take less work than a cache look-up.
    if let Some(e164) = plain_uk(raw) {
        return Ok(e164);
    }
    PHONES.with(|cache| {
        if let Some(hit) = cache.borrow().get(raw) {
            return hit.clone();
        }
        let result = parse_phone(raw);
        let mut cache = cache.borrow_mut();
        if cache.len() >= PHONE_CACHE {
            cache.clear();
        }
        cache.insert(raw.to_owned(), result.clone());
        result
    })
}

fn parse_phone(raw: &str) -> Result<String, String> {
    let ascii = ascii_digits(raw.trim());
    let digits = ascii.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return Err(format!("`{raw}` is not a phone number ({digits} digits)"));
    }
    if let Some(e164) = plain_uk(&ascii) {
        return Ok(e164);
    }
    // 00 international prefix, as often written in the UK and the Middle East.
    let cleaned = match ascii.trim_start().strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => ascii.clone(),
    };
    let number: PhoneNumber = phonenumber::parse(Some(Id::GB), &cleaned)
        .map_err(|e| format!("`{raw}` is not a phone number: {e}"))?;
    // Length, not allocation: Ofcom's drama ranges (07700 900xxx), which synthetic data
    // uses, are well-formed but unallocated, and allocation changes over time.
    let national = number.national().value().to_string().len();
    let plausible = match number.code().value() {
        44 => (9..=10).contains(&national),
        _ => (6..=14).contains(&national),
    };
    if !plausible {
        return Err(format!("`{raw}` is not a phone number (wrong length)"));
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

/// The E.164 form of a UK number written plainly — `0` and 9–10 more digits, or
/// `+44`/`0044` and 9–10 digits not starting with 0, separated only by spaces, dashes,
/// dots or brackets — without libphonenumber's parser (the costly part of extraction and
/// of importing call records). Anything else is left to the parser; both give the same
/// answer where both apply (tested).
fn plain_uk(raw: &str) -> Option<String> {
    let s = raw.trim().as_bytes();
    let mut digits = [0u8; 16];
    let mut n = 0;
    for (i, &c) in s.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                *digits.get_mut(n)? = c;
                n += 1;
            }
            b'+' if i == 0 => {}
            b' ' | b'-' | b'.' | b')' => {}
            b'(' if s.get(i + 1..i + 3) != Some(b"0)") => {}
            _ => return None,
        }
    }
    let digits = &digits[..n];
    let national = if s.starts_with(b"+") {
        digits.strip_prefix(b"44")?
    } else if let Some(rest) = digits.strip_prefix(b"0044") {
        rest
    } else if digits.starts_with(b"00") {
        return None;
    } else {
        digits.strip_prefix(b"0")?
    };
    let ok = (9..=10).contains(&national.len()) && !national.starts_with(b"0");
    ok.then(|| {
        let mut e164 = String::with_capacity(3 + national.len());
        e164.push_str("+44");
        // ASCII digits only, checked above.
        e164.extend(national.iter().map(|&d| char::from(d)));
        e164
    })
}

/// Whether an E.164 number fits its country's numbering plan (libphonenumber's
/// metadata), beyond the length check of [`normalise_phone`].
pub fn phone_is_valid(e164: &str) -> bool {
    thread_local! {
        static VALID: RefCell<HashMap<String, bool>> = RefCell::new(HashMap::new());
    }
    VALID.with(|cache| {
        if let Some(&hit) = cache.borrow().get(e164) {
            return hit;
        }
        let valid = phonenumber::parse(None, e164).is_ok_and(|n| phonenumber::is_valid(&n));
        let mut cache = cache.borrow_mut();
        if cache.len() >= PHONE_CACHE {
            cache.clear();
        }
        cache.insert(e164.to_owned(), valid);
        valid
    })
}

/// An email address, lower-cased, or why it is not one.
pub fn normalise_email(raw: &str) -> Result<String, String> {
    let e = raw.trim().to_lowercase();
    let valid = e.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !e.contains(char::is_whitespace)
        && e.matches('@').count() == 1;
    if valid {
        Ok(e)
    } else {
        Err(format!("`{raw}` is not an email address"))
    }
}

/// A UK vehicle registration mark, upper-cased without spaces, or why it is not one.
/// Accepts the current format (AB12 CDE), prefix (A123 BCD), suffix (ABC 123D) and
/// dateless (ABC 123, 1234 AB) forms.
pub fn normalise_vrm(raw: &str) -> Result<String, String> {
    let v: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase();
    let shape: String = v
        .chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                'A'
            } else if c.is_ascii_digit() {
                '9'
            } else {
                '?'
            }
        })
        .collect();
    let ok = matches!(
        shape.as_str(),
        "AA99AAA" | "A9AAA" | "A99AAA" | "A999AAA" | "AAA9A" | "AAA99A" | "AAA999A"
    ) || (shape.len() <= 7 && !shape.contains('?') && dateless(&shape));
    if ok {
        Ok(v)
    } else {
        Err(format!("`{raw}` is not a UK vehicle registration"))
    }
}

fn dateless(shape: &str) -> bool {
    let letters = shape.chars().take_while(|c| *c == 'A').count();
    let digits = shape[letters..].chars().take_while(|c| *c == '9').count();
    let rest = &shape[letters + digits..];
    let letters_first = (1..=3).contains(&letters) && (1..=4).contains(&digits) && rest.is_empty();
    let d = shape.chars().take_while(|c| *c == '9').count();
    let l = shape[d..].chars().take_while(|c| *c == 'A').count();
    let digits_first = (1..=4).contains(&d) && (1..=3).contains(&l) && d + l == shape.len();
    letters_first || digits_first
}

/// A UK postcode, upper-cased with one space before the inward code, or why it is not one.
pub fn normalise_postcode(raw: &str) -> Result<String, String> {
    let p: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if !(5..=7).contains(&p.len()) || !p.is_ascii() {
        return Err(format!("`{raw}` is not a UK postcode"));
    }
    let (outward, inward) = p.split_at(p.len() - 3);
    let inward_ok = {
        let b = inward.as_bytes();
        b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
    };
    let outward_ok = outward.as_bytes()[0].is_ascii_alphabetic()
        && outward.chars().all(|c| c.is_ascii_alphanumeric())
        && outward.chars().any(|c| c.is_ascii_digit());
    if inward_ok && outward_ok {
        Ok(format!("{outward} {inward}"))
    } else {
        Err(format!("`{raw}` is not a UK postcode"))
    }
}

/// An online account key `platform:handle`, lower-cased, without a leading `@`.
pub fn normalise_account(platform: &str, handle: &str) -> Result<String, String> {
    let platform = platform.trim().to_lowercase();
    let handle = handle.trim().trim_start_matches('@').to_lowercase();
    if platform.is_empty() || handle.is_empty() || handle.contains(char::is_whitespace) {
        return Err(format!(
            "`{platform}:{handle}` is not an online account (platform and handle)"
        ));
    }
    Ok(format!("{platform}:{handle}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uk_numbers_in_many_forms_become_e164() {
        for raw in [
            "07700 900123",
            "07700-900-123",
            "+44 7700 900123",
            "0044 7700 900123",
            "(07700) 900123",
            "٠٧٧٠٠٩٠٠١٢٣",
            "۰۷۷۰۰۹۰۰۱۲۳",
        ] {
            assert_eq!(normalise_phone(raw).unwrap(), "+447700900123", "{raw}");
        }
    }

    #[test]
    fn the_plain_uk_path_agrees_with_libphonenumber() {
        let forms = |n: &str| {
            let rest = &n[1..];
            vec![
                n.to_owned(),
                format!("{} {}", &n[..5], &n[5..]),
                format!("{}-{}-{}", &n[..4], &n[4..7], &n[7..]),
                format!("({}) {}", &n[..5], &n[5..]),
                format!("+44 {rest}"),
                format!("+44{rest}"),
                format!("0044 {rest}"),
            ]
        };
        let mut seed = 7u64;
        for _ in 0..2_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let prefix = ["07", "01", "02", "03", "08", "011", "0800"][(seed >> 33) as usize % 7];
            let len = 10 + (seed >> 40) as usize % 2;
            let mut n = prefix.to_owned();
            let mut x = seed;
            while n.len() < len {
                n.push(char::from(b'0' + (x % 10) as u8));
                x /= 10;
            }
            for form in forms(&n) {
                let ascii = ascii_digits(&form);
                let Some(fast) = plain_uk(&ascii) else {
                    continue;
                };
                let cleaned = match ascii.strip_prefix("00") {
                    Some(rest) => format!("+{rest}"),
                    None => ascii.clone(),
                };
                let slow = phonenumber::parse(Some(Id::GB), &cleaned)
                    .ok()
                    .filter(|p| (9..=10).contains(&p.national().value().to_string().len()))
                    .map(|p| p.format().mode(Mode::E164).to_string());
                assert_eq!(Some(fast), slow, "{form}");
            }
        }
    }

    #[test]
    fn international_numbers_keep_their_country() {
        assert_eq!(
            normalise_phone("+964 770 123 4567").unwrap(),
            "+9647701234567"
        );
        assert_eq!(
            normalise_phone("00964 770 123 4567").unwrap(),
            "+9647701234567"
        );
    }

    #[test]
    fn junk_is_not_a_phone() {
        for raw in ["", "12", "not a number", "0770090012345678901"] {
            assert!(normalise_phone(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn vrms_postcodes_emails_accounts() {
        assert_eq!(normalise_vrm("ab12 cde").unwrap(), "AB12CDE");
        assert_eq!(normalise_vrm("A123 BCD").unwrap(), "A123BCD");
        assert_eq!(normalise_vrm("ABC 123D").unwrap(), "ABC123D");
        assert!(normalise_vrm("hello world").is_err());
        assert_eq!(normalise_postcode("ls11ab").unwrap(), "LS1 1AB");
        assert_eq!(normalise_postcode("BD7 1DP").unwrap(), "BD7 1DP");
        assert!(normalise_postcode("12345").is_err());
        assert_eq!(
            normalise_email(" Foo@Example.COM ").unwrap(),
            "foo@example.com"
        );
        assert!(normalise_email("foo@bar").is_err());
        assert_eq!(
            normalise_account("Snapchat", "@Jay_99").unwrap(),
            "snapchat:jay_99"
        );
    }
}
