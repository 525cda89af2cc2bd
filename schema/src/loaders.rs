//! DataLoaders: nested fields that would ask Neo4j once per parent (a person per
//! profile row, a graph node per search hit) are batched into one query per request tick.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use toex_graph::GraphClient;

use crate::error::ApiError;
use crate::types::Person;

/// Persons by id, through `GraphClient::persons_by_ids`.
pub struct PersonLoader(pub GraphClient);

impl Loader<String> for PersonLoader {
    type Value = Person;
    type Error = ApiError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Person>, ApiError> {
        Ok(self
            .0
            .persons_by_ids(ids)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), Person::from(p)))
            .collect())
    }
}

/// Whether documents have their graph node, through `GraphClient::document_nodes`.
pub struct DocumentNodeLoader(pub GraphClient);

impl Loader<String> for DocumentNodeLoader {
    type Value = bool;
    type Error = ApiError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, bool>, ApiError> {
        Ok(self
            .0
            .document_nodes(ids)
            .await?
            .into_iter()
            .map(|d| (d.id, true))
            .collect())
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
