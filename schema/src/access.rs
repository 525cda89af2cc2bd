//! The caller in the GraphQL context: who they are ([`Principal`], put there by the
//! server after authentication), why they ask ([`Purpose`]), and the compartment helpers
//! every resolver uses so that each query is filtered by the caller's forces inside it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::Context;
use toex_access::Principal;
use toex_graph::{GraphClient, names};

use crate::error::{ApiError, ApiResult, ErrorCode};

/// The stated lawful purpose of a request (an operation reference), from the
/// `X-Toex-Purpose` header or the WebSocket connection payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose(pub String);

/// The authenticated caller, or `UNAUTHENTICATED`.
pub fn caller<'a>(ctx: &Context<'a>) -> ApiResult<&'a Principal> {
    ctx.data_opt::<Principal>().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthenticated,
            "authentication required: send `Authorization: Bearer <token>`",
        )
    })
}

/// The forces a query may touch: the requested ones if the caller holds them all,
/// otherwise every force the caller holds.
pub fn forces(ctx: &Context<'_>, requested: &[String]) -> ApiResult<Vec<String>> {
    let upper: Vec<String> = requested
        .iter()
        .map(|f| f.trim().to_ascii_uppercase())
        .collect();
    let forces = caller(ctx)?.narrow(&upper)?;
    // An empty set would mean "no filter" to the engines: never let one through.
    if forces.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "your account holds no forces",
        ));
    }
    Ok(forces)
}

/// The operations a search may touch: the caller's compartments (narrowed by the
/// request) or, without compartments, what the request asks for.
pub fn operations(ctx: &Context<'_>, requested: &[String]) -> ApiResult<Vec<String>> {
    let p = caller(ctx)?;
    if p.operations.is_empty() {
        return Ok(requested.to_vec());
    }
    if requested.is_empty() {
        return Ok(p.operations.clone());
    }
    for op in requested {
        if !p.operations.contains(op) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("operation `{op}` is not among your compartments"),
            ));
        }
    }
    Ok(requested.to_vec())
}

/// How long a force set's protected names are reused before they are read again.
const NAMES_TTL: Duration = Duration::from_secs(30);

type NameSet = Arc<(HashSet<String>, HashSet<String>)>;

/// Redacts protected persons' names from responses for callers without the right:
/// every word of any string that spells a protected name (or alias), in either
/// script, becomes `[REDACTED]`. Over-redaction is the safe side.
pub struct Redactor {
    graph: GraphClient,
    cache: Mutex<HashMap<Vec<String>, (Instant, NameSet)>>,
}

/// What replaces a protected name.
pub const REDACTED: &str = "[REDACTED]";

impl Redactor {
    pub fn new(graph: GraphClient) -> Self {
        Self {
            graph,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The folded words and name keys of the protected persons in `forces`. When Neo4j
    /// cannot be asked, the last known set is used; with none, this fails (closed).
    async fn names(&self, forces: &[String]) -> ApiResult<NameSet> {
        let mut key = forces.to_vec();
        key.sort();
        let cached = self.cache.lock().expect("redactor lock").get(&key).cloned();
        if let Some((at, set)) = &cached
            && at.elapsed() < NAMES_TTL
        {
            return Ok(set.clone());
        }
        match self.graph.protected_names(&key).await {
            Ok(list) => {
                let mut words = HashSet::new();
                let mut keys = HashSet::new();
                for name in &list {
                    words.extend(
                        names::folded_words(name)
                            .into_iter()
                            .filter(|w| w.len() > 1),
                    );
                    keys.extend(names::name_keys(name).into_iter().filter(|k| k.len() > 1));
                }
                let set: NameSet = Arc::new((words, keys));
                self.cache
                    .lock()
                    .expect("redactor lock")
                    .insert(key, (Instant::now(), set.clone()));
                Ok(set)
            }
            Err(err) => match cached {
                Some((_, set)) => Ok(set),
                None => Err(err.into()),
            },
        }
    }

    /// Redacts every string in `value` for the caller's forces.
    pub async fn redact(
        &self,
        forces: &[String],
        value: &mut async_graphql::Value,
    ) -> ApiResult<()> {
        let set = self.names(forces).await?;
        if !set.0.is_empty() {
            redact_value(value, &set);
        }
        Ok(())
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || ('\u{064B}'..='\u{065F}').contains(&c) || c == '\u{0670}'
}

fn is_protected_word(word: &str, set: &(HashSet<String>, HashSet<String>)) -> bool {
    if names::folded_words(word).iter().any(|w| set.0.contains(w)) {
        return true;
    }
    // Across scripts (عائشة ↔ Aisha): compare transliteration keys of Arabic words.
    word.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
        && names::name_keys(word).iter().any(|k| set.1.contains(k))
}

/// `text` with each protected word replaced by [`REDACTED`].
pub fn redact_text(text: &str, set: &(HashSet<String>, HashSet<String>)) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut word_start: Option<usize> = None;
    let mut flush = |out: &mut String, word: &str| {
        if is_protected_word(word, set) {
            out.push_str(REDACTED);
            changed = true;
        } else {
            out.push_str(word);
        }
    };
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            word_start.get_or_insert(i);
        } else {
            if let Some(start) = word_start.take() {
                flush(&mut out, &text[start..i]);
            }
            out.push(c);
        }
    }
    if let Some(start) = word_start {
        flush(&mut out, &text[start..]);
    }
    changed.then_some(out)
}

fn redact_value(value: &mut async_graphql::Value, set: &(HashSet<String>, HashSet<String>)) {
    use async_graphql::Value;
    match value {
        Value::String(s) => {
            if let Some(r) = redact_text(s, set) {
                *s = r;
            }
        }
        Value::List(items) => items.iter_mut().for_each(|v| redact_value(v, set)),
        Value::Object(map) => map.values_mut().for_each(|v| redact_value(v, set)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names_: &[&str]) -> (HashSet<String>, HashSet<String>) {
        let mut words = HashSet::new();
        let mut keys = HashSet::new();
        for n in names_ {
            words.extend(names::folded_words(n));
            keys.extend(names::name_keys(n));
        }
        (words, keys)
    }

    #[test]
    fn names_are_redacted_in_both_scripts_and_inside_highlights() {
        let s = set(&["Aisha Rahman"]);
        assert_eq!(
            redact_text("Met <b>Aisha</b> RAHMAN at 9", &s).unwrap(),
            "Met <b>[REDACTED]</b> [REDACTED] at 9"
        );
        assert_eq!(
            redact_text("قابلت عائشة اليوم", &s).unwrap(),
            "قابلت [REDACTED] اليوم"
        );
        assert!(redact_text("nothing to hide here", &s).is_none());
    }
}
