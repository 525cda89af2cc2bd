//! The planted structures that tests expect analysis to find: a group-based CSE network,
//! serial domestic-abuse perpetrators, repeat-missing children linked to an adult, and
//! registered offenders living near where the children are found.

use crate::names::{ARABIC, ARABIC_FAMILY, ENGLISH, FORCES, SURNAMES};
use crate::{Out, Phones, w};

/// The ids of what was planted, recorded in `planted.json`.
pub(crate) struct Planted {
    pub op: &'static str,
    pub shared_phone: String,
    pub flat: &'static str,
    pub suspects: Vec<String>,
    pub victims: Vec<String>,
    pub adult: &'static str,
}

/// Writes the planted persons, identifiers, incidents, episodes and calls into `o`.
pub(crate) fn write(o: &mut Out, phones: &mut Phones) -> Planted {
    // A group-based CSE network in Bradford (WYP), Operation Aurora.
    let op = "Operation Aurora";
    let (bd_lat, bd_lon) = (53.7960, -1.7594);
    let shared_phone = phones.next();
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
                    phones.next()
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
        let vp = phones.next();
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
    let adult_phone = phones.next();
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
        let phone = phones.next();
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
    Planted {
        op,
        shared_phone,
        flat,
        suspects,
        victims,
        adult,
    }
}
