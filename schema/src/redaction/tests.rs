use super::*;
use toex_graph::ProtectedPerson;

fn sophie() -> ProtectedPerson {
    ProtectedPerson {
        id: "V1".into(),
        force: "WYP".into(),
        names: vec!["Sophie Smith".into(), "صوفي سميث".into()],
        identifiers: vec![
            "phone:+447700900001".into(),
            "account:instagram:sophiesmith2009".into(),
            "account:@sophiesmith2009".into(),
            "email:sophiesmith2009@example.com".into(),
        ],
        keys: vec!["Phone:+447700900001".into()],
    }
}

fn set(exempt: &[&str]) -> Protected {
    let pseudonyms = Pseudonyms::derived_from(b"0123456789abcdef0123456789abcdef");
    Protected::new(
        &[sophie()],
        &pseudonyms,
        exempt.iter().map(|s| s.to_string()).collect(),
    )
}

fn label() -> String {
    let pseudonyms = Pseudonyms::derived_from(b"0123456789abcdef0123456789abcdef");
    format!("[{}]", pseudonyms.of("WYP", "V1"))
}

fn redacted(text: &str) -> String {
    set(&[])
        .redact(text)
        .map(|(t, _)| t)
        .unwrap_or_else(|| text.to_owned())
}

#[test]
fn a_person_sharing_a_word_of_a_protected_name_is_not_redacted() {
    for text in [
        "Jack Smith drove",
        "Sophie Turner called",
        "هذا بيت جديد",
        "سميث وصل",
    ] {
        assert_eq!(redacted(text), text);
    }
}

#[test]
fn a_protected_name_is_redacted_in_any_script_and_inside_highlights() {
    let l = label();
    assert_eq!(redacted("Met Sophie SMITH at 9"), format!("Met {l} at 9"));
    assert_eq!(
        redacted("قابلت صوفي سميث اليوم"),
        format!("قابلت {l} اليوم")
    );
    assert_eq!(
        redacted("Met <b>Sophie</b> Smith at 9"),
        format!("Met <b>{l}</b> at 9")
    );
}

#[test]
fn fullwidth_zero_width_and_confusable_spellings_are_redacted() {
    let l = label();
    for text in [
        "Ｓｏｐｈｉｅ Ｓｍｉｔｈ",
        "Soph\u{200B}ie Sm\u{200D}ith",
        "Ѕорһіе Ѕmіth",
        "صـوفـي سميث",
    ] {
        assert_eq!(redacted(text), l, "{text:?}");
    }
}

#[test]
fn identifiers_linked_to_a_protected_person_are_redacted_in_every_format() {
    let l = label();
    let phone = format!("[phone of {}", &l[1..]);
    for (text, start) in [
        ("ring 07700 900001 now", "ring "),
        ("ring +44 7700 900001 now", "ring "),
        ("ring ０７７００９００００１ now", "ring "),
    ] {
        let out = redacted(text);
        assert!(
            out.starts_with(start) && out.contains(&phone),
            "{text}: {out}"
        );
        assert!(!out.contains("900001"), "{out}");
    }
    let out = redacted("dm @sophiesmith2009 or sophiesmith2009@example.com or SophieSmith2009.");
    assert!(!out.contains("sophiesmith2009"), "{out}");
    assert!(out.contains("[account of Protected person"), "{out}");
    assert!(out.contains("[email of Protected person"), "{out}");
    // Someone else's phone is left alone.
    assert_eq!(redacted("ring 07700 900002"), "ring 07700 900002");
}

#[test]
fn a_pseudonym_is_the_same_everywhere_for_one_person() {
    let l = label();
    let out = redacted("Sophie Smith and صوفي سميث");
    assert_eq!(out, format!("{l} and {l}"));
}

#[test]
fn a_protected_person_object_is_redacted_by_id_whatever_its_name_holds() {
    let s = set(&["P9"]);
    let mut v = async_graphql::value!({
        "people": [
            {"id": "V1", "name": "S. Smith", "aliases": ["Soph"]},
            {"id": "P9", "name": "Sophie Smith"},
            {"key": "Phone:+447700900001", "caption": "+447700900001"},
        ]
    });
    let n = redact_value(&mut v, &s, &[]);
    let l = label();
    let json = v.into_json().unwrap();
    assert_eq!(json["people"][0]["name"], l.as_str());
    assert_eq!(json["people"][0]["aliases"][0], l.as_str());
    // An unprotected person recorded under the same name keeps it.
    assert_eq!(json["people"][1]["name"], "Sophie Smith");
    assert!(
        json["people"][2]["caption"]
            .as_str()
            .unwrap()
            .starts_with("[phone of Protected person")
    );
    assert!(n >= 3);
}

#[test]
fn a_query_naming_a_protected_identifier_is_stripped_of_it() {
    let s = set(&[]);
    assert_eq!(s.strip("07700 900001").unwrap().trim(), "");
    assert_eq!(s.strip("garage Sophie Smith").unwrap().trim(), "garage");
    assert_eq!(s.strip("sophiesmith2009").unwrap().trim(), "");
    assert!(s.strip("garage Smith").is_none());
    assert!(s.is_protected_identifier(toex_extract::EntityKind::Account, "tiktok:sophiesmith2009"));
}

#[test]
fn a_key_shown_under_a_pseudonym_stands_for_the_node_itself() {
    let set = set(&[]);
    let phone = set.label_of_key("Phone:+447700900001").unwrap();
    assert_eq!(
        set.keys_shown_as(&format!("Phone:{phone}")),
        vec!["Phone:+447700900001".to_owned()]
    );
    assert_eq!(
        set.keys_shown_as(&format!("Person:{}", label())),
        vec!["Person:V1".to_owned()]
    );
    // Another label's pseudonym, or a key that is no pseudonym, stands for nothing.
    assert!(set.keys_shown_as(&format!("Email:{phone}")).is_empty());
    assert!(set.keys_shown_as("Phone:+447700900001").is_empty());
}

#[test]
fn a_value_repeated_through_a_response_is_redacted_every_time_and_a_clean_one_kept() {
    // Clean strings are remembered for the rest of a response; a protected one never is.
    let s = set(&[]);
    let row = |i: usize| {
        async_graphql::value!({
            "kind": "HOT_99",
            "place": "On or near High Street",
            "note": (if i.is_multiple_of(2) { "seen with Sophie Smith" } else { "seen alone" }),
        })
    };
    let mut v = async_graphql::Value::List((0..6).map(row).collect());
    let n = redact_value(&mut v, &s, &[]);
    assert_eq!(n, 3);
    let json = v.into_json().unwrap();
    for (i, r) in json.as_array().unwrap().iter().enumerate() {
        assert_eq!(r["kind"], "HOT_99");
        assert_eq!(r["place"], "On or near High Street");
        let note = r["note"].as_str().unwrap();
        if i.is_multiple_of(2) {
            assert_eq!(note, format!("seen with {}", label()));
        } else {
            assert_eq!(note, "seen alone");
        }
    }
}
