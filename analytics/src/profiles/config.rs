//! The versioned threat-profile method: bands, weights and windows, from TOML.

use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::AnalyticsError;

const BUILTIN: &str = include_str!("../../data/profiles.toml");

/// Scores `score` when the value is at most `up_to` (first band that fits wins).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpTo {
    pub up_to: f64,
    pub score: f64,
}

/// Scores `score` when the value is at least `from` (highest band reached wins).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AtLeast {
    pub from: f64,
    pub score: f64,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RfgvWeights {
    pub recency: f64,
    pub frequency: f64,
    pub gravity: f64,
    pub victims: f64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VawgConfig {
    pub window_months: u32,
    pub recency: Vec<UpTo>,
    pub frequency: Vec<AtLeast>,
    pub gravity: Vec<AtLeast>,
    pub victims: Vec<AtLeast>,
    pub weights: RfgvWeights,
    pub serial_min_victims: u32,
    pub serial_window_months: u32,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MissingWeights {
    pub episodes: f64,
    pub high_risk: f64,
    pub exploitation: f64,
    pub shared_places: f64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MissingConfig {
    pub lookback_months: u32,
    pub repeat_min_episodes: u32,
    pub repeat_window_days: u32,
    pub child_under_years: u32,
    pub link_hops: u32,
    /// A node with more links than this is not walked through (see [`DEFAULT_HUB_LINKS`]).
    #[serde(default = "default_hub_links")]
    pub hub_links: u32,
    pub weights: MissingWeights,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RsoWeights {
    pub linked_children: f64,
    pub linked_victims: f64,
    pub nearby_places: f64,
    pub mappa_level: f64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RsoConfig {
    pub lookback_months: u32,
    pub link_hops: u32,
    /// A node with more links than this is not walked through (see [`DEFAULT_HUB_LINKS`]).
    #[serde(default = "default_hub_links")]
    pub hub_links: u32,
    pub near_metres: f64,
    pub weights: RsoWeights,
}

/// The most links a phone, address, vehicle or account may have and still be walked
/// through by a profile's link search. A call centre's number, a taxi firm's phone or a
/// hostel links thousands of people to each other; a path through it says nothing about
/// them, and following every one made the missing-persons profile at 1M nodes run for
/// minutes (`bench/profiles.sh`).
pub const DEFAULT_HUB_LINKS: u32 = 1_000;

fn default_hub_links() -> u32 {
    DEFAULT_HUB_LINKS
}

/// The whole method. `version` is stamped on every row it produces.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    pub version: String,
    pub vawg: VawgConfig,
    pub missing: MissingConfig,
    pub registered_offenders: RsoConfig,
}

/// Longest person-to-person path a profile follows.
pub const MAX_LINK_HOPS: u32 = 6;

impl ProfileConfig {
    /// The method that ships with toex (`analytics/data/profiles.toml`).
    pub fn builtin() -> &'static ProfileConfig {
        static CONFIG: OnceLock<ProfileConfig> = OnceLock::new();
        CONFIG.get_or_init(|| Self::parse(BUILTIN).expect("the built-in profile method parses"))
    }

    /// A method from a TOML file.
    pub fn from_path(path: &Path) -> Result<Self, AnalyticsError> {
        let config = |reason: String| AnalyticsError::Config {
            setting: "profiles.config",
            reason: format!("{}: {reason}", path.display()),
        };
        let text = std::fs::read_to_string(path).map_err(|e| config(e.to_string()))?;
        Self::parse(&text).map_err(config)
    }

    /// Parses and checks a method.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: ProfileConfig = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        if self.version.trim().is_empty() {
            return Err("`version` must name the method".to_owned());
        }
        let v = &self.vawg;
        if v.window_months == 0 || v.serial_window_months == 0 {
            return Err("`vawg` windows must be at least one month".to_owned());
        }
        for (name, empty) in [
            ("vawg.recency", v.recency.is_empty()),
            ("vawg.frequency", v.frequency.is_empty()),
            ("vawg.gravity", v.gravity.is_empty()),
            ("vawg.victims", v.victims.is_empty()),
        ] {
            if empty {
                return Err(format!("`{name}` needs at least one band"));
            }
        }
        if !v.recency.windows(2).all(|w| w[0].up_to < w[1].up_to) {
            return Err("`vawg.recency` bands must rise in `up_to`".to_owned());
        }
        for (name, bands) in [
            ("vawg.frequency", &v.frequency),
            ("vawg.gravity", &v.gravity),
            ("vawg.victims", &v.victims),
        ] {
            if !bands.windows(2).all(|w| w[0].from < w[1].from) {
                return Err(format!("`{name}` bands must rise in `from`"));
            }
        }
        let hops = [
            ("missing.link_hops", self.missing.link_hops),
            (
                "registered_offenders.link_hops",
                self.registered_offenders.link_hops,
            ),
        ];
        for (name, h) in hops {
            if !(2..=MAX_LINK_HOPS).contains(&h) {
                return Err(format!("`{name}` must be 2 to {MAX_LINK_HOPS}, not {h}"));
            }
        }
        if self.missing.hub_links == 0 || self.registered_offenders.hub_links == 0 {
            return Err("`hub_links` must be at least 1".to_owned());
        }
        if self.missing.repeat_min_episodes == 0 || self.missing.repeat_window_days == 0 {
            return Err("`missing` repeat threshold and window must be positive".to_owned());
        }
        let near = self.registered_offenders.near_metres;
        if near.is_nan() || near < 0.0 {
            return Err("`registered_offenders.near_metres` must not be negative".to_owned());
        }
        Ok(())
    }
}

/// Score of the first `up_to` band that holds `value`, else 0.
pub fn up_to_score(bands: &[UpTo], value: f64) -> f64 {
    bands
        .iter()
        .find(|b| value <= b.up_to)
        .map_or(0.0, |b| b.score)
}

/// Score of the highest `from` band that `value` reaches, else 0.
pub fn at_least_score(bands: &[AtLeast], value: f64) -> f64 {
    bands
        .iter()
        .rfind(|b| value >= b.from)
        .map_or(0.0, |b| b.score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_method_parses_and_bands_score() {
        let c = ProfileConfig::builtin();
        assert_eq!(c.vawg.window_months, 12);
        assert_eq!(up_to_score(&c.vawg.recency, 0.5), 5.0);
        assert_eq!(up_to_score(&c.vawg.recency, 2.0), 4.0);
        assert_eq!(up_to_score(&c.vawg.recency, 13.0), 0.0);
        assert_eq!(at_least_score(&c.vawg.frequency, 4.0), 3.0);
        assert_eq!(at_least_score(&c.vawg.frequency, 0.0), 0.0);
        assert_eq!(at_least_score(&c.vawg.victims, 9.0), 5.0);
    }

    #[test]
    fn a_bad_method_is_refused_with_the_reason() {
        let text = BUILTIN.replace("link_hops = 3", "link_hops = 9");
        assert!(
            ProfileConfig::parse(&text)
                .unwrap_err()
                .contains("missing.link_hops")
        );
        let text = BUILTIN.replace("window_months = 12", "window_months = 12\nsurprise = 1");
        assert!(
            ProfileConfig::parse(&text)
                .unwrap_err()
                .contains("surprise")
        );
        let text = BUILTIN.replace("{ up_to = 3, score = 4 }", "{ up_to = 0.5, score = 4 }");
        assert!(ProfileConfig::parse(&text).unwrap_err().contains("recency"));
    }
}
