//! Crime harm weights (Cambridge CHI days) per offence code or crime category, from a
//! replaceable CSV table; the built-in table ships in `analytics/data/chi.csv`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::AnalyticsError;

const BUILTIN: &str = include_str!("../data/chi.csv");

/// Harm in days of custody per offence code and per crime category.
#[derive(Debug, Clone)]
pub struct HarmTable {
    offences: HashMap<String, f64>,
    categories: HashMap<String, f64>,
    /// `chi-<first 12 hex of the file's SHA-256>`: names the table in explanations.
    version: String,
}

impl HarmTable {
    /// The table that ships with toex.
    pub fn builtin() -> &'static HarmTable {
        static TABLE: OnceLock<HarmTable> = OnceLock::new();
        TABLE.get_or_init(|| Self::parse(BUILTIN).expect("the built-in CHI table parses"))
    }

    /// A table from a CSV file with columns `kind,key,days[,label]`.
    pub fn from_path(path: &Path) -> Result<Self, AnalyticsError> {
        let config = |reason: String| AnalyticsError::Config {
            setting: "harm.table",
            reason: format!("{}: {reason}", path.display()),
        };
        let text = std::fs::read_to_string(path).map_err(|e| config(e.to_string()))?;
        Self::parse(&text).map_err(config)
    }

    /// Parses the CSV text of a table; `#` starts a comment line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut table = HarmTable {
            offences: HashMap::new(),
            categories: HashMap::new(),
            version: format!(
                "chi-{}",
                &format!("{:x}", Sha256::digest(text.as_bytes()))[..12]
            ),
        };
        for (n, record) in reader.records().enumerate() {
            let record = record.map_err(|e| format!("row {}: {e}", n + 1))?;
            let (kind, key, days) = (
                record.get(0).unwrap_or(""),
                record.get(1).unwrap_or(""),
                record.get(2).unwrap_or(""),
            );
            let days: f64 = days
                .parse()
                .ok()
                .filter(|d: &f64| d.is_finite() && *d >= 0.0)
                .ok_or_else(|| format!("row {}: `{days}` is not a number of days", n + 1))?;
            match kind {
                "offence" => table.offences.insert(key.to_ascii_uppercase(), days),
                "category" => table.categories.insert(fold(key), days),
                other => {
                    return Err(format!(
                        "row {}: kind `{other}` is not `offence` or `category`",
                        n + 1
                    ));
                }
            };
        }
        if table.offences.is_empty() && table.categories.is_empty() {
            return Err("the table has no rows".to_owned());
        }
        Ok(table)
    }

    /// Harm of an incident: by offence code first, then by crime type.
    pub fn lookup(&self, offence_code: Option<&str>, crime_type: &str) -> Option<f64> {
        offence_code
            .and_then(|c| self.offences.get(&c.trim().to_ascii_uppercase()))
            .or_else(|| self.categories.get(&fold(crime_type)))
            .copied()
    }

    /// Names this table's contents.
    pub fn version(&self) -> &str {
        &self.version
    }
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_prefers_the_offence_code_over_the_category() {
        let t = HarmTable::builtin();
        assert_eq!(
            t.lookup(Some("19c"), "Violence and sexual offences"),
            Some(1825.0)
        );
        assert_eq!(t.lookup(None, "violence  AND sexual offences"), Some(90.0));
        assert_eq!(t.lookup(Some("nope"), "Anti-social behaviour"), Some(0.0));
        assert_eq!(t.lookup(None, "unheard of"), None);
        assert!(t.version().starts_with("chi-"));
    }

    #[test]
    fn a_bad_table_says_which_row() {
        let err = HarmTable::parse("kind,key,days\noffence,1,lots\n").unwrap_err();
        assert!(err.contains("row 1") && err.contains("lots"), "{err}");
        let err = HarmTable::parse("kind,key,days\nplace,1,3\n").unwrap_err();
        assert!(err.contains("place"), "{err}");
        assert!(HarmTable::parse("kind,key,days\n").is_err());
    }
}
