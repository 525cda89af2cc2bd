//! Validation: each loosely typed row becomes a typed record or a reason it cannot.
//! Records turn into the parameter maps the import statements expect.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use neo4rs::{BoltMap, BoltType};

use super::read::{Field, RawRow};
use crate::identifiers;

/// A typed row, ready to write.
#[derive(Debug, Clone)]
pub struct Record {
    pub line: u64,
    pub force: String,
    pub kind: RecordKind,
}

#[derive(Debug, Clone)]
pub enum RecordKind {
    Person {
        id: String,
        name: String,
        aliases: Vec<String>,
        dob: Option<String>,
        gender: Option<String>,
        rso: bool,
        visor_category: Option<String>,
        mappa_level: Option<i64>,
        vulnerabilities: Vec<String>,
        protected: bool,
        operation: Option<String>,
    },
    Identifier {
        person_id: String,
        /// `phone`, `email`, `vehicle`, `account`, `address`.
        kind: IdentifierKind,
        value: String,
        caption: String,
        place: Option<Place>,
        first_seen: Option<String>,
        last_seen: Option<String>,
    },
    Incident {
        id: String,
        crime_type: String,
        offence_code: Option<String>,
        occurred_at: String,
        harm: Option<f64>,
        place: Option<Place>,
        operation: Option<String>,
        people: Vec<(String, String)>,
    },
    Missing {
        id: String,
        person_id: String,
        reported_at: String,
        returned_at: Option<String>,
        risk_grade: String,
        from: Option<Place>,
        found: Option<Place>,
        operation: Option<String>,
    },
    Call {
        caller: String,
        callee: String,
        /// Parsed once here: aggregation compares and sends instants, not text.
        start: DateTime<Utc>,
        duration: i64,
    },
    Edge {
        from: String,
        to: String,
        weight: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentifierKind {
    Phone,
    Email,
    Vehicle,
    Account,
    Address,
}

/// A location: an id, and what is known of it.
#[derive(Debug, Clone)]
pub struct Place {
    pub id: String,
    pub postcode: Option<String>,
    pub lsoa: Option<String>,
    /// The LSOA's name (police.uk's `LSOA name`, e.g. "Leeds 111B"): the area a place is
    /// known by on a map.
    pub lsoa_name: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
}

/// Accessors over a raw row with clear errors.
struct Row<'a>(&'a RawRow);

impl Row<'_> {
    fn opt(&self, name: &str) -> Option<String> {
        match self.0.get(name) {
            Some(Field::Text(s)) => Some(s.clone()),
            Some(Field::List(l)) => Some(l.join(";")),
            None => None,
        }
    }

    fn req(&self, name: &str) -> Result<String, String> {
        self.opt(name).ok_or_else(|| format!("`{name}` is missing"))
    }

    /// A required text field, borrowed (for values that are parsed, not kept).
    fn text(&self, name: &str) -> Result<&str, String> {
        match self.0.get(name) {
            Some(Field::Text(s)) => Ok(s),
            Some(Field::List(_)) => Err(format!("`{name}` must be text, not a list")),
            None => Err(format!("`{name}` is missing")),
        }
    }

    fn list(&self, name: &str) -> Vec<String> {
        match self.0.get(name) {
            Some(Field::List(l)) => l
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            Some(Field::Text(s)) => s
                .split(';')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            None => Vec::new(),
        }
    }

    fn bool(&self, name: &str) -> Result<bool, String> {
        match self
            .opt(name)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("false" | "0" | "no" | "n") => Ok(false),
            Some("true" | "1" | "yes" | "y") => Ok(true),
            Some(other) => Err(format!("`{name}` = `{other}` is not true or false")),
        }
    }

    fn f64(&self, name: &str) -> Result<Option<f64>, String> {
        self.opt(name)
            .map(|s| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("`{name}` = `{s}` is not a number"))
            })
            .transpose()
    }

    fn time(&self, name: &str) -> Result<Option<String>, String> {
        self.opt(name)
            .map(|s| parse_time(&s).map_err(|e| format!("`{name}`: {e}")))
            .transpose()
    }

    fn id(&self, name: &str) -> Result<String, String> {
        let id = self.req(name)?;
        if id.chars().count() > 200 || id.chars().any(char::is_control) {
            return Err(format!("`{name}` must be at most 200 printable characters"));
        }
        Ok(id)
    }

    fn place(&self, prefix: &str) -> Result<Option<Place>, String> {
        let key = |k: &str| format!("{prefix}{k}");
        let postcode = self
            .opt(&key("postcode"))
            .map(|p| identifiers::normalise_postcode(&p))
            .transpose()?;
        let lat = self.f64(&key("lat"))?.or(self.f64(&key("latitude"))?);
        let lon = self.f64(&key("lon"))?.or(self.f64(&key("longitude"))?);
        if lat.is_some() != lon.is_some() {
            return Err(format!("`{prefix}lat` and `{prefix}lon` come together"));
        }
        if let (Some(la), Some(lo)) = (lat, lon)
            && (!(-90.0..=90.0).contains(&la) || !(-180.0..=180.0).contains(&lo))
        {
            return Err(format!(
                "`{prefix}lat`/`{prefix}lon` = {la},{lo} is not on Earth"
            ));
        }
        let lsoa = self.opt(&key("lsoa"));
        let lsoa_name = self.opt(&key("lsoa_name"));
        let address = self.opt(&key("address"));
        let explicit_id = self.opt(&key("location_id"));
        let id = explicit_id
            .or_else(|| postcode.clone())
            .or_else(|| lat.zip(lon).map(|(la, lo)| format!("{la:.5},{lo:.5}")))
            .or_else(|| address.clone());
        Ok(id.map(|id| Place {
            id,
            postcode,
            lsoa,
            lsoa_name,
            lat,
            lon,
            address,
        }))
    }
}

/// Parses a date or date-time into RFC 3339 UTC (`2024-05-01T00:00:00Z`).
pub fn parse_time(s: &str) -> Result<String, String> {
    parse_instant(s).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Parses a date or date-time into an instant in UTC, to the second (what [`parse_time`]
/// writes out): ISO 8601 with or without an offset (none is UTC), UK day-first dates,
/// a bare date (midnight) or a month (its first day).
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    use chrono::SubsecRound;
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc).trunc_subsecs(0));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc().trunc_subsecs(0));
        }
    }
    for fmt in ["%Y-%m-%d", "%d/%m/%Y", "%Y-%m"] {
        let candidate = if fmt == "%Y-%m" {
            format!("{s}-01")
        } else {
            s.to_owned()
        };
        let f = if fmt == "%Y-%m" { "%Y-%m-%d" } else { fmt };
        if let Ok(d) = NaiveDate::parse_from_str(&candidate, f) {
            return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
        }
    }
    Err(format!(
        "`{s}` is not a date or date-time (use ISO 8601, e.g. 2024-05-01T13:45:00Z)"
    ))
}

/// A police.uk street-level crime row (`Crime ID,Month,…,Crime type,…`) as an incident.
/// Rows without a crime id (anti-social behaviour) get one from force, month and line,
/// so importing the same file again finds the same incidents.
fn street_crime(r: &Row<'_>, line: u64, force: &str) -> Result<RecordKind, String> {
    let month = r.req("month")?;
    let occurred_at = parse_time(&format!("{month}-01"))
        .map_err(|_| format!("`Month` = `{month}` is not a month such as 2018-07"))?;
    let id = match r.opt("crime id") {
        Some(id) => {
            if id.len() > 200 || id.chars().any(char::is_control) {
                return Err("`Crime ID` must be at most 200 printable characters".to_owned());
            }
            format!("PUK-{id}")
        }
        None => format!("PUK-{force}-{month}-L{line}"),
    };
    let crime_type = r.req("crime type")?;
    let mut place = r.place("")?;
    if let Some(p) = place.as_mut() {
        p.lsoa = r.opt("lsoa code");
        p.lsoa_name = r.opt("lsoa name");
        p.address = r.opt("location");
    }
    Ok(RecordKind::Incident {
        id,
        harm: toex_analytics::harm::HarmTable::builtin().lookup(None, &crime_type),
        crime_type,
        offence_code: None,
        occurred_at,
        place,
        operation: None,
        people: Vec::new(),
    })
}

/// Parses one raw row as `kind`.
pub fn parse(
    kind: super::ImportKind,
    line: u64,
    raw: &RawRow,
    default_force: Option<&str>,
) -> Result<Record, String> {
    use super::ImportKind as K;
    let r = Row(raw);
    let published_force = (kind == K::StreetCrime)
        .then(|| {
            r.opt("falls within")
                .as_deref()
                .and_then(crate::vocab::force_code)
        })
        .flatten();
    let force = r
        .opt("force")
        .or(published_force.map(str::to_owned))
        .or(default_force.map(str::to_owned))
        .ok_or_else(|| {
            "the row names no `force`: add a force column or give `--force` (a row under no \
             force would be visible to no one)"
                .to_owned()
        })?
        .trim()
        .to_uppercase();
    if !crate::vocab::is_force_code(&force) {
        return Err(format!(
            "`force` = `{force}` is not a force code such as WYP"
        ));
    }
    let kind = match kind {
        K::Persons => {
            let mappa_level = r
                .opt("mappa_level")
                .map(|m| match m.parse::<i64>() {
                    Ok(v @ 1..=3) => Ok(v),
                    _ => Err(format!("`mappa_level` = `{m}` must be 1, 2 or 3")),
                })
                .transpose()?;
            let dob = r
                .opt("dob")
                .map(|d| {
                    NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                        .map(|d| d.to_string())
                        .map_err(|_| format!("`dob` = `{d}` is not a date (YYYY-MM-DD)"))
                })
                .transpose()?;
            RecordKind::Person {
                id: r.id("id")?,
                name: r.req("name")?,
                aliases: r.list("aliases"),
                dob,
                gender: r.opt("gender"),
                rso: r.bool("rso")?,
                visor_category: r.opt("visor_category"),
                mappa_level,
                vulnerabilities: r.list("vulnerabilities"),
                protected: r.bool("protected")?,
                operation: r.opt("operation"),
            }
        }
        K::Identifiers => {
            let kind_name = r.req("kind")?.to_ascii_lowercase();
            let value = r.req("value")?;
            let (kind, value, caption, place) = match kind_name.as_str() {
                "phone" => {
                    let v = identifiers::normalise_phone(&value)?;
                    (IdentifierKind::Phone, v.clone(), v, None)
                }
                "email" => {
                    let v = identifiers::normalise_email(&value)?;
                    (IdentifierKind::Email, v.clone(), v, None)
                }
                "vehicle" | "vrm" => {
                    let v = identifiers::normalise_vrm(&value)?;
                    (IdentifierKind::Vehicle, v.clone(), v, None)
                }
                "account" | "online_account" => {
                    let platform = r.req("platform")?;
                    let v = identifiers::normalise_account(&platform, &value)?;
                    (IdentifierKind::Account, v.clone(), value.clone(), None)
                }
                "address" => {
                    let place = r
                        .place("")?
                        .ok_or("an address needs a postcode, lat/lon or location_id")?;
                    (
                        IdentifierKind::Address,
                        place.id.clone(),
                        value.clone(),
                        Some(place),
                    )
                }
                other => {
                    return Err(format!(
                        "`kind` = `{other}` is not phone, email, vehicle, account or address"
                    ));
                }
            };
            RecordKind::Identifier {
                person_id: r.id("person_id")?,
                kind,
                value,
                caption,
                place,
                first_seen: r.time("first_seen")?,
                last_seen: r.time("last_seen")?,
            }
        }
        K::Incidents => {
            let mut people = Vec::new();
            for entry in r.list("people") {
                let (id, role) = entry
                    .split_once(':')
                    .ok_or_else(|| format!("`people` entry `{entry}` must be id:role"))?;
                let role = role.trim().to_ascii_lowercase();
                if !crate::vocab::ROLES.contains(&role.as_str()) {
                    return Err(format!(
                        "role `{role}` is not one of {}",
                        crate::vocab::ROLES.join(", ")
                    ));
                }
                people.push((id.trim().to_owned(), role));
            }
            let harm = r.f64("harm")?;
            if harm.is_some_and(|h| h < 0.0) {
                return Err("`harm` must not be negative".to_owned());
            }
            let crime_type = r.req("crime_type")?;
            let offence_code = r.opt("offence_code");
            let harm = harm.or_else(|| {
                toex_analytics::harm::HarmTable::builtin()
                    .lookup(offence_code.as_deref(), &crime_type)
            });
            RecordKind::Incident {
                id: r.id("id")?,
                crime_type,
                offence_code,
                occurred_at: r.time("occurred_at")?.ok_or("`occurred_at` is missing")?,
                harm,
                place: r.place("")?,
                operation: r.opt("operation"),
                people,
            }
        }
        K::StreetCrime => street_crime(&r, line, &force)?,
        K::Missing => {
            let risk = r.req("risk_grade")?.to_ascii_lowercase();
            if !crate::vocab::RISK_GRADES.contains(&risk.as_str()) {
                return Err(format!(
                    "`risk_grade` = `{risk}` is not one of {}",
                    crate::vocab::RISK_GRADES.join(", ")
                ));
            }
            let reported_at = r.time("reported_at")?.ok_or("`reported_at` is missing")?;
            let returned_at = r.time("returned_at")?;
            if returned_at.as_ref().is_some_and(|t| *t < reported_at) {
                return Err("`returned_at` is before `reported_at`".to_owned());
            }
            RecordKind::Missing {
                id: r.id("id")?,
                person_id: r.id("person_id")?,
                reported_at,
                returned_at,
                risk_grade: risk,
                from: r.place("from_")?,
                found: r.place("found_")?,
                operation: r.opt("operation"),
            }
        }
        K::Calls => {
            let duration = r
                .text("duration")?
                .parse::<i64>()
                .ok()
                .filter(|d| (0..=86_400).contains(d))
                .ok_or("`duration` must be whole seconds from 0 to 86400")?;
            RecordKind::Call {
                caller: identifiers::normalise_phone(r.text("caller")?)?,
                callee: identifiers::normalise_phone(r.text("callee")?)?,
                start: parse_instant(r.text("start")?).map_err(|e| format!("`start`: {e}"))?,
                duration,
            }
        }
        K::Edges => {
            let weight = r.f64("weight")?.unwrap_or(1.0);
            if weight <= 0.0 {
                return Err("`weight` must be positive".to_owned());
            }
            RecordKind::Edge {
                from: r.id("from")?,
                to: r.id("to")?,
                weight,
            }
        }
    };
    Ok(Record { line, force, kind })
}

/// Builds a Bolt map from `(key, value)` pairs.
pub fn bolt_map(pairs: Vec<(&str, BoltType)>) -> BoltType {
    let mut m = BoltMap::new();
    for (k, v) in pairs {
        m.put(k.into(), v);
    }
    BoltType::Map(m)
}

pub fn place_pairs(place: &Option<Place>) -> Vec<(&'static str, BoltType)> {
    let p = place.as_ref();
    vec![
        ("locationId", p.map(|p| p.id.clone()).into()),
        ("postcode", p.and_then(|p| p.postcode.clone()).into()),
        ("lsoa", p.and_then(|p| p.lsoa.clone()).into()),
        ("lsoaName", p.and_then(|p| p.lsoa_name.clone()).into()),
        ("lat", p.and_then(|p| p.lat).into()),
        ("lon", p.and_then(|p| p.lon).into()),
        ("address", p.and_then(|p| p.address.clone()).into()),
    ]
}
