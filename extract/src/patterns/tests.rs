use super::*;

fn values(text: &str) -> Vec<(EntityKind, String)> {
    identifiers(text)
        .into_iter()
        .map(|f| (f.kind, f.value))
        .collect()
}

fn one(text: &str, kind: EntityKind, value: &str) {
    assert_eq!(values(text), vec![(kind, value.to_owned())], "{text}");
}

#[test]
fn phones_in_the_forms_people_write_them() {
    use EntityKind::Phone;
    for text in [
        "ring me on 07700 900123 after 6",
        "ring me on 07700-900-123.",
        "my new num +44 7700 900123",
        "my new num +44 (0)7700 900123",
        "0044 7700 900 123 is the one",
        "(07700) 900123",
        "رقمي ٠٧٧٠٠٩٠٠١٢٣ اتصل",
        "رقمي ۰۷۷۰۰۹۰۰۱۲۳",
        "07700900123 2pm",
    ] {
        one(text, Phone, "+447700900123");
    }
    one("call +964 770 123 4567", Phone, "+9647701234567");
    one("landline 0113 496 0000", Phone, "+441134960000");
}

#[test]
fn numbers_that_are_not_phones() {
    for text in [
        "meet 12/03/2024 at 14:30",
        "£1,500 by friday",
        "ref 123456789012",
        "order 7700900123",
        "room 0113",
    ] {
        assert_eq!(values(text), vec![], "{text}");
    }
}

#[test]
fn emails_urls_and_derived_accounts() {
    one(
        "mail Jay.99@Example.co.uk now",
        EntityKind::Email,
        "jay.99@example.co.uk",
    );
    assert_eq!(
        values("see https://www.instagram.com/Jay_99/ ok"),
        vec![
            (EntityKind::Account, "instagram:jay_99".to_owned()),
            (EntityKind::Url, "instagram.com/Jay_99".to_owned()),
        ]
    );
    assert_eq!(
        values("wa.me/447700900123"),
        vec![
            (EntityKind::Phone, "+447700900123".to_owned()),
            (EntityKind::Url, "wa.me/447700900123".to_owned()),
        ]
    );
}

#[test]
fn plates_and_postcodes() {
    one(
        "silver golf AB12 CDE outside",
        EntityKind::Vehicle,
        "AB12CDE",
    );
    one("reg is ab12cde", EntityKind::Vehicle, "AB12CDE");
    one("old one A123 BCD", EntityKind::Vehicle, "A123BCD");
    one("older ABC 123D", EntityKind::Vehicle, "ABC123D");
    one("flat at LS11 5AB tonight", EntityKind::Postcode, "LS11 5AB");
    one("bd7 1dp", EntityKind::Postcode, "BD7 1DP");
    one("M1 1AE", EntityKind::Postcode, "M1 1AE");
    assert_eq!(values("XX1 1AB"), vec![], "not a postcode area");
}

#[test]
fn handles_bank_details_and_wallets() {
    one(
        "add my snap: jay_99x",
        EntityKind::Account,
        "snapchat:jay_99x",
    );
    one("ig @lola.k", EntityKind::Account, "instagram:lola.k");
    one("سناب: dodo_77", EntityKind::Account, "snapchat:dodo_77");
    one("dm @ghost_rider", EntityKind::Account, "@ghost_rider");
    one("jay@example.com", EntityKind::Email, "jay@example.com");
    one(
        "send to 20-00-00 acc 12345678",
        EntityKind::BankAccount,
        "200000/12345678",
    );
    one(
        "IBAN GB82 WEST 1234 5698 7654 32",
        EntityKind::Iban,
        "GB82WEST12345698765432",
    );
    one(
        "btc 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        EntityKind::Crypto,
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    );
}

#[test]
fn offsets_are_characters() {
    let f = identifiers("رقمي ٠٧٧٠٠٩٠٠١٢٣ اتصل");
    assert_eq!((f[0].start, f[0].end), (5, 16));
    assert_eq!(f[0].text, "٠٧٧٠٠٩٠٠١٢٣");
}
