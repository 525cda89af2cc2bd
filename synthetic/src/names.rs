//! The fictional names the generator draws from: forces, Arabic given and family names
//! with their Latin transliterations, English given names and surnames.

/// The nine forces of the programme this serves.
pub const FORCES: &[&str] = &[
    "WYP", "GMP", "MPS", "WMP", "MER", "SYP", "NYP", "HUM", "LAN",
];

pub(crate) const ARABIC: &[(&str, &str)] = &[
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
pub(crate) const ARABIC_FAMILY: &[(&str, &str)] = &[
    ("الجبوري", "Al-Jubouri"),
    ("العبيدي", "Al-Obaidi"),
    ("الدليمي", "Al-Dulaimi"),
    ("الحسن", "Al-Hassan"),
    ("التميمي", "Al-Tamimi"),
    ("الربيعي", "Al-Rubaie"),
];
pub(crate) const ENGLISH: &[&str] = &[
    "Jack", "Liam", "Connor", "Daniel", "Ryan", "Sophie", "Chloe", "Emily", "Jade", "Amy",
    "Kayleigh", "Lewis",
];
pub(crate) const SURNAMES: &[&str] = &[
    "Smith", "Brown", "Walker", "Wilson", "Taylor", "Khan", "Hussain", "Begum", "Wood", "Clarke",
];
