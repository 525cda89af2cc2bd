//! Tests of the audit log: the chain, its MAC'd head, tampering and what each entry records.
use super::*;

fn record(user: &str) -> AuditRecord {
    AuditRecord {
        user: user.into(),
        role: Role::Analyst,
        forces: vec!["WYP".into()],
        operation: Some("Search".into()),
        operations: Vec::new(),
        query_hash: "ab".into(),
        query: "{ search(queryText: \"x\") { total } }".into(),
        variables: serde_json::json!({"q": "x", "password": "hunter2"}),
        result_count: 3,
        purpose: "OP-1".into(),
        outcome: "ok".into(),
    }
}

fn log_of(n: usize) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let key = dir.path().join("audit.key");
    let log = AuditLog::open(&path, &key).unwrap();
    for i in 0..n {
        log.append(record(&format!("user{i}"))).unwrap();
    }
    (dir, path, key)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn an_untouched_log_verifies_and_continues_after_reopening() {
    let (_dir, path, key) = log_of(3);
    let log = AuditLog::open(&path, &key).unwrap();
    assert_eq!(log.append(record("again")).unwrap().seq, 4);
    let v = verify(&path, &key).unwrap();
    assert!(v.intact(), "{:?}", v.problems);
    assert_eq!((v.entries, v.last_seq), (4, 4));
    let newest = log
        .read(&AuditQuery {
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(newest.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![4, 3]);
    let only = log
        .read(&AuditQuery {
            user: Some("user1".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(only.len(), 1);
}

#[test]
fn edits_removals_reorders_and_truncation_are_detected() {
    let (_dir, path, key) = log_of(5);
    let original = lines(&path);

    let mut edited = original.clone();
    edited[2] = edited[2].replace("\"result_count\":3", "\"result_count\":0");
    assert_ne!(edited[2], original[2]);
    write(&path, &edited);
    let v = verify(&path, &key).unwrap();
    assert!(
        v.problems.iter().any(|p| p.starts_with("line 3")),
        "{:?}",
        v.problems
    );

    let mut removed = original.clone();
    removed.remove(1);
    write(&path, &removed);
    assert!(!verify(&path, &key).unwrap().intact());

    let mut reordered = original.clone();
    reordered.swap(1, 2);
    write(&path, &reordered);
    assert!(!verify(&path, &key).unwrap().intact());

    write(&path, &original[..4]);
    let v = verify(&path, &key).unwrap();
    assert!(
        v.problems.iter().any(|p| p.contains("cut off")),
        "{:?}",
        v.problems
    );

    write(&path, &original);
    assert!(verify(&path, &key).unwrap().intact());
}

/// The last line's sequence number and mac, as someone without the key would copy
/// them into a rewritten head.
fn unsigned_head_for(line: &str) -> String {
    let parsed: serde_json::Value = serde_json::from_str(line).unwrap();
    serde_json::json!({"seq": parsed["entry"]["seq"], "mac": parsed["mac"]}).to_string()
}

// Regression: cutting entries off the end and rewriting the head to match verified
// as intact.
#[test]
fn a_truncated_log_with_a_rewritten_head_is_detected() {
    let (_dir, path, key) = log_of(5);
    let original = lines(&path);
    write(&path, &original[..3]);
    std::fs::write(head_path(&path), unsigned_head_for(&original[2])).unwrap();
    let v = verify(&path, &key).unwrap();
    assert!(
        v.problems.iter().any(|p| p.contains("rewritten")),
        "{:?}",
        v.problems
    );
}

// Regression: an emptied log with its head deleted verified as intact.
#[test]
fn an_emptied_log_without_its_head_is_detected() {
    let (_dir, path, key) = log_of(0);
    assert!(
        verify(&path, &key).unwrap().intact(),
        "a new log has its head"
    );
    let (_dir, path, key) = log_of(3);
    std::fs::write(&path, "").unwrap();
    std::fs::remove_file(head_path(&path)).unwrap();
    let v = verify(&path, &key).unwrap();
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains("head file is missing")),
        "{:?}",
        v.problems
    );
}

#[test]
fn query_text_is_kept_with_long_literals_cut() {
    let q = format!(
        "{{ search(queryText: \"blue van\") {{ total }} }} {{ search(queryText: \"{}\") {{ total }} }}",
        "w".repeat(5_000)
    );
    let kept = mask_query_text(&q);
    assert!(kept.contains("search(queryText: \"blue van\")"), "{kept}");
    assert!(kept.contains("…[5000 characters]\""), "{kept}");
    assert!(kept.ends_with("{ total } }"), "{kept}");
    assert!(mask_query_text(&"{ a }".repeat(5_000)).chars().count() <= MAX_LOGGED_QUERY_CHARS + 1);
}

#[test]
fn secrets_and_bulk_text_are_redacted() {
    let v = redact_variables(&serde_json::json!({
        "queryText": "phone 07700", "input": {"text": "the whole message", "force": "WYP"},
        "apiToken": "toex_x", "long": "y".repeat(500)
    }));
    assert_eq!(v["queryText"], "phone 07700");
    assert_eq!(v["input"]["text"], "[redacted]");
    assert_eq!(v["input"]["force"], "WYP");
    assert_eq!(v["apiToken"], "[redacted]");
    assert!(v["long"].as_str().unwrap().chars().count() <= 201);
}

#[test]
fn literal_arguments_named_as_secrets_or_bulk_text_are_masked_by_name() {
    let q = concat!(
        "mutation { ingestText(input: {text: \"the victim said \\\"help\\\"\", force: \"WYP\"}) { id } ",
        "login(apiToken : \"tok-123\") ",
        "b: ingestText(input: {content: \"\"\"a \"quoted\" block\"\"\"}) { id } ",
        "search(queryText: \"blue van\") { total } }"
    );
    let kept = mask_query_text(q);
    for gone in ["victim", "help", "tok-123", "quoted", "block"] {
        assert!(!kept.contains(gone), "{gone} kept in {kept}");
    }
    assert!(
        kept.contains("text: \"[redacted]\", force: \"WYP\""),
        "{kept}"
    );
    assert!(kept.contains("apiToken : \"[redacted]\""), "{kept}");
    assert!(kept.contains("content: \"\"\"[redacted]\"\"\""), "{kept}");
    assert!(kept.contains("queryText: \"blue van\""), "{kept}");
    assert!(kept.ends_with("{ total } }"), "{kept}");
}
