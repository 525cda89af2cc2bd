//! Redaction of protected persons (victims with a right to anonymity, children) for
//! callers without the right, by entity rather than by word: the person's own fields,
//! their names wherever written (any spelling or script), and the identifiers linked to
//! them become a stable pseudonym; a person who merely shares a word of the name is
//! untouched. Queries that name a protected identifier are answered as if it were unknown.

mod matcher;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::{Context, Value};
use toex_access::Pseudonyms;
use toex_graph::GraphClient;

pub use matcher::Protected;

use crate::error::ApiResult;

/// How long a force set's protected persons are reused before they are read again.
const TTL: Duration = Duration::from_secs(30);

/// The code a response carries (in `extensions.redaction`) when something was redacted.
pub const REDACTION_CODE: &str = "PROTECTED_PERSON";

/// Fields of a person-shaped object that carry the person's name.
const NAME_FIELDS: [&str; 3] = ["name", "caption", "aliases"];

/// Redacts responses for callers without the right to see protected persons.
pub struct Redactor {
    graph: GraphClient,
    pseudonyms: Pseudonyms,
    cache: Mutex<HashMap<Vec<String>, Cached>>,
}

/// A force set's protected persons and when they were read.
type Cached = (Instant, Arc<Protected>);

impl Redactor {
    pub fn new(graph: GraphClient, pseudonyms: Pseudonyms) -> Self {
        Self {
            graph,
            pseudonyms,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The protected persons of `forces`. When Neo4j cannot be asked, the last known set
    /// is used; with none, this fails (closed).
    pub async fn protected(&self, forces: &[String]) -> ApiResult<Arc<Protected>> {
        let mut key = forces.to_vec();
        key.sort();
        let cached = self.cache.lock().expect("redactor lock").get(&key).cloned();
        if let Some((at, set)) = &cached
            && at.elapsed() < TTL
        {
            return Ok(set.clone());
        }
        match self.load(&key).await {
            Ok(set) => {
                self.cache
                    .lock()
                    .expect("redactor lock")
                    .insert(key, (Instant::now(), set.clone()));
                Ok(set)
            }
            Err(err) => match cached {
                Some((_, set)) => Ok(set),
                None => Err(err),
            },
        }
    }

    async fn load(&self, forces: &[String]) -> ApiResult<Arc<Protected>> {
        let persons = self.graph.protected_persons(forces).await?;
        if persons.is_empty() {
            return Ok(Arc::new(Protected::default()));
        }
        let mut names: Vec<String> = persons.iter().flat_map(|p| p.names.clone()).collect();
        names.sort();
        names.dedup();
        let exempt: HashSet<String> = self
            .graph
            .persons_named(forces, &names)
            .await?
            .into_iter()
            .collect();
        Ok(Arc::new(Protected::new(&persons, &self.pseudonyms, exempt)))
    }

    /// Redacts every string in `value` for a caller of `forces`, except the `echoes` of
    /// what the caller sent (see [`echo`]); how many names and identifiers it replaced.
    pub async fn redact(
        &self,
        forces: &[String],
        value: &mut Value,
        echoes: &[String],
    ) -> ApiResult<usize> {
        let set = self.protected(forces).await?;
        Ok(if set.is_empty() {
            0
        } else {
            redact_value(value, &set, echoes)
        })
    }
}

/// The values a request's resolvers echo back as the caller sent them (in the request's
/// data, put there by the guard).
#[derive(Clone, Default)]
pub struct Echoes(pub Arc<Mutex<Vec<String>>>);

impl Echoes {
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().expect("echoes lock"))
    }
}

/// Marks `value` as the caller's own words echoed back: it is not redacted, so a query
/// naming a protected identifier reads exactly as one naming an unknown one would.
pub(crate) fn echo(ctx: &Context<'_>, value: &str) {
    if let Some(e) = ctx.data_opt::<Echoes>() {
        e.0.lock().expect("echoes lock").push(value.to_owned());
    }
}

/// The protected persons hidden from the caller, or `None` when the caller may see them.
/// Resolvers that look a name or identifier up use it to answer as if it were unknown.
pub(crate) async fn hidden_from(ctx: &Context<'_>) -> ApiResult<Option<Arc<Protected>>> {
    let principal = crate::access::caller(ctx)?;
    if principal.sees_protected() {
        return Ok(None);
    }
    let redactor = ctx.data_unchecked::<Arc<Redactor>>();
    Ok(Some(redactor.protected(&principal.forces).await?))
}

/// Whether `key` (`Phone:+44…`) is a protected person's identifier the caller may not
/// look up: such a look-up answers as one of an unknown node does.
pub(crate) async fn is_hidden_node(ctx: &Context<'_>, key: &str) -> ApiResult<bool> {
    Ok(hidden_from(ctx)
        .await?
        .is_some_and(|p| p.is_protected_node(key)))
}

/// Node keys as the caller was shown them, each redacted one replaced by the keys it
/// stands for (a caller who may see protected persons is shown real keys only).
pub(crate) async fn unredacted_keys(
    ctx: &Context<'_>,
    keys: Vec<String>,
) -> ApiResult<Vec<String>> {
    let Some(hidden) = hidden_from(ctx).await? else {
        return Ok(keys);
    };
    Ok(keys
        .into_iter()
        .flat_map(|k| {
            let real = hidden.keys_shown_as(&k);
            if real.is_empty() { vec![k] } else { real }
        })
        .collect())
}

/// Redacts `value` in place, leaving strings equal to one of `echoes`; the number of
/// replacements.
pub fn redact_value(value: &mut Value, set: &Protected, echoes: &[String]) -> usize {
    redact_in(value, set, echoes, &mut HashSet::new())
}

/// Strings up to this length found clean are remembered for the rest of a response: a
/// map's or a table's repeated values (kinds, classes, labels) are checked once.
const REMEMBERED_CLEAN: usize = 64;

fn redact_in(
    value: &mut Value,
    set: &Protected,
    echoes: &[String],
    clean: &mut HashSet<String>,
) -> usize {
    match value {
        Value::String(s) if echoes.contains(s) || clean.contains(s.as_str()) => 0,
        Value::String(s) => match set.redact(s) {
            Some((r, n)) => {
                *s = r;
                n
            }
            None => {
                if s.len() <= REMEMBERED_CLEAN {
                    clean.insert(s.clone());
                }
                0
            }
        },
        Value::List(items) => items
            .iter_mut()
            .map(|v| redact_in(v, set, echoes, clean))
            .sum(),
        Value::Object(map) => {
            let identity = ["id", "key"].iter().find_map(|f| match map.get(*f) {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            });
            let mut count = 0;
            if let Some(label) = identity.as_deref().and_then(|k| set.label_of_key(k)) {
                // The protected person (or a node linked to them) itself: its name
                // fields become the pseudonym whatever they hold.
                for field in NAME_FIELDS {
                    if let Some(v) = map.get_mut(field) {
                        count += replace_all(v, &label);
                    }
                }
            }
            let exempt = identity.as_deref().is_some_and(|k| set.is_exempt(k));
            for (name, v) in map.iter_mut() {
                if exempt && NAME_FIELDS.contains(&name.as_str()) {
                    continue;
                }
                count += redact_in(v, set, echoes, clean);
            }
            count
        }
        _ => 0,
    }
}

fn replace_all(value: &mut Value, label: &str) -> usize {
    match value {
        Value::String(s) if s != label => {
            *s = label.to_owned();
            1
        }
        Value::List(items) => items.iter_mut().map(|v| replace_all(v, label)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
