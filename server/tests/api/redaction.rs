//! Redaction of protected persons by entity, not by word, against the real Neo4j and
//! index: the victim's names in any spelling, her identifiers, a stable pseudonym and
//! the reason code; nobody else redacted for sharing a word of her name; a query naming
//! her identifier answered as if it were unknown.

use serde_json::{Value, json};
use toex_access::Role;
use toex_graph::import::ImportKind;

use crate::helpers::{TestApp, error_code, gql, import_all, unique, user_client};

/// A run-unique word of letters only (digits would read as Arabizi letters in a name).
fn letters(u: &str) -> String {
    let tail: String = u
        .chars()
        .rev()
        .filter(char::is_ascii_hexdigit)
        .take(9)
        .map(|c| (b'a' + c.to_digit(16).unwrap() as u8) as char)
        .collect();
    format!("Q{tail}")
}

struct Case {
    u: String,
    surname: String,
    handle: String,
    phone: String,
    doc: String,
    /// An analyst and a supervisor of the force.
    analyst: reqwest::Client,
    supervisor: reqwest::Client,
}

async fn seed(app: &TestApp) -> Case {
    let u = unique("red");
    let surname = letters(&u);
    let handle = format!("{}2009", surname.to_lowercase());
    let n = u
        .chars()
        .filter(char::is_ascii_digit)
        .take(2)
        .collect::<String>();
    let phone = format!("07700 9004{n:0>2}");
    let op = format!("Op {u}");
    let dir = tempfile::tempdir().unwrap();
    let persons = dir.path().join("persons.csv");
    std::fs::write(
        &persons,
        format!(
            "id,name,aliases,dob,gender,force,operation,rso,visor_category,mappa_level,vulnerabilities,protected\n\
             {u}-V,Sophie {surname},,2009-01-01,female,TESTA,{op},false,,,,true\n\
             {u}-P,Jack {surname},,1980-01-01,male,TESTA,{op},true,1,2,,false\n\
             {u}-N,Sophie {surname},,1990-01-01,female,TESTA,{op},false,,,,false\n"
        ),
    )
    .unwrap();
    let identifiers = dir.path().join("identifiers.csv");
    std::fs::write(
        &identifiers,
        format!(
            "person_id,kind,value,platform,postcode,lat,lon,first_seen,last_seen,force\n\
             {u}-V,phone,{phone},,,,,2024-01-01,2024-06-01,TESTA\n\
             {u}-V,account,{handle},instagram,,,,2024-01-01,2024-06-01,TESTA\n"
        ),
    )
    .unwrap();
    import_all(
        app,
        &[
            (ImportKind::Persons, &persons),
            (ImportKind::Identifiers, &identifiers),
        ],
    )
    .await;
    // Her name in fullwidth letters and with a zero-width space, her phone written
    // nationally, her handle; the perpetrator shares her surname; Arabic "new car".
    let s = &surname;
    let text = format!(
        "Jack {s} met Ｓｏｐｈｉｅ {s} at the garage. Soph\u{200B}ie {s} said text \
         {phone} or @{handle}. سيارة جديدة heliotropemarker {u}"
    );
    let r = app
        .graphql(
            "mutation($input: IngestTextInput!) { ingestText(input: $input) { id } }",
            json!({ "input": { "title": "statement", "text": text, "force": "TESTA", "operation": op, "sourceType": "statement" } }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let doc = r["data"]["ingestText"]["id"].as_str().unwrap().to_owned();
    let analyst = user_client(&app.users, &format!("{u}-an"), Role::Analyst, &["TESTA"]);
    let supervisor = user_client(&app.users, &format!("{u}-sv"), Role::Supervisor, &["TESTA"]);
    Case {
        analyst,
        supervisor,
        u,
        surname,
        handle,
        phone,
        doc,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redaction_is_by_entity_not_by_word() {
    let app = TestApp::spawn().await;
    let c = seed(&app).await;
    let (analyst, supervisor) = (&c.analyst, &c.supervisor);
    let doc_q = "query($d: String!) { document(id: $d) { text } }";
    let r = gql(analyst, &app, doc_q, json!({"d": c.doc})).await;
    let text = r["data"]["document"]["text"].as_str().unwrap_or_default();
    // The perpetrator who shares her surname, and the Arabic word for "new", stay.
    assert!(text.contains(&format!("Jack {}", c.surname)), "{r}");
    assert!(text.contains("سيارة جديدة"), "{r}");
    // Her name in every disguise, her phone and her handle do not.
    for hidden in [
        "Sophie",
        "ｏｐｈｉｅ",
        "Soph\u{200B}ie",
        &c.handle,
        &c.phone[6..],
    ] {
        assert!(!text.contains(hidden), "an analyst saw `{hidden}`: {text}");
    }
    assert!(text.contains("[phone of Protected person "), "{text}");
    assert!(text.contains("[account of Protected person "), "{text}");
    assert_eq!(
        r["extensions"]["redaction"]["code"], "PROTECTED_PERSON",
        "{r}"
    );
    // One pseudonym for her everywhere: her own record and each mention.
    // (The namesake's record is told apart by its id, so the query asks for it.)
    let person_q = "query($v: String!, $p: String!, $n: String!) { v: person(id: $v) { name } p: person(id: $p) { name } n: person(id: $n) { id name } }";
    let ids =
        json!({"v": format!("{}-V", c.u), "p": format!("{}-P", c.u), "n": format!("{}-N", c.u)});
    let r = gql(analyst, &app, person_q, ids.clone()).await;
    let pseudonym = r["data"]["v"]["name"].as_str().unwrap().to_owned();
    assert!(pseudonym.starts_with("[Protected person "), "{r}");
    assert_eq!(text.matches(pseudonym.as_str()).count(), 2, "{text}");
    assert_eq!(r["data"]["p"]["name"], format!("Jack {}", c.surname), "{r}");
    // Someone else recorded under her exact name keeps it on their own record.
    assert_eq!(
        r["data"]["n"]["name"],
        format!("Sophie {}", c.surname),
        "{r}"
    );
    // Stable across requests.
    let again = gql(analyst, &app, person_q, ids.clone()).await;
    assert_eq!(again["data"]["v"]["name"], pseudonym.as_str());
    // The supervisor sees her.
    let r = gql(supervisor, &app, person_q, ids).await;
    assert_eq!(
        r["data"]["v"]["name"],
        format!("Sophie {}", c.surname),
        "{r}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_identifier_answers_as_if_it_were_unknown() {
    let app = TestApp::spawn().await;
    let c = seed(&app).await;
    let (analyst, supervisor) = (&c.analyst, &c.supervisor);
    let linkage = "query($i: String!) { linkage(identifier: $i) { value key unresolved graphDocumentCount persons { id } mentions { documentId } } }";
    let unknown = gql(analyst, &app, linkage, json!({"i": "07700 900999"})).await;
    for asked in [
        c.phone.clone(),
        format!("@{}", c.handle),
        format!("instagram:{}", c.handle),
    ] {
        let r = gql(analyst, &app, linkage, json!({"i": asked})).await;
        assert!(r["errors"].is_null(), "{r}");
        let (mut got, mut want) = (
            r["data"]["linkage"][0].clone(),
            unknown["data"]["linkage"][0].clone(),
        );
        got["value"] = Value::Null;
        want["value"] = Value::Null;
        assert_eq!(got, want, "{asked}: {r}");
        assert!(r["extensions"]["redaction"].is_null(), "{asked}: {r}");
        // The supervisor finds her.
        let r = gql(supervisor, &app, linkage, json!({"i": asked})).await;
        assert!(
            !r["data"]["linkage"][0]["persons"]
                .as_array()
                .unwrap()
                .is_empty()
                || !r["data"]["linkage"][0]["mentions"]
                    .as_array()
                    .unwrap()
                    .is_empty(),
            "{asked}: {r}"
        );
    }
    let search = "query($q: String!) { search(queryText: $q) { total } }";
    for q in [
        c.phone.clone(),
        c.handle.clone(),
        format!("Sophie {}", c.surname),
    ] {
        let r = gql(analyst, &app, search, json!({"q": q})).await;
        assert_eq!(r["data"]["search"]["total"], 0, "{q}: {r}");
        let r = gql(supervisor, &app, search, json!({"q": q})).await;
        assert_eq!(r["data"]["search"]["total"], 1, "{q}: {r}");
    }
    // Nor is she spelt out letter by letter: a prefix search, whose (redacted) hit would
    // confirm each letter, is refused to the analyst whatever it spells, and works for
    // the supervisor.
    // (tantivy takes a prefix only after at least one whole word)
    let prefixes = [
        format!("\"or {}\"*", &c.handle[..c.handle.len() - 3]),
        format!("\"jack {}\"*", &c.surname[..3]),
    ];
    for q in prefixes.iter().cloned().chain(["\"zzqx zzq\"*".to_owned()]) {
        let r = gql(analyst, &app, search, json!({"q": q})).await;
        assert_eq!(error_code(&r), Some("BAD_INPUT"), "{q}: {r}");
    }
    for q in prefixes {
        let r = gql(supervisor, &app, search, json!({"q": q})).await;
        assert_eq!(r["data"]["search"]["total"], 1, "{q}: {r}");
    }
    let node = format!("Phone:+44{}", c.phone[1..].replace(' ', ""));
    let r = gql(
        analyst,
        &app,
        "query($k: String!) { neighbourhood(key: $k) { nodes { key } } timeline(key: $k) { at } }",
        json!({"k": node}),
    )
    .await;
    assert!(r["data"]["neighbourhood"].is_null(), "{r}");
    assert_eq!(r["data"]["timeline"], json!([]), "{r}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persons_details_withhold_a_protected_persons_birth_date_from_an_analyst() {
    let app = TestApp::spawn().await;
    let c = seed(&app).await;
    let q = "query($v: String!, $p: String!) { v: person(id: $v) { details { dateOfBirth gender vulnerabilities operations withheld } } p: person(id: $p) { details { dateOfBirth gender registeredSexOffender visorCategory mappaLevel operations withheld } } }";
    let ids = json!({"v": format!("{}-V", c.u), "p": format!("{}-P", c.u)});
    let op = format!("Op {}", c.u);
    let r = gql(&c.analyst, &app, q, ids.clone()).await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(
        r["data"]["p"]["details"],
        json!({"dateOfBirth": "1980-01-01", "gender": "male", "registeredSexOffender": true,
               "visorCategory": "1", "mappaLevel": 2, "operations": [op], "withheld": false}),
        "{r}"
    );
    assert_eq!(
        r["data"]["v"]["details"],
        json!({"dateOfBirth": null, "gender": null, "vulnerabilities": [], "operations": [op], "withheld": true}),
        "{r}"
    );
    let r = gql(&c.supervisor, &app, q, ids.clone()).await;
    assert_eq!(
        r["data"]["v"]["details"]["dateOfBirth"], "2009-01-01",
        "{r}"
    );
    assert_eq!(r["data"]["v"]["details"]["withheld"], false, "{r}");
    // Another force's analyst learns nothing, not even that the person exists.
    let other = user_client(&app.users, &format!("{}-b", c.u), Role::Analyst, &["TESTB"]);
    let r = gql(&other, &app, q, ids).await;
    assert_eq!(r["data"], json!({"v": null, "p": null}), "{r}");
    app.stop().await;
}
