//! Language names as toex detects or states them (ISO 639-1, or whatlang's ISO 639-3
//! where there is no two-letter code) to NLLB-200's codes (ISO 639-3 and script).

/// (ISO 639-1, ISO 639-3, NLLB-200 code), for the languages detection can name and
/// those exploitation cases bring (Albanian, Kurdish, Tigrinya, Pashto, Somali…),
/// which an analyst can state.
const TABLE: &[(&str, &str, &str)] = &[
    ("en", "eng", "eng_Latn"),
    ("ar", "ara", "arb_Arab"),
    ("fa", "pes", "pes_Arab"),
    ("ur", "urd", "urd_Arab"),
    ("ps", "pbt", "pbt_Arab"),
    ("ku", "kmr", "kmr_Latn"),
    ("ckb", "ckb", "ckb_Arab"),
    ("sq", "sqi", "als_Latn"),
    ("ti", "tir", "tir_Ethi"),
    ("am", "amh", "amh_Ethi"),
    ("so", "som", "som_Latn"),
    ("vi", "vie", "vie_Latn"),
    ("pl", "pol", "pol_Latn"),
    ("ro", "ron", "ron_Latn"),
    ("zh", "cmn", "zho_Hans"),
    ("fr", "fra", "fra_Latn"),
    ("es", "spa", "spa_Latn"),
    ("pt", "por", "por_Latn"),
    ("de", "deu", "deu_Latn"),
    ("it", "ita", "ita_Latn"),
    ("nl", "nld", "nld_Latn"),
    ("tr", "tur", "tur_Latn"),
    ("ru", "rus", "rus_Cyrl"),
    ("uk", "ukr", "ukr_Cyrl"),
    ("bg", "bul", "bul_Cyrl"),
    ("be", "bel", "bel_Cyrl"),
    ("mk", "mkd", "mkd_Cyrl"),
    ("sr", "srp", "srp_Cyrl"),
    ("hr", "hrv", "hrv_Latn"),
    ("sl", "slv", "slv_Latn"),
    ("sk", "slk", "slk_Latn"),
    ("cs", "ces", "ces_Latn"),
    ("hu", "hun", "hun_Latn"),
    ("lt", "lit", "lit_Latn"),
    ("lv", "lav", "lvs_Latn"),
    ("et", "est", "est_Latn"),
    ("fi", "fin", "fin_Latn"),
    ("sv", "swe", "swe_Latn"),
    ("da", "dan", "dan_Latn"),
    ("nb", "nob", "nob_Latn"),
    ("el", "ell", "ell_Grek"),
    ("he", "heb", "heb_Hebr"),
    ("yi", "yid", "ydd_Hebr"),
    ("ka", "kat", "kat_Geor"),
    ("hy", "hye", "hye_Armn"),
    ("az", "aze", "azj_Latn"),
    ("uz", "uzb", "uzn_Latn"),
    ("tk", "tuk", "tuk_Latn"),
    ("hi", "hin", "hin_Deva"),
    ("bn", "ben", "ben_Beng"),
    ("pa", "pan", "pan_Guru"),
    ("gu", "guj", "guj_Gujr"),
    ("mr", "mar", "mar_Deva"),
    ("ne", "nep", "npi_Deva"),
    ("ta", "tam", "tam_Taml"),
    ("te", "tel", "tel_Telu"),
    ("kn", "kan", "kan_Knda"),
    ("ml", "mal", "mal_Mlym"),
    ("or", "ori", "ory_Orya"),
    ("si", "sin", "sin_Sinh"),
    ("th", "tha", "tha_Thai"),
    ("km", "khm", "khm_Khmr"),
    ("my", "mya", "mya_Mymr"),
    ("ja", "jpn", "jpn_Jpan"),
    ("ko", "kor", "kor_Hang"),
    ("id", "ind", "ind_Latn"),
    ("jv", "jav", "jav_Latn"),
    ("tl", "tgl", "tgl_Latn"),
    ("af", "afr", "afr_Latn"),
    ("zu", "zul", "zul_Latn"),
    ("sn", "sna", "sna_Latn"),
    ("ak", "aka", "aka_Latn"),
    ("ca", "cat", "cat_Latn"),
    ("eo", "epo", "epo_Latn"),
];

/// NLLB-200's code for `language`: an ISO 639-1 or 639-3 code from the table, or an
/// NLLB code itself (`acm_Arab`, Mesopotamian Arabic, stated by an analyst).
pub fn nllb_code(language: &str) -> Option<&str> {
    if is_nllb_code(language) {
        return Some(language);
    }
    let l = language.to_ascii_lowercase();
    TABLE
        .iter()
        .find(|(two, three, _)| *two == l || *three == l)
        .map(|(_, _, code)| *code)
}

/// `xxx_Xxxx`: three lowercase letters, `_`, a four-letter script name.
pub fn is_nllb_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8
        && b[..3].iter().all(u8::is_ascii_lowercase)
        && b[3] == b'_'
        && b[4].is_ascii_uppercase()
        && b[5..].iter().all(u8::is_ascii_lowercase)
}

/// The ISO 639-1 code (else 639-3) toex uses for an NLLB code, when the table has one.
pub fn iso_of(code: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|(_, _, c)| *c == code)
        .map(|(two, _, _)| *two)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detected_and_stated_languages_find_their_nllb_codes() {
        assert_eq!(nllb_code("ar"), Some("arb_Arab"));
        assert_eq!(nllb_code("VI"), Some("vie_Latn"));
        assert_eq!(
            nllb_code("amh"),
            Some("amh_Ethi"),
            "whatlang's three letters"
        );
        assert_eq!(
            nllb_code("acm_Arab"),
            Some("acm_Arab"),
            "an NLLB code as stated"
        );
        assert_eq!(nllb_code("xx"), None);
        assert_eq!(nllb_code("acm_arab"), None);
        assert_eq!(iso_of("kmr_Latn"), Some("ku"));
        assert!(TABLE.iter().all(|(_, _, c)| is_nllb_code(c)));
    }
}
