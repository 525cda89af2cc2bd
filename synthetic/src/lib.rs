//! A seeded generator of realistic, entirely fictional data, written as the CSV files that
//! `toex import` reads. Phone numbers come from Ofcom's drama ranges (07700 900xxx and
//! 0113 496 0xxx), so no real subscriber is ever named. Planted structures, recorded in
//! `planted.json`, let tests check that analysis finds them:
//! a group-based CSE network around three victims, serial domestic-abuse perpetrators,
//! repeat-missing children linked to adults through phones and addresses, registered
//! offenders living near them, call-data hubs, and names in Arabic script with Latin
//! transliterations.

mod background;
mod documents;
mod names;
mod planted;

use std::io::Write;
use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use documents::{tone_wav, write_documents};
pub use names::FORCES;

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

/// The CSV files being written, headers first.
pub(crate) struct Out {
    pub persons: String,
    pub identifiers: String,
    pub incidents: String,
    pub missing: String,
    pub calls: String,
}

/// Appends one line.
pub(crate) fn w(s: &mut String, line: String) {
    s.push_str(&line);
    s.push('\n');
}

/// Hands out drama-range phone numbers in order.
#[derive(Default)]
pub(crate) struct Phones(u32);

impl Phones {
    pub fn next(&mut self) -> String {
        self.0 += 1;
        if self.0 < 1000 {
            format!("07700 900{:03}", self.0)
        } else {
            format!("0113 496 {:04}", self.0 % 10_000)
        }
    }
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
    let mut phones = Phones::default();
    let planted::Planted {
        op,
        shared_phone,
        flat,
        suspects,
        victims,
        adult,
    } = planted::write(&mut o, &mut phones);
    let hubs = background::write(&mut o, &mut rng, &mut phones, scale);
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

#[cfg(test)]
mod tests {
    use super::*;
    use toex_graph::import::{IMPORT_ORDER, ImportOptions, parse_file};

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
