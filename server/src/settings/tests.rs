use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn file(contents: &str) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), contents).unwrap();
    f
}

#[test]
fn layers_apply_in_order_file_env_cli() {
    let f = file(
        "[server]\nlisten = \"127.0.0.1:9000\"\n[neo4j]\nuri = \"bolt://file:7687\"\nuser = \"filer\"\n",
    );
    let s = Settings::load(
        Some(f.path()),
        env(&[
            ("TOEX_NEO4J_URI", "bolt://env:7687"),
            ("TOEX_NEO4J_PASSWORD", "12345"),
        ]),
        CliOverrides {
            neo4j_uri: Some("bolt://cli:7687".to_owned()),
            ..CliOverrides::default()
        },
    )
    .unwrap();
    assert_eq!(s.server.listen.port(), 9000, "file beats default");
    assert_eq!(s.neo4j.user, "filer");
    assert_eq!(s.neo4j.password, "12345", "digits stay a string");
    assert_eq!(s.neo4j.uri, "bolt://cli:7687", "cli beats env beats file");
}

#[test]
fn an_unknown_key_is_named() {
    let f = file("[server]\nlisten = \"127.0.0.1:9000\"\nlisen = 1\n");
    let err = Settings::load(Some(f.path()), vec![], CliOverrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("lisen"), "{err}");
    let err = Settings::load(
        None,
        env(&[("TOEX_NEO4J_URL", "x")]),
        CliOverrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("url") && err.contains("TOEX_NEO4J_URL"),
        "{err}"
    );
}

#[test]
fn a_bad_port_is_named() {
    let err = Settings::load(
        None,
        env(&[("TOEX_SERVER_LISTEN", "127.0.0.1:99999")]),
        CliOverrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("server.listen") && err.contains("TOEX_SERVER_LISTEN"),
        "{err}"
    );
    assert!(!err.contains('\n'));
}

#[test]
fn a_malformed_uri_is_named() {
    let err = Settings::load(
        None,
        vec![],
        CliOverrides {
            neo4j_uri: Some("localhost:7687".to_owned()),
            ..CliOverrides::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("neo4j.uri"), "{err}");
}

#[test]
fn a_missing_config_file_is_an_error() {
    let err = Settings::load(
        Some(Path::new("/nonexistent/toex.toml")),
        vec![],
        CliOverrides::default(),
    )
    .unwrap_err();
    assert!(matches!(err, SettingsError::MissingFile(_)));
}
