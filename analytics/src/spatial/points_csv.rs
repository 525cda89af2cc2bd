//! Reads `id,x,y,value` point files for `toex hotspots`, with line-numbered errors.

use std::io::Read;

use super::Point;
use crate::AnalyticsError;

/// Most rows a point file may hold.
pub const MAX_POINTS: usize = 5_000_000;

/// A point with its id, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct IdPoint {
    pub id: String,
    pub point: Point,
}

/// Reads a CSV with a header naming `id`, `x`, `y` and `value` (any order, other
/// columns ignored). Any bad row rejects the file: a statistic over part of the data
/// would mislead. With `lonlat`, x is longitude and y latitude, checked for range.
pub fn read_points(input: impl Read, lonlat: bool) -> Result<Vec<IdPoint>, AnalyticsError> {
    let bad = |m: String| AnalyticsError::InvalidInput(m);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| bad(format!("cannot read the header row: {e}")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                bad(format!(
                    "the header has no `{name}` column (need id,x,y,value)"
                ))
            })
    };
    let (id, x, y, value) = (column("id")?, column("x")?, column("y")?, column("value")?);
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            bad(format!("line {line}: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let number = |i: usize, name: &str| -> Result<f64, AnalyticsError> {
            let text = record.get(i).unwrap_or("");
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(format!("line {line}: `{name}` = `{text}` is not a number")))
        };
        let point = Point {
            x: number(x, "x")?,
            y: number(y, "y")?,
            value: number(value, "value")?,
        };
        if lonlat && (!(-180.0..=180.0).contains(&point.x) || !(-90.0..=90.0).contains(&point.y)) {
            return Err(bad(format!(
                "line {line}: {},{} is not a longitude,latitude",
                point.x, point.y
            )));
        }
        if out.len() == MAX_POINTS {
            return Err(bad(format!("more than {MAX_POINTS} points")));
        }
        out.push(IdPoint {
            id: record.get(id).unwrap_or("").to_owned(),
            point,
        });
    }
    if out.is_empty() {
        return Err(bad("the file has no points".to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_in_any_order_and_names_the_bad_line() {
        let ok = read_points(
            "value,id,y,x,extra\n3,a,2,1,z\n4,b,5,6,z\n".as_bytes(),
            false,
        )
        .unwrap();
        assert_eq!(ok[1].id, "b");
        assert_eq!(
            ok[1].point,
            Point {
                x: 6.0,
                y: 5.0,
                value: 4.0
            }
        );
        let err = read_points("id,x,y,value\na,1,2,3\nb,1,nan,3\n".as_bytes(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("`y`"), "{err}");
        let err = read_points("id,x,y\n".as_bytes(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`value`"), "{err}");
        let err = read_points("id,x,y,value\na,200,2,3\n".as_bytes(), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("longitude"), "{err}");
        assert!(read_points("id,x,y,value\n".as_bytes(), false).is_err());
        assert!(read_points(&b"id,x,y,value\na,1,2\n"[..], false).is_err());
    }
}
