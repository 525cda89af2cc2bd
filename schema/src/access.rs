//! The caller in the GraphQL context: who they are ([`Principal`], put there by the
//! server after authentication), why they ask ([`Purpose`]), and the compartment helpers
//! every resolver uses so that each query is filtered by the caller's forces inside it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::Context;
use toex_access::Principal;
use toex_graph::{GraphClient, Scope, names};

use crate::error::{ApiError, ApiResult, ErrorCode};

/// The stated lawful purpose of a request (an operation reference), from the
/// `X-Toex-Purpose` header or the WebSocket connection payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose(pub String);

/// What keeps a long-lived session (a WebSocket) honest after its handshake: checked
/// before each operation it starts and each event it sends. The server provides it; an
/// HTTP request is checked by the server once, before it reaches the schema.
pub trait SessionCheck: Send + Sync {
    /// Before an operation: the credentials still hold and the caller's rate allows it.
    fn start_operation(&self) -> ApiResult<()>;
    /// Before an event: the credentials still hold (not revoked, expired or disabled).
    fn still_valid(&self) -> ApiResult<()>;
}

/// A session's check, in the connection's data.
#[derive(Clone)]
pub struct Session(pub Arc<dyn SessionCheck>);

/// The authenticated caller, or `UNAUTHENTICATED`.
pub fn caller<'a>(ctx: &Context<'a>) -> ApiResult<&'a Principal> {
    ctx.data_opt::<Principal>().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthenticated,
            "authentication required: send `Authorization: Bearer <token>`",
        )
    })
}

/// The caller's compartment for this request: built from the principal, never wider.
/// Every engine call that reads or writes case data takes it.
pub fn scope(ctx: &Context<'_>) -> ApiResult<Scope> {
    Ok(caller(ctx)?.scope()?)
}

/// The caller's compartment narrowed to the `forces` and `operations` a request names
/// (FORBIDDEN for any the caller does not hold).
pub fn scope_for(ctx: &Context<'_>, forces: &[String], operations: &[String]) -> ApiResult<Scope> {
    Ok(scope(ctx)?
        .narrow_forces(forces)?
        .narrow_operations(operations)?)
}

/// Where a write goes: a force code the caller holds (normalised as stored) and an
/// operation within their compartments. A caller confined to operations must name one:
/// material in no operation would lie outside their own compartment.
pub fn write_target(
    ctx: &Context<'_>,
    force: &str,
    operation: Option<&str>,
) -> ApiResult<(String, Option<String>)> {
    let code = toex_scope::normalise_force(force)?;
    let operation = operation.map(str::trim).filter(|o| !o.is_empty());
    let scope = scope_for(ctx, std::slice::from_ref(&code), &[])?;
    if let Some(op) = operation {
        scope.narrow_operations(&[op.to_owned()])?;
    } else if scope.operations().is_some() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "you work in named operations: say which one this belongs to",
        ));
    }
    Ok((code, operation.map(str::to_owned)))
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
