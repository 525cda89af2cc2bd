//! Hot-spots through GraphQL on real police.uk street crime for West Yorkshire, loaded
//! into the real Neo4j by `import street-crime`; and `toex hotspots` on a CSV.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Value, json};
use toex_graph::import::{ImportKind, ImportOptions};

use crate::helpers::{TestApp, error_code, repo_root};

fn month_file(month: &str) -> PathBuf {
    let path = repo_root().join(format!(
        ".toex/data/police-uk/{month}-west-yorkshire-street.csv"
    ));
    assert!(
        path.is_file(),
        "{} is missing: scripts/setup.sh (scripts/fetch-data.sh) fetches it",
        path.display()
    );
    path
}

/// Located rows of a month file, and those of each crime type.
fn located_rows(month: &str) -> (u64, HashMap<String, u64>) {
    let mut reader = csv::Reader::from_path(month_file(month)).unwrap();
    let (mut total, mut by_type) = (0, HashMap::new());
    for row in reader.records() {
        let row = row.unwrap();
        if !row[4].is_empty() {
            total += 1;
            *by_type.entry(row[9].to_owned()).or_insert(0) += 1;
        }
    }
    (total, by_type)
}

/// The commonest `Location` of a month's rows inside `[west, south, east, north]` (ties
/// to the first in order), its `LSOA name` and its rows.
fn commonest_place(month: &str, b: &[f64]) -> (String, String, u64) {
    let mut reader = csv::Reader::from_path(month_file(month)).unwrap();
    let mut counts: HashMap<(String, String), u64> = HashMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let (Ok(lon), Ok(lat)) = (row[4].parse::<f64>(), row[5].parse::<f64>()) else {
            continue;
        };
        if lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3] {
            *counts
                .entry((row[6].to_owned(), row[8].to_owned()))
                .or_insert(0) += 1;
        }
    }
    let mut ranked: Vec<_> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.0.cmp(&b.0.0)));
    let ((place, area), n) = ranked.into_iter().next().unwrap();
    (place, area, n)
}

async fn load(app: &TestApp, month: &str) {
    let report = app
        .services
        .graph
        .import_file(
            ImportKind::StreetCrime,
            &month_file(month),
            &ImportOptions::default(),
            &(),
        )
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}

const JULY_2016: &str = r#"force: "WYP", from: "2016-07-01T00:00:00Z", to: "2016-08-01T00:00:00Z""#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gi_star_and_kde_hotspots_on_west_yorkshire_street_crime() {
    let app = TestApp::spawn().await;
    load(&app, "2016-07").await;
    load(&app, "2017-07").await;
    let (located, by_type) = located_rows("2016-07");

    let map = app
        .graphql(
            &format!(
                "{{ hotspots(method: GISTAR, {JULY_2016}, cellSize: 250) {{ records band cellSize studyAreaKm2 hotAreaKm2 \
                 cells {{ id count z p class hot geometry }} geojson }} }}"
            ),
            json!({}),
        )
        .await;
    let m = &map["data"]["hotspots"];
    assert_eq!(m["records"], located, "{map:#}");
    assert_eq!(m["band"], 375.0);
    let cells = m["cells"].as_array().unwrap();
    let counted: u64 = cells.iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, located, "every located incident falls in one cell");
    // Cells come strongest first; the hottest is in Leeds city centre.
    let top = &cells[0];
    assert_eq!(top["class"], "HOT_99", "{top}");
    assert!(top["z"].as_f64().unwrap() > 10.0);
    let bounds: Vec<f64> = top["id"]
        .as_str()
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        bounds[0] > -1.57 && bounds[2] < -1.52 && bounds[1] > 53.78 && bounds[3] < 53.81,
        "hottest cell {bounds:?} is not central Leeds"
    );
    assert_eq!(top["geometry"]["type"], "Polygon");
    assert_eq!(
        m["geojson"]["features"].as_array().unwrap().len(),
        cells.len()
    );
    assert!(cells.iter().any(|c| c["class"] == "COLD_90"
        || c["class"] == "COLD_95"
        || c["class"] == "COLD_99"
        || c["class"] == "NOT_SIGNIFICANT"));

    // The hottest cells are named from the data: the street description most of their
    // records carry, and the LSOA it lies in, as police.uk's file has them.
    let named = app
        .graphql(
            &format!(
                "{{ hotspots(method: GISTAR, {JULY_2016}, cellSize: 250) {{ places(first: 5) {{ cell place area records total }} }} }}"
            ),
            json!({}),
        )
        .await;
    let places = named["data"]["hotspots"]["places"].as_array().unwrap();
    assert_eq!(places.len(), 5, "{named:#}");
    assert_eq!(places[0]["cell"], top["id"]);
    assert_eq!(places[0]["total"], top["count"], "{named:#}");
    let (place, area, n) = commonest_place("2016-07", &bounds);
    assert_eq!(places[0]["place"], place.as_str(), "{named:#}");
    assert_eq!(places[0]["area"], area.as_str(), "{named:#}");
    assert_eq!(places[0]["records"], n);

    // What lies behind the hottest cell: exactly its count, all inside it.
    let behind = app
        .graphql(
            &format!(
                "query($cell: String!) {{ hotspotIncidents(cell: $cell, {JULY_2016}, first: 100) {{ total pageInfo {{ hasNextPage }} edges {{ node {{ key crimeType occurredAt harm lon lat }} }} }} }}"
            ),
            json!({ "cell": top["id"] }),
        )
        .await;
    let b = &behind["data"]["hotspotIncidents"];
    assert_eq!(b["total"], top["count"], "{behind:#}");
    for e in b["edges"].as_array().unwrap() {
        let (lon, lat) = (
            e["node"]["lon"].as_f64().unwrap(),
            e["node"]["lat"].as_f64().unwrap(),
        );
        assert!(lon >= bounds[0] && lon <= bounds[2] && lat >= bounds[1] && lat <= bounds[3]);
        assert!(
            e["node"]["occurredAt"]
                .as_str()
                .unwrap()
                .starts_with("2016-07")
        );
    }

    // VAWG counts only its categories; harm weighting sums the CHI table's days.
    let vawg = app
        .graphql(
            &format!("{{ hotspots(kind: VAWG, weighting: HARM, {JULY_2016}) {{ records harmTable cells {{ harm value }} }} }}"),
            json!({}),
        )
        .await;
    let v = &vawg["data"]["hotspots"];
    assert_eq!(
        v["records"], by_type["Violence and sexual offences"],
        "{vawg:#}"
    );
    let harm: f64 = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_f64().unwrap())
        .sum();
    let expected = by_type["Violence and sexual offences"] as f64
        * toex_analytics::harm::HarmTable::builtin()
            .lookup(None, "Violence and sexual offences")
            .unwrap();
    assert!((harm - expected).abs() < 1e-6, "{harm} vs {expected}");
    assert!(v["harmTable"].as_str().unwrap().starts_with("chi-"));

    // KDE on July 2016 predicts July 2017 far better than chance (PAI > 1).
    let kde = app
        .graphql(
            &format!(
                "{{ hotspots(method: KDE, {JULY_2016}, cellSize: 250, bandwidth: 750, hotShare: 0.05, \
                 evaluateFrom: \"2017-07-01T00:00:00Z\", evaluateTo: \"2017-08-01T00:00:00Z\", hotOnly: true) \
                 {{ bandwidth pai paiRecords hotAreaKm2 studyAreaKm2 cells {{ density hot }} }} }}"
            ),
            json!({}),
        )
        .await;
    let k = &kde["data"]["hotspots"];
    assert_eq!(k["paiRecords"], located_rows("2017-07").0, "{kde:#}");
    let pai = k["pai"].as_f64().unwrap();
    assert!(pai > 3.0, "PAI {pai}");
    let densities: Vec<f64> = k["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["density"].as_f64().unwrap())
        .collect();
    assert!(densities.windows(2).all(|w| w[0] >= w[1]), "densest first");
    assert!(
        k["cells"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["hot"] == true)
    );

    // Bad input gets a specific error.
    for bad in [
        "{ hotspots(cellSize: 1) { records } }",
        r#"{ hotspots(from: "2017-01-01T00:00:00Z", to: "2016-01-01T00:00:00Z") { records } }"#,
        r#"{ hotspots(method: KDE, cellSize: 10, bandwidth: 40000) { records } }"#,
        r#"{ hotspotIncidents(cell: "north of Leeds") { total } }"#,
    ] {
        let r = app.graphql(bad, json!({})).await;
        assert_eq!(error_code(&r), Some("BAD_INPUT"), "{bad}: {r}");
    }
    app.stop().await;
}

#[test]
fn toex_hotspots_prints_gi_star_for_a_csv_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("points.csv");
    let mut csv = String::from("id,x,y,value\n");
    for i in 0..10 {
        for j in 0..10 {
            let v = if i < 3 && j < 3 { 50 } else { (i + j) % 3 };
            csv.push_str(&format!("c{i}-{j},{},{},{v}\n", i * 100, j * 100));
        }
    }
    std::fs::write(&file, csv).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toex"))
        .args(["hotspots", file.to_str().unwrap(), "--band", "150"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], ["id", "x", "y", "value", "z", "p", "class"]);
    assert_eq!(rows.len(), 101);
    assert_eq!(rows[1][0], "c0-0");
    assert_eq!(rows[100][0], "c9-9");
    assert_eq!(rows[1][6], "hot-99", "{:?}", rows[1]);
    assert!(rows[100][4].parse::<f64>().unwrap() < 0.0);

    let geo = std::process::Command::new(env!("CARGO_BIN_EXE_toex"))
        .args([
            "hotspots",
            file.to_str().unwrap(),
            "--band",
            "150",
            "--format",
            "geojson",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&geo.stdout).unwrap();
    assert_eq!(v["features"].as_array().unwrap().len(), 100);

    std::fs::write(&file, "id,x,y,value\na,1,2,3\nb,1,oops,3\n").unwrap();
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_toex"))
        .args(["hotspots", file.to_str().unwrap(), "--band", "150"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("line 3") && err.contains("`y`"), "{err}");
    assert!(bad.stdout.is_empty());
}
