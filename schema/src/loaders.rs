//! DataLoaders: nested fields that would ask Neo4j once per parent (a person per
//! profile row, a graph node per search hit) are batched into one query per request tick.
//! Keys carry the caller's scope, so each batch is filtered inside its query.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use toex_graph::{GraphClient, Scope};

use crate::error::ApiError;
use crate::types::Person;

/// An id looked up within a caller's scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scoped {
    pub scope: Arc<Scope>,
    pub id: String,
}

impl Scoped {
    pub fn new(scope: &Scope, id: impl Into<String>) -> Self {
        Self {
            scope: Arc::new(scope.clone()),
            id: id.into(),
        }
    }
}

/// Groups keys by scope (in practice one per request).
pub(crate) fn by_scope(keys: &[Scoped]) -> HashMap<Arc<Scope>, Vec<String>> {
    let mut groups: HashMap<Arc<Scope>, Vec<String>> = HashMap::new();
    for k in keys {
        groups
            .entry(k.scope.clone())
            .or_default()
            .push(k.id.clone());
    }
    groups
}

/// Puts the `rows` one scope's query found into `out`, each under that scope and the id
/// `row` gives it.
fn insert_rows<T, V>(
    out: &mut HashMap<Scoped, V>,
    scope: &Arc<Scope>,
    rows: Vec<T>,
    row: impl Fn(T) -> (String, V),
) {
    for found in rows {
        let (id, value) = row(found);
        let scope = scope.clone();
        out.insert(Scoped { scope, id }, value);
    }
}

/// Persons by id, through `GraphClient::persons_by_ids`.
pub struct PersonLoader(pub GraphClient);

impl Loader<Scoped> for PersonLoader {
    type Value = Person;
    type Error = ApiError;

    async fn load(&self, keys: &[Scoped]) -> Result<HashMap<Scoped, Person>, ApiError> {
        let mut out = HashMap::new();
        for (scope, ids) in by_scope(keys) {
            let rows = self.0.persons_by_ids(&scope, &ids).await?;
            insert_rows(&mut out, &scope, rows, |p| (p.id.clone(), Person::from(p)));
        }
        Ok(out)
    }
}

/// What forces record about persons beyond their names, through
/// `GraphClient::person_details_by_ids`.
pub struct PersonDetailsLoader(pub GraphClient);

impl Loader<Scoped> for PersonDetailsLoader {
    type Value = toex_graph::PersonDetails;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[Scoped],
    ) -> Result<HashMap<Scoped, toex_graph::PersonDetails>, ApiError> {
        let mut out = HashMap::new();
        for (scope, ids) in by_scope(keys) {
            let rows = self.0.person_details_by_ids(&scope, &ids).await?;
            insert_rows(&mut out, &scope, rows, |d| (d.id.clone(), d));
        }
        Ok(out)
    }
}

/// Whether documents have their graph node, through `GraphClient::document_nodes`.
pub struct DocumentNodeLoader(pub GraphClient);

impl Loader<Scoped> for DocumentNodeLoader {
    type Value = bool;
    type Error = ApiError;

    async fn load(&self, keys: &[Scoped]) -> Result<HashMap<Scoped, bool>, ApiError> {
        let mut out = HashMap::new();
        for (scope, ids) in by_scope(keys) {
            let rows = self.0.document_nodes(&scope, &ids).await?;
            insert_rows(&mut out, &scope, rows, |d| (d.id, true));
        }
        Ok(out)
    }
}

/// The loaders a schema carries.
pub(crate) fn loaders(
    graph: &GraphClient,
) -> (DataLoader<PersonLoader>, DataLoader<DocumentNodeLoader>) {
    (
        DataLoader::new(PersonLoader(graph.clone()), tokio::spawn),
        DataLoader::new(DocumentNodeLoader(graph.clone()), tokio::spawn),
    )
}
