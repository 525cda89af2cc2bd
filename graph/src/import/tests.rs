use super::*;

/// Parses a call-record CSV held in memory with the default options.
fn parse_calls(csv: &str) -> (Vec<Record>, Vec<(u64, String)>) {
    parse_bytes(
        ImportKind::Calls,
        RowFormat::Csv,
        csv.as_bytes(),
        &ImportOptions::default(),
    )
    .unwrap()
}

#[test]
fn rows_from_memory_are_validated_like_a_file() {
    let csv = "caller,callee,start,duration,force\n\
               07700900123,+447700900456,2024-03-01T10:00:00Z,65,WYP\n\
               not-a-number,07700900456,2024-03-01T10:00:00Z,65,WYP\n\
               ٠٧٧٠٠٩٠٠١٢٣,07700900456,2024-03-01T10:05:00Z,5,WYP\n";
    let (records, errors) = parse_calls(csv);
    assert_eq!(records.len(), 2, "{errors:?}");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, 3, "the bad row keeps its line number");
    assert!(
        parse_bytes(
            ImportKind::Calls,
            RowFormat::Csv,
            b"",
            &ImportOptions::default()
        )
        .is_err(),
        "a file with no header row is refused whole"
    );
}

#[test]
fn a_file_read_in_pieces_gives_the_records_and_errors_of_one_reading() {
    let mut csv = String::from("caller,callee,start,duration,force\n");
    for i in 0..300 {
        csv.push_str(&match i % 7 {
            3 => format!("07700 9{i:05},nonsense,2024-03-01T10:00:00Z,5,WYP\n"),
            5 => format!("07700 9{i:05},07700 900001,yesterday,5,WYP\n"),
            _ => format!("07700 9{i:05},07700 900001,2024-03-01T10:00:00Z,{i},WYP\n"),
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.csv");
    std::fs::write(&path, csv).unwrap();
    let opts = ImportOptions::default();
    let lines = |(records, errors): (Vec<Record>, Vec<RowError>)| {
        let records: Vec<_> = records
            .iter()
            .map(|r| (r.line, format!("{:?}", r.kind)))
            .collect();
        let errors: Vec<_> = errors.iter().map(ToString::to_string).collect();
        (records, errors)
    };
    let whole = lines(parse_file_in_parts(ImportKind::Calls, &path, &opts, &(), 1, 1).unwrap());
    let pieces = lines(parse_file_in_parts(ImportKind::Calls, &path, &opts, &(), 3, 1).unwrap());
    assert_eq!(whole.0.len(), 300 - 43 - 43, "{:?}", whole.1);
    assert_eq!(whole.1.len(), 86);
    assert_eq!(pieces, whole);
}

#[test]
fn call_groups_sharing_no_bucket_share_no_phone_and_keep_every_record() {
    let mut csv = String::from("caller,callee,start,duration,force\n");
    let (mut records_in, mut expected) = (0i64, std::collections::HashSet::new());
    for i in 0..40u32 {
        for j in [1u32, 3, 7, 11] {
            let (a, b) = (900_100 + i, 900_100 + (i * j + 5) % 40);
            if a == b {
                continue;
            }
            expected.insert((a, b));
            for k in 0..(1 + i % 3) {
                csv.push_str(&format!(
                    "07700 {a},07700 {b},2024-03-0{}T10:00:00Z,{},WYP\n",
                    1 + k,
                    10 + k
                ));
                records_in += 1;
            }
        }
    }
    let (records, errors) = parse_calls(&csv);
    assert!(errors.is_empty(), "{errors:?}");
    let (numbers, calls) = statements::number_calls(&records);
    let nodes: HashMap<String, String> = numbers
        .phones
        .iter()
        .enumerate()
        .map(|(n, (id, _))| (id.clone(), format!("4:test:{n}")))
        .collect();
    let text = |v: &BoltType| match v {
        BoltType::String(s) => s.value.clone(),
        other => panic!("not a string: {other:?}"),
    };
    let groups = statements::aggregate_calls(calls, numbers.phones.len(), 4);
    let call_rows = statements::CallRows::new(&numbers, &nodes).unwrap();
    assert_eq!(
        groups.len(),
        10,
        "one group per unordered pair of 4 buckets"
    );
    let (mut calls, mut pairs) = (0i64, std::collections::HashSet::new());
    let mut phones_of: Vec<std::collections::HashSet<String>> = Vec::new();
    for group in &groups {
        assert!(
            (1..=2).contains(&group.buckets.count_ones()),
            "a group is one bucket pair"
        );
        let mut phones = std::collections::HashSet::new();
        for pair in &group.rows {
            let BoltType::List(row) = call_rows.row(pair) else {
                panic!("row of {pair:?}")
            };
            let (a, b) = (text(&row.value[0]), text(&row.value[1]));
            assert!(pairs.insert((a.clone(), b.clone())), "pair {a} {b} twice");
            phones.insert(a);
            phones.insert(b);
            let BoltType::Integer(n) = &row.value[3] else {
                panic!("count")
            };
            calls += n.value;
        }
        phones_of.push(phones);
    }
    let mut disjoint = 0;
    for (i, g) in groups.iter().enumerate() {
        for (j, h) in groups.iter().enumerate() {
            if g.buckets & h.buckets == 0 && !g.rows.is_empty() && !h.rows.is_empty() {
                let shared: Vec<_> = phones_of[i].intersection(&phones_of[j]).collect();
                assert!(shared.is_empty(), "groups {i} and {j} share {shared:?}");
                disjoint += 1;
            }
        }
    }
    assert!(disjoint > 0, "some groups may run at once");
    assert_eq!(calls, records_in, "every record counted once");
    assert_eq!(
        pairs.len(),
        expected.len(),
        "one row per caller-callee pair"
    );
}

#[test]
fn calls_of_a_pair_and_force_add_up_to_one_row_with_their_totals_and_time_span() {
    let csv = "caller,callee,start,duration,force\n\
               07700 900002,07700 900001,2024-03-02T10:00:00Z,30,WYP\n\
               07700 900001,07700 900002,2024-03-05T09:00:00Z,20,WYP\n\
               07700900001,+447700900002,2024-03-01T08:30:00Z,15,WYP\n\
               07700 900001,07700 900002,2024-03-03T12:00:00Z,40,NYP\n\
               07700 900001,07700 900002,2024-03-04T12:00:00Z,5,WYP\n";
    let (records, errors) = parse_calls(csv);
    assert!(errors.is_empty(), "{errors:?}");
    let (numbers, calls) = statements::number_calls(&records);
    assert_eq!(
        numbers.phones,
        [
            ("+447700900001".to_owned(), "WYP".to_owned()),
            ("+447700900002".to_owned(), "WYP".to_owned())
        ],
        "distinct phones in phone order, each with its first record's force"
    );
    let nodes: HashMap<String, String> = numbers
        .phones
        .iter()
        .map(|(id, _)| (id.clone(), format!("node:{id}")))
        .collect();
    let groups = statements::aggregate_calls(calls, numbers.phones.len(), 1);
    let call_rows = statements::CallRows::new(&numbers, &nodes).unwrap();
    let rows: Vec<String> = groups
        .iter()
        .flat_map(|g| &g.rows)
        .map(|p| {
            let BoltType::List(row) = call_rows.row(p) else {
                panic!("row of {p:?}")
            };
            row.value
                .iter()
                .map(|v| match v {
                    BoltType::String(s) => s.value.clone(),
                    BoltType::Integer(n) => n.value.to_string(),
                    BoltType::DateTime(t) => chrono::DateTime::<chrono::FixedOffset>::try_from(t)
                        .unwrap()
                        .to_rfc3339(),
                    other => panic!("unexpected {other:?}"),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        rows,
        [
            "node:+447700900001 node:+447700900002 WYP 3 40 \
             2024-03-01T08:30:00+00:00 2024-03-05T09:00:00+00:00",
            "node:+447700900001 node:+447700900002 NYP 1 40 \
             2024-03-03T12:00:00+00:00 2024-03-03T12:00:00+00:00",
            "node:+447700900002 node:+447700900001 WYP 1 30 \
             2024-03-02T10:00:00+00:00 2024-03-02T10:00:00+00:00",
        ],
        "one row per caller, callee and force, in (caller, callee) order"
    );
    let unknown = HashMap::new();
    assert!(
        statements::CallRows::new(&numbers, &unknown).is_err(),
        "a phone with no node is an error, not a row with a hole"
    );
}

#[test]
fn phones_fill_buckets_by_degree_so_a_hub_does_not_overload_its_bucket() {
    // A call hub with 120 links among 300 phones of 1 to 3 links each.
    let mut degrees = vec![120u64];
    degrees.extend((0..300).map(|i| 1 + i % 3));
    let bucket_of = statements::balanced_buckets(&degrees, 4);
    assert_eq!(bucket_of.len(), degrees.len(), "every phone has a bucket");
    let mut load = [0u64; 4];
    for (phone, &b) in bucket_of.iter().enumerate() {
        load[usize::from(b)] += degrees[phone];
    }
    let (max, min) = (load.iter().max().unwrap(), load.iter().min().unwrap());
    // Numbering phones round the buckets would give the hub's bucket 120 + 150.
    assert!(
        max - min <= 3,
        "loads {load:?} differ by more than one phone's links"
    );
    assert_eq!(load.iter().sum::<u64>(), degrees.iter().sum::<u64>());
}

// Regression: rows naming no force were written under `UNASSIGNED`, where no user could
// see them (`toex import edges FILE --operation X`, as the README showed it).
#[test]
fn a_row_with_no_force_is_rejected_not_written_unassigned() {
    let csv = "caller,callee,start,duration\n07700900123,07700900456,2024-03-01T10:00:00Z,65\n";
    let (records, errors) = parse_calls(csv);
    assert!(records.is_empty());
    assert!(errors[0].1.contains("names no `force`"), "{errors:?}");
    let (records, errors) = parse_bytes(
        ImportKind::Calls,
        RowFormat::Csv,
        csv.as_bytes(),
        &ImportOptions {
            default_force: Some(" wyp".to_owned()),
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records[0].force, "WYP");
}
