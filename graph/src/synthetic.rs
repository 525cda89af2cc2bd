//! A seeded generator of realistic, entirely fictional data, written as the CSV files that
//! `toex import` reads. Phone numbers come from Ofcom's drama ranges (07700 900xxx and
//! 0113 496 0xxx), so no real subscriber is ever named. Planted structures, recorded in
//! `planted.json`, let tests check that analysis finds them:
//! a group-based CSE network around three victims, serial domestic-abuse perpetrators,
//! repeat-missing children linked to adults through phones and addresses, registered
//! offenders living near them, call-data hubs, and names in Arabic script with Latin
//! transliterations.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The nine forces of the programme this serves.
pub const FORCES: &[&str] = &[
    "WYP", "GMP", "MPS", "WMP", "MER", "SYP", "NYP", "HUM", "LAN",
];

const ARABIC: &[(&str, &str)] = &[
    ("محمد", "Mohammed"),
    ("أحمد", "Ahmed"),
    ("علي", "Ali"),
    ("حسن", "Hassan"),
    ("حسين", "Hussein"),
    ("عمر", "Omar"),
    ("يوسف", "Yusuf"),
    ("خالد", "Khaled"),
    ("وليد", "Walid"),
    ("هشام", "Hisham"),
];
const ARABIC_FAMILY: &[(&str, &str)] = &[
    ("الجبوري", "Al-Jubouri"),
    ("العبيدي", "Al-Obaidi"),
    ("الدليمي", "Al-Dulaimi"),
    ("الحسن", "Al-Hassan"),
    ("التميمي", "Al-Tamimi"),
    ("الربيعي", "Al-Rubaie"),
];
const ENGLISH: &[&str] = &[
    "Jack", "Liam", "Connor", "Daniel", "Ryan", "Sophie", "Chloe", "Emily", "Jade", "Amy",
    "Kayleigh", "Lewis",
];
const SURNAMES: &[&str] = &[
    "Smith", "Brown", "Walker", "Wilson", "Taylor", "Khan", "Hussain", "Begum", "Wood", "Clarke",
];

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Background persons on top of the planted structures.
    pub persons: usize,
    /// Background call records.
    pub calls: usize,
    pub seed: u64,
}

impl Default for Scale {
    fn default() -> Self {
        Self {
            persons: 2_000,
            calls: 20_000,
            seed: 7,
        }
    }
}

struct Out {
    persons: String,
    identifiers: String,
    incidents: String,
    missing: String,
    calls: String,
}

/// Writes `persons.csv`, `identifiers.csv`, `incidents.csv`, `missing.csv`, `calls.csv`
/// and `planted.json` into `dir`. Same scale and seed, same bytes.
pub fn generate(dir: &Path, scale: Scale) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut rng = ChaCha8Rng::seed_from_u64(scale.seed);
    let mut o = Out {
        persons: "id,name,aliases,dob,gender,force,operation,rso,visor_category,mappa_level,vulnerabilities,protected\n".into(),
        identifiers: "person_id,kind,value,platform,postcode,lat,lon,first_seen,last_seen,force\n".into(),
        incidents: "id,crime_type,offence_code,occurred_at,harm,postcode,lat,lon,force,operation,people\n".into(),
        missing: "id,person_id,reported_at,returned_at,risk_grade,from_postcode,from_lat,from_lon,found_postcode,found_lat,found_lon,force\n".into(),
        calls: "caller,callee,start,duration,force\n".into(),
    };
    let mut phone_no = 0u32;
    let mut next_phone = || {
        phone_no += 1;
        if phone_no < 1000 {
            format!("07700 900{:03}", phone_no)
        } else {
            format!("0113 496 {:04}", phone_no % 10_000)
        }
    };
    let w = |s: &mut String, line: String| {
        s.push_str(&line);
        s.push('\n');
    };

    // A group-based CSE network in Bradford (WYP), Operation Aurora.
    let op = "Operation Aurora";
    let (bd_lat, bd_lon) = (53.7960, -1.7594);
    let shared_phone = next_phone();
    let flat = "BD1 4AS";
    let mut suspects = Vec::new();
    for i in 0..6 {
        let (ar, la) = ARABIC[i % ARABIC.len()];
        let (far, fla) = ARABIC_FAMILY[i % ARABIC_FAMILY.len()];
        let id = format!("CSE-S{}", i + 1);
        w(
            &mut o.persons,
            format!(
                "{id},{ar} {far},{la} {fla},19{}-0{}-1{},male,WYP,{op},false,,,,false",
                80 + i,
                1 + i % 9,
                i
            ),
        );
        w(
            &mut o.identifiers,
            format!(
                "{id},phone,{},,,,,2023-01-0{},2024-06-30,WYP",
                if i < 3 {
                    shared_phone.clone()
                } else {
                    next_phone()
                },
                1 + i
            ),
        );
        w(
            &mut o.identifiers,
            format!("{id},address,{flat},,{flat},{bd_lat},{bd_lon},2023-02-01,2024-05-01,WYP"),
        );
        suspects.push(id);
    }
    let mut victims = Vec::new();
    for i in 0..3 {
        let id = format!("CSE-V{}", i + 1);
        let name = format!("{} {}", ENGLISH[5 + i], SURNAMES[i]);
        w(
            &mut o.persons,
            format!(
                "{id},{name},,2009-0{}-12,female,WYP,{op},false,,,child;looked after,true",
                3 + i
            ),
        );
        w(
            &mut o.identifiers,
            format!(
                "{id},account,@{}_x{},snapchat,,,,2023-03-01,2024-03-01,WYP",
                ENGLISH[5 + i].to_lowercase(),
                i
            ),
        );
        for (j, s) in suspects
            .iter()
            .enumerate()
            .filter(|(j, _)| (j + i) % 2 == 0)
        {
            w(
                &mut o.incidents,
                format!(
                    "CSE-I{}{},Sexual activity with a child,22A,2023-{:02}-1{}T21:00:00Z,1825,{flat},{bd_lat},{bd_lon},WYP,{op},{s}:suspect;{id}:victim",
                    i,
                    j,
                    4 + j,
                    i
                ),
            );
        }
        victims.push(id);
    }
    // Victims and suspects call the shared phone at night.
    for (k, v) in victims.iter().enumerate() {
        let vp = next_phone();
        w(
            &mut o.identifiers,
            format!("{v},phone,{vp},,,,,2023-03-01,2024-04-01,WYP"),
        );
        for d in 0..12 {
            w(
                &mut o.calls,
                format!(
                    "{shared_phone},{vp},2023-{:02}-{:02}T23:{:02}:00Z,{},WYP",
                    3 + d % 9,
                    1 + d,
                    10 + k,
                    60 + d * 7
                ),
            );
        }
    }

    // Serial domestic-abuse perpetrators (more than one victim within three years).
    for i in 0..3 {
        let force = FORCES[i + 1];
        let id = format!("DA-P{}", i + 1);
        w(
            &mut o.persons,
            format!(
                "{id},{} {},,1985-05-0{},male,{force},,false,,,,false",
                ENGLISH[i],
                SURNAMES[i + 3],
                i + 1
            ),
        );
        for v in 0..(2 + i) {
            let vid = format!("DA-P{}-V{}", i + 1, v + 1);
            w(
                &mut o.persons,
                format!(
                    "{vid},{} {},,1990-0{}-20,female,{force},,false,,,,true",
                    ENGLISH[6 + v],
                    SURNAMES[v],
                    v + 1
                ),
            );
            for k in 0..2 {
                w(
                    &mut o.incidents,
                    format!(
                        "DA-I{}{}{},Assault occasioning actual bodily harm,8N,2024-{:02}-0{}T20:30:00Z,120,,,,{force},,{id}:suspect;{vid}:victim",
                        i,
                        v,
                        k,
                        4 + v * 2 + k,
                        1 + k
                    ),
                );
            }
        }
    }

    // Repeat-missing children linked to an adult suspect by phone; found at his address.
    let adult = "MP-A1";
    let adult_phone = next_phone();
    let (hx_lat, hx_lon) = (53.7223, -1.8614);
    w(
        &mut o.persons,
        format!(
            "{adult},{} {},Mohamed Al-Tamimi,1979-11-02,male,WYP,,false,,,,false",
            ARABIC[0].0, ARABIC_FAMILY[4].0
        ),
    );
    w(
        &mut o.identifiers,
        format!("{adult},phone,{adult_phone},,,,,2024-01-01,2024-09-01,WYP"),
    );
    w(
        &mut o.identifiers,
        format!("{adult},address,HX1 2LS,,HX1 2LS,{hx_lat},{hx_lon},2023-06-01,2024-09-01,WYP"),
    );
    for c in 0..4 {
        let id = format!("MP-C{}", c + 1);
        let phone = next_phone();
        w(
            &mut o.persons,
            format!(
                "{id},{} {},,2010-0{}-05,{},WYP,,false,,,child,true",
                ENGLISH[c + 6],
                SURNAMES[c + 4],
                c + 1,
                if c % 2 == 0 { "female" } else { "male" }
            ),
        );
        w(
            &mut o.identifiers,
            format!("{id},phone,{phone},,,,,2024-01-01,2024-09-01,WYP"),
        );
        for d in 0..5 {
            w(
                &mut o.calls,
                format!(
                    "{adult_phone},{phone},2024-0{}-{:02}T22:00:00Z,{},WYP",
                    2 + d % 5,
                    3 + d,
                    45 + d
                ),
            );
        }
        for e in 0..(3 + c % 3) {
            w(
                &mut o.missing,
                format!(
                    "MP-E{}{},{id},2024-0{}-{:02}T18:00:00Z,2024-0{}-{:02}T09:00:00Z,{},HX1 1RE,53.7210,-1.8575,HX1 2LS,{hx_lat},{hx_lon},WYP",
                    c,
                    e,
                    3 + e / 2,
                    2 + e * 9 % 27,
                    3 + e / 2,
                    3 + e * 9 % 27,
                    if e == 0 { "high" } else { "medium" }
                ),
            );
        }
    }
    // The adult is a suspect: grooming the first child.
    w(
        &mut o.incidents,
        format!(
            "MP-I1,Sexual grooming,88A,2024-04-10T19:00:00Z,,HX1 2LS,{hx_lat},{hx_lon},WYP,,{adult}:suspect;MP-C1:victim"
        ),
    );
    // Registered offenders living near the place the children are found.
    for r in 0..2 {
        let id = format!("RSO-{}", r + 1);
        w(
            &mut o.persons,
            format!(
                "{id},{} {},,1970-0{}-15,male,WYP,,true,{},{},,false",
                ENGLISH[r + 2],
                SURNAMES[r + 7],
                r + 2,
                if r == 0 { "1" } else { "2" },
                1 + r
            ),
        );
        w(
            &mut o.identifiers,
            format!(
                "{id},address,HX1 {}QP,,HX1 {}QP,{},{},2020-01-01,2024-12-01,WYP",
                3 + r,
                3 + r,
                hx_lat + 0.002 * (r as f64 + 1.0),
                hx_lon - 0.002
            ),
        );
    }

    // Background population, with Arabic-script names for about a third.
    let mut background_phones = Vec::new();
    for p in 0..scale.persons {
        let force = FORCES.choose(&mut rng).copied().unwrap_or("WYP");
        let id = format!("P{p:07}");
        let (name, aliases) = if rng.random_bool(0.33) {
            let (ar, la) = ARABIC.choose(&mut rng).copied().unwrap_or(ARABIC[0]);
            let (far, fla) = ARABIC_FAMILY
                .choose(&mut rng)
                .copied()
                .unwrap_or(ARABIC_FAMILY[0]);
            (format!("{ar} {far}"), format!("{la} {fla}"))
        } else {
            (
                format!(
                    "{} {}",
                    ENGLISH.choose(&mut rng).unwrap_or(&"Sam"),
                    SURNAMES.choose(&mut rng).unwrap_or(&"Smith")
                ),
                String::new(),
            )
        };
        w(
            &mut o.persons,
            format!(
                "{id},{name},{aliases},19{}-0{}-1{},{},{force},,false,,,,false",
                rng.random_range(60..99),
                rng.random_range(1..10),
                rng.random_range(0..10),
                if rng.random_bool(0.5) {
                    "male"
                } else {
                    "female"
                }
            ),
        );
        let phone = format!("+4477009{:05}", 10_000 + p % 90_000);
        w(
            &mut o.identifiers,
            format!("{id},phone,{phone},,,,,2022-01-01,2024-01-01,{force}"),
        );
        background_phones.push((phone, force));
    }
    // Two call-data hubs among the background.
    let hubs = [next_phone(), next_phone()];
    for i in 0..scale.calls {
        if background_phones.is_empty() {
            break;
        }
        let (a, force) = background_phones
            .choose(&mut rng)
            .cloned()
            .unwrap_or_default();
        let b = if i % 4 == 0 {
            hubs[i % 2].clone()
        } else {
            background_phones
                .choose(&mut rng)
                .map(|p| p.0.clone())
                .unwrap_or_default()
        };
        if a == b {
            continue;
        }
        let mut line = String::new();
        let _ = write!(
            line,
            "{a},{b},2024-{:02}-{:02}T{:02}:{:02}:00Z,{},{force}",
            rng.random_range(1..13),
            rng.random_range(1..29),
            rng.random_range(0..24),
            rng.random_range(0..60),
            rng.random_range(5..900)
        );
        w(&mut o.calls, line);
    }

    // Background VAWG: one perpetrator in forty, one victim, one or two incidents in 2024;
    // and a missing episode or two for one person in sixty. Below the planted cases.
    let offences = [
        ("Assault occasioning actual bodily harm", "8N"),
        ("Assault without injury", "105A"),
        ("Harassment", "8L"),
        ("Stalking", "8Q"),
    ];
    let n = background_phones.len();
    for p in (0..n).step_by(40) {
        let force = background_phones[p].1;
        let victim = (p + 17) % n;
        if victim == p || background_phones[victim].1 != force {
            continue;
        }
        for k in 0..rng.random_range(1..3) {
            let (crime, code) = offences.choose(&mut rng).copied().unwrap_or(offences[0]);
            w(
                &mut o.incidents,
                format!(
                    "BG-I{p}-{k},{crime},{code},2024-{:02}-{:02}T21:00:00Z,,,,,{force},,P{p:07}:suspect;P{victim:07}:victim",
                    rng.random_range(1..13),
                    rng.random_range(1..29)
                ),
            );
        }
    }
    for p in (5..n).step_by(60) {
        let force = background_phones[p].1;
        for e in 0..rng.random_range(1..3) {
            let month = rng.random_range(1..12);
            w(
                &mut o.missing,
                format!(
                    "BG-E{p}-{e},P{p:07},2024-{month:02}-{:02}T18:00:00Z,2024-{month:02}-28T09:00:00Z,{},,,,,,,{force}",
                    rng.random_range(1..28),
                    if rng.random_bool(0.2) {
                        "medium"
                    } else {
                        "low"
                    }
                ),
            );
        }
    }

    for (name, body) in [
        ("persons.csv", &o.persons),
        ("identifiers.csv", &o.identifiers),
        ("incidents.csv", &o.incidents),
        ("missing.csv", &o.missing),
        ("calls.csv", &o.calls),
    ] {
        std::fs::File::create(dir.join(name))?.write_all(body.as_bytes())?;
    }
    let planted = format!(
        "{{\"cse_operation\":\"{op}\",\"cse_suspects\":{suspects:?},\"cse_victims\":{victims:?},\"shared_phone\":\"{shared_phone}\",\
         \"serial_da_perpetrators\":[\"DA-P1\",\"DA-P2\",\"DA-P3\"],\"repeat_missing\":[\"MP-C1\",\"MP-C2\",\"MP-C3\",\"MP-C4\"],\
         \"linked_adult\":\"{adult}\",\"registered_offenders\":[\"RSO-1\",\"RSO-2\"],\"call_hubs\":{hubs:?}}}\n"
    );
    std::fs::write(dir.join("planted.json"), planted)?;
    write_documents(&dir.join("documents"), &shared_phone, flat)?;
    Ok(())
}

/// Fictional material for the demo's search index, written into `dir`: a WhatsApp-style
/// group chat and an Iraqi-Arabic chat that mention Operation Aurora's shared phone,
/// flat and suspects, and an interview transcript (SRT) with its recording (a WAV of
/// tones, one per cue: no voice, no person). `toex ingest` reads them; the transcript
/// and the recording share a name, so the recording is kept with it.
pub fn write_documents(dir: &Path, shared_phone: &str, flat: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let arabic_phone: String = shared_phone
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(0x0660 + d).unwrap_or(c),
            None => c,
        })
        .collect();
    let chat = format!(
        "14/03/2024, 21:02 - Mo: new number {shared_phone} dont give it out\n\
         14/03/2024, 21:03 - Jay: sound. pick up from the flat {flat} at 11?\n\
         14/03/2024, 21:05 - Mo: yeah bring the girls, message sophie on snap @sophie_x0\n\
         14/03/2024, 21:07 - Jay: taking the silver golf, reg YX19 ABC\n\
         14/03/2024, 21:09 - Mo: Mohammed Al-Jubouri says nobody talks to the police\n\
         15/03/2024, 08:15 - Jay: garage by the flat has cameras now, use the back lane\n"
    );
    std::fs::write(dir.join("aurora-group-chat.txt"), chat)?;
    let arabic = format!(
        "15/03/2024, 22:10 - محمد: رقمي الجديد {arabic_phone} لا تنطيه لأحد\n\
         15/03/2024, 22:11 - علي: زين، السيارة بالكراج يم الشقة\n\
         15/03/2024, 22:14 - محمد: اكو شرطة بالمنطقة، لا تجي هسه\n\
         15/03/2024, 22:20 - علي: ماكو مشكلة، نلتقي باچر الصبح\n"
    );
    std::fs::write(dir.join("aurora-chat-arabic.txt"), arabic)?;
    let cues: [(u32, u32, String); 6] = [
        (
            0,
            3,
            "Officer: This interview is being recorded. Are you happy to continue?".into(),
        ),
        (
            3,
            6,
            "Witness: Yes. I want to say what happened at the flat.".into(),
        ),
        (
            6,
            10,
            format!("Witness: They gave me a phone. The number was {shared_phone}."),
        ),
        (
            10,
            14,
            format!("Witness: The flat is above the takeaway, postcode {flat}."),
        ),
        (
            14,
            18,
            "Witness: The older one, Mohammed Al-Jubouri, drove a silver Golf.".into(),
        ),
        (
            18,
            22,
            "Officer: Thank you. We will stop the recording there.".into(),
        ),
    ];
    let mut srt = String::new();
    for (i, (start, end, text)) in cues.iter().enumerate() {
        let _ = write!(
            srt,
            "{}\n00:00:{start:02},000 --> 00:00:{end:02},000\n{text}\n\n",
            i + 1
        );
    }
    std::fs::write(dir.join("interview-2024-04-12.srt"), srt)?;
    let spans: Vec<(u32, u32)> = cues.iter().map(|(s, e, _)| (*s, *e)).collect();
    std::fs::write(
        dir.join("interview-2024-04-12.wav"),
        tone_wav(&spans, 8_000),
    )?;
    Ok(())
}

/// A mono 16-bit PCM WAV at `rate` Hz: a soft tone (its pitch rising cue by cue) over
/// each `(start, end)` span in seconds, with a short fade, and silence between.
pub fn tone_wav(spans: &[(u32, u32)], rate: u32) -> Vec<u8> {
    let total = spans.iter().map(|s| s.1).max().unwrap_or(0) * rate;
    let mut samples = vec![0i16; total as usize];
    for (k, &(start, end)) in spans.iter().enumerate() {
        let freq = 330.0 + 55.0 * k as f64;
        let (a, b) = (
            (start * rate) as usize,
            ((end * rate) as usize).saturating_sub(rate as usize / 5),
        );
        for (i, sample) in samples.iter_mut().enumerate().take(b).skip(a) {
            let t = (i - a) as f64 / f64::from(rate);
            let fade = ((i - a).min(b - i) as f64 / (f64::from(rate) * 0.05)).min(1.0);
            *sample = (f64::sin(2.0 * std::f64::consts::PI * freq * t) * 6_000.0 * fade) as i16;
        }
    }
    let data_bytes = samples.len() as u32 * 2;
    let mut out = Vec::with_capacity(44 + data_bytes as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_bytes.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// The order in which the generated files import (persons before what refers to them).
pub const IMPORT_ORDER: &[(&str, crate::import::ImportKind)] = &[
    ("persons.csv", crate::import::ImportKind::Persons),
    ("identifiers.csv", crate::import::ImportKind::Identifiers),
    ("incidents.csv", crate::import::ImportKind::Incidents),
    ("missing.csv", crate::import::ImportKind::Missing),
    ("calls.csv", crate::import::ImportKind::Calls),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{ImportOptions, parse_file};

    #[test]
    fn same_seed_same_files_and_every_row_is_valid() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let scale = Scale {
            persons: 300,
            calls: 2_000,
            seed: 42,
        };
        generate(a.path(), scale).unwrap();
        generate(b.path(), scale).unwrap();
        for (file, kind) in IMPORT_ORDER {
            let x = std::fs::read(a.path().join(file)).unwrap();
            assert_eq!(x, std::fs::read(b.path().join(file)).unwrap(), "{file}");
            let (records, errors) =
                parse_file(*kind, &a.path().join(file), &ImportOptions::default(), &()).unwrap();
            assert!(
                errors.is_empty(),
                "{file}: {:?}",
                &errors[..errors.len().min(3)]
            );
            assert!(!records.is_empty(), "{file}");
        }
        for doc in [
            "aurora-group-chat.txt",
            "aurora-chat-arabic.txt",
            "interview-2024-04-12.srt",
            "interview-2024-04-12.wav",
        ] {
            let x = std::fs::read(a.path().join("documents").join(doc)).unwrap();
            assert_eq!(
                x,
                std::fs::read(b.path().join("documents").join(doc)).unwrap()
            );
        }
        let arabic =
            std::fs::read_to_string(a.path().join("documents/aurora-chat-arabic.txt")).unwrap();
        assert!(arabic.contains("٠٧٧٠٠ ٩٠٠٠٠١"), "{arabic}");
    }

    #[test]
    fn the_demo_recording_is_a_wav_as_long_as_its_transcript() {
        let wav = tone_wav(&[(0, 2), (3, 5)], 8_000);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        let riff = u32::from_le_bytes(wav[4..8].try_into().unwrap()) as usize;
        assert_eq!(riff + 8, wav.len());
        let data = u32::from_le_bytes(wav[40..44].try_into().unwrap()) as usize;
        assert_eq!(data, 5 * 8_000 * 2, "five seconds of 16-bit mono at 8 kHz");
        let sample = |sec: f64| {
            let i = 44 + 2 * (sec * 8_000.0) as usize;
            i16::from_le_bytes([wav[i], wav[i + 1]])
        };
        assert!((0..400).any(|k| sample(1.0 + f64::from(k) / 8_000.0).abs() > 3_000));
        assert_eq!(sample(2.5), 0, "silence between the spans");
    }
}
