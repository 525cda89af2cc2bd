//! The Mutation root.

use async_graphql::{Context, Object};
use toex_indexer::NewDocument;

use crate::Services;
use crate::error::{ApiError, ApiResult};
use crate::types::{IngestResult, IngestTextInput};

/// Every mutation: ingest and corrections here, the analyst's standing orders in
/// [`crate::workspace`].
#[derive(async_graphql::MergedObject, Default)]
pub struct MutationRoot(
    CoreMutation,
    crate::workspace::WorkspaceMutation,
    crate::notes::NotesMutation,
    crate::review::ReviewMutation,
    crate::charts::ChartsMutation,
    crate::cases::CasesMutation,
);

#[derive(Default)]
pub struct CoreMutation;

#[Object]
impl CoreMutation {
    /// Uploads files (multipart, GraphQL multipart request spec) as one ingest job. The
    /// files are stored durably before this returns: from then on the job runs to the
    /// end, across restarts. Follow it with the `ingestJob` subscription or query.
    async fn ingest_files(
        &self,
        ctx: &Context<'_>,
        files: Vec<async_graphql::Upload>,
        force: String,
        operation: Option<String>,
        language: Option<String>,
    ) -> ApiResult<crate::jobs::IngestJob> {
        use toex_indexer::jobs::{FileStatus, Job, JobFile, write_durably};
        let services = ctx.data_unchecked::<Services>();
        if files.is_empty() {
            return Err(ApiError::bad_input("no files were uploaded"));
        }
        if files.len() > crate::jobs::MAX_UPLOAD_FILES {
            return Err(ApiError::bad_input(format!(
                "at most {} files per upload",
                crate::jobs::MAX_UPLOAD_FILES
            )));
        }
        let (force, operation) = crate::access::write_target(ctx, &force, operation.as_deref())?;
        let mut uploads = Vec::with_capacity(files.len());
        for upload in &files {
            let value = upload
                .value(ctx)
                .map_err(|e| ApiError::bad_input(format!("an upload cannot be read: {e}")))?;
            uploads.push((value.filename, value.content));
        }
        let mut job = Job::new(force, operation, language, Vec::new());
        let spool = services.jobs.store().spool(&job.id)?;
        let spooled = tokio::task::spawn_blocking(move || {
            uploads
                .into_iter()
                .enumerate()
                .map(|(i, (name, content))| {
                    let path = spool.join(crate::jobs::spool_name(i, &name));
                    let bytes = write_durably(&path, &content[..])?;
                    Ok(JobFile {
                        name,
                        path,
                        bytes,
                        document_id: None,
                        within: None,
                        status: FileStatus::Waiting,
                    })
                })
                .collect::<Result<Vec<_>, toex_indexer::IndexError>>()
        })
        .await
        .map_err(|e| ApiError::new(crate::error::ErrorCode::Internal, e.to_string()))??;
        job.files = spooled;
        services.jobs.submit(&job).await?;
        Ok(crate::jobs::IngestJob::from(&job))
    }

    /// Translates stored documents of `force` with the configured models, as a job:
    /// those not in English and without a translation yet (all of them with
    /// `retranslate`), narrowed by operation, language or ids. Follow it with the
    /// `ingestJob` subscription or query: its files are the documents, and `current`
    /// counts the sentences of the one being translated. A document in a language with no
    /// model waits as pending, untranslated and still searchable; an analyst's corrected
    /// translation is kept.
    async fn translate_documents(
        &self,
        ctx: &Context<'_>,
        force: String,
        operation: Option<String>,
        language: Option<String>,
        document_ids: Option<Vec<String>>,
        #[graphql(default = false)] retranslate: bool,
    ) -> ApiResult<crate::jobs::IngestJob> {
        use toex_pipeline::jobs::MAX_TRANSLATION_JOB_DOCUMENTS;
        let services = ctx.data_unchecked::<Services>();
        let (force, operation) = crate::access::write_target(ctx, &force, operation.as_deref())?;
        let language = language.map(|l| l.trim().to_ascii_lowercase());
        if let Some(l) = &language {
            if !(l.len() == 2 && l.chars().all(|c| c.is_ascii_alphabetic())) {
                return Err(ApiError::bad_input(
                    "`language` is a two-letter ISO 639-1 code, e.g. \"ar\"",
                ));
            }
            if l == "en" {
                return Err(ApiError::bad_input("English documents need no translation"));
            }
        }
        let ids = document_ids.unwrap_or_default();
        if ids.len() > MAX_TRANSLATION_JOB_DOCUMENTS {
            return Err(ApiError::bad_input(format!(
                "at most {MAX_TRANSLATION_JOB_DOCUMENTS} document ids per job"
            )));
        }
        if !services.translates().await? {
            return Err(ApiError::new(
                crate::error::ErrorCode::ModelUnavailable,
                "no translation model is installed: install an NLLB-200 folder (`toex models \
                 install`, or translation.nllb) or set translation.models.<language> to an \
                 OPUS-MT folder (see the README's Translation section); with NATS, a \
                 `toex worker --tasks translate` may translate instead",
            ));
        }
        let selection = toex_indexer::TranslationSelection {
            force: force.clone(),
            operation: operation.clone(),
            language,
            ids,
            retranslate,
        };
        let index = services.index.clone();
        let found = services
            .cpu
            .run(move || {
                index.translation_candidates(&selection, MAX_TRANSLATION_JOB_DOCUMENTS + 1)
            })
            .await??;
        if found.is_empty() {
            return Err(ApiError::new(
                crate::error::ErrorCode::NotFound,
                "nothing to translate: no document in that selection is outside English and \
                 without a translation (set `retranslate` to translate again)",
            ));
        }
        if found.len() > MAX_TRANSLATION_JOB_DOCUMENTS {
            return Err(ApiError::bad_input(format!(
                "more than {MAX_TRANSLATION_JOB_DOCUMENTS} documents match: narrow the job by \
                 operation or language"
            )));
        }
        let job = toex_indexer::jobs::Job::translate(
            force,
            operation,
            found
                .into_iter()
                .map(|c| (c.id, c.title, c.bytes))
                .collect(),
        );
        services.jobs.submit(&job).await?;
        Ok(crate::jobs::IngestJob::from(&job))
    }

    /// Keeps your corrected translation of a document beside the machine one (which is
    /// never overwritten), with your user id and the time; search then finds the
    /// corrected words and says which translation matched.
    async fn correct_translation(
        &self,
        ctx: &Context<'_>,
        document_id: String,
        text: String,
    ) -> ApiResult<crate::types::Document> {
        let services = ctx.data_unchecked::<Services>();
        let caller = crate::access::caller(ctx)?;
        let scope = crate::access::scope(ctx)?;
        let stored = services
            .correct_translation(document_id.clone(), scope, text, caller.user.clone())
            .await?;
        stored.map(crate::types::Document::from).ok_or_else(|| {
            ApiError::new(
                crate::error::ErrorCode::NotFound,
                format!("no document `{document_id}`"),
            )
        })
    }

    /// Indexes one text item and records its node in the graph. Idempotent: the same
    /// content for the same force and operation yields the same id and no duplicate.
    async fn ingest_text(
        &self,
        ctx: &Context<'_>,
        input: IngestTextInput,
    ) -> ApiResult<IngestResult> {
        let services = ctx.data_unchecked::<Services>();
        // Stored as checked: `wyp` would pass the check and be seen by no one.
        let (force, operation) =
            crate::access::write_target(ctx, &input.force, input.operation.as_deref())?;
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
            force,
            operation,
            source_type: input.source_type,
            segments: Vec::new(),
            mentions: Vec::new(),
            translation_meta: input.translation_engine.map(|engine| {
                toex_indexer::TranslationMeta {
                    engine,
                    model: input.translation_model,
                    version: input.translation_version,
                    translated_at: input.translated_at,
                    lines: Vec::new(),
                }
            }),
            correction: None,
            provenance: None,
        };
        let done = services.ingest(doc).await?;
        Ok(IngestResult {
            id: done.id,
            graph_linked: done.graph_linked,
        })
    }
}
