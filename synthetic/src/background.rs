//! The background population the planted structures hide in: persons (about a third
//! with Arabic-script names), their phones, random calls with two hubs, and low-level
//! VAWG incidents and missing episodes below the planted cases.

use std::fmt::Write as _;

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use crate::names::{ARABIC, ARABIC_FAMILY, ENGLISH, FORCES, SURNAMES};
use crate::{Out, Phones, Scale, w};

/// Writes the background into `o`; returns the two call hubs' phones.
pub(crate) fn write(
    o: &mut Out,
    rng: &mut ChaCha8Rng,
    phones: &mut Phones,
    scale: Scale,
) -> [String; 2] {
    let rng = &mut *rng;
    // Background population, with Arabic-script names for about a third.
    let mut background_phones = Vec::new();
    for p in 0..scale.persons {
        let force = FORCES.choose(rng).copied().unwrap_or("WYP");
        let id = format!("P{p:07}");
        let (name, aliases) = if rng.random_bool(0.33) {
            let (ar, la) = ARABIC.choose(rng).copied().unwrap_or(ARABIC[0]);
            let (far, fla) = ARABIC_FAMILY
                .choose(rng)
                .copied()
                .unwrap_or(ARABIC_FAMILY[0]);
            (format!("{ar} {far}"), format!("{la} {fla}"))
        } else {
            (
                format!(
                    "{} {}",
                    ENGLISH.choose(rng).unwrap_or(&"Sam"),
                    SURNAMES.choose(rng).unwrap_or(&"Smith")
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
    let hubs = [phones.next(), phones.next()];
    for i in 0..scale.calls {
        if background_phones.is_empty() {
            break;
        }
        let (a, force) = background_phones.choose(rng).cloned().unwrap_or_default();
        let b = if i % 4 == 0 {
            hubs[i % 2].clone()
        } else {
            background_phones
                .choose(rng)
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
            let (crime, code) = offences.choose(rng).copied().unwrap_or(offences[0]);
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
    hubs
}
