//! The Mutation root.

use async_graphql::{Context, Object};
use toex_indexer::NewDocument;

use crate::Services;
use crate::error::{ApiError, ApiResult};
use crate::types::{IngestResult, IngestTextInput};

pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Indexes one text item and records its node in the graph. Idempotent: the same
    /// content for the same force and operation yields the same id and no duplicate.
    async fn ingest_text(
        &self,
        ctx: &Context<'_>,
        input: IngestTextInput,
    ) -> ApiResult<IngestResult> {
        let services = ctx.data_unchecked::<Services>();
        if input.title.chars().count() > 1_000 {
            return Err(ApiError::bad_input(
                "`title` is longer than 1000 characters",
            ));
        }
        let doc = NewDocument {
            title: input.title,
            text: input.text,
            language: input.language,
            translation: input.translation,
            force: input.force,
            operation: input.operation,
            source_type: input.source_type,
            segments: Vec::new(),
        };
        let done = services.ingest(doc).await?;
        Ok(IngestResult {
            id: done.id,
            graph_linked: done.graph_linked,
        })
    }
}
