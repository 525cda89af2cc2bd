//! `case(operation)`: an operation as its team works on it — its material and people
//! counted, and everything the team keeps for it: saved searches, watches, notes,
//! bookmarks, link charts and decisions on cross-case matches, with who has worked on it.

use async_graphql::{ComplexObject, Context, Object, SimpleObject};
use toex_graph::{AnnotationFilter, CaseRow, CaseStandingOrder};
use toex_pipeline::Services;

use crate::charts::SavedChart;
use crate::error::{ApiError, ApiResult};
use crate::notes::Annotation;
use crate::review::CrossLinkDecision;

/// A saved search (name and query) or a watch (label and key) kept for a case.
#[derive(SimpleObject)]
pub struct CaseOrder {
    pub id: String,
    pub owner: String,
    pub name: String,
    pub text: String,
    pub created_at: String,
}

/// An operation as a case.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Case {
    pub operation: String,
    pub force: String,
    /// Documents, persons, incidents and missing episodes in it, within the caller's
    /// forces.
    pub documents: i64,
    pub persons: i64,
    pub incidents: i64,
    pub missing_episodes: i64,
    pub saved_searches: Vec<CaseOrder>,
    pub watches: Vec<CaseOrder>,
}

fn order(o: CaseStandingOrder) -> CaseOrder {
    CaseOrder {
        id: o.id,
        owner: o.owner,
        name: o.name,
        text: o.text,
        created_at: o.created_at,
    }
}

impl From<CaseRow> for Case {
    fn from(r: CaseRow) -> Self {
        Self {
            operation: r.operation,
            force: r.force,
            documents: r.documents,
            persons: r.persons,
            incidents: r.incidents,
            missing_episodes: r.missing_episodes,
            saved_searches: r.saved_searches.into_iter().map(order).collect(),
            watches: r.watches.into_iter().map(order).collect(),
        }
    }
}

impl Case {
    async fn kept_charts(&self, ctx: &Context<'_>) -> ApiResult<Vec<SavedChart>> {
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let rows = services
            .graph
            .charts(&scope, Some(&self.operation), 100)
            .await?;
        Ok(rows.into_iter().map(SavedChart::from).collect())
    }

    async fn kept_decisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<CrossLinkDecision>> {
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let rows = services
            .graph
            .cross_link_decisions(&scope, &self.operation, None, 100)
            .await?;
        Ok(rows.into_iter().map(CrossLinkDecision::from).collect())
    }

    /// The case's annotations of `kind`, newest first.
    async fn kept(&self, ctx: &Context<'_>, kind: &str, first: i32) -> ApiResult<Vec<Annotation>> {
        let limit = crate::query::page_size(Some(first))?;
        let user = crate::access::caller(ctx)?.user.clone();
        let scope = crate::access::scope(ctx)?;
        let filter = AnnotationFilter {
            kind: Some(kind.to_owned()),
            case: Some(self.operation.clone()),
            limit: limit as i64,
            ..AnnotationFilter::default()
        };
        let services = ctx.data_unchecked::<Services>();
        let rows = services.graph.annotations(&scope, &filter).await?;
        Ok(rows
            .into_iter()
            .map(|a| Annotation::read_by(a, &user))
            .collect())
    }
}

#[ComplexObject]
impl Case {
    /// The team's notes kept for the case, newest first.
    async fn notes(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
    ) -> ApiResult<Vec<Annotation>> {
        self.kept(ctx, "NOTE", first).await
    }

    /// What the team bookmarked for the case, newest first.
    async fn bookmarks(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
    ) -> ApiResult<Vec<Annotation>> {
        self.kept(ctx, "BOOKMARK", first).await
    }

    /// The link charts kept with the case, most recently changed first.
    async fn charts(&self, ctx: &Context<'_>) -> ApiResult<Vec<SavedChart>> {
        self.kept_charts(ctx).await
    }

    /// Decisions taken on the case's cross-case matches, newest first.
    async fn decisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<CrossLinkDecision>> {
        self.kept_decisions(ctx).await
    }

    /// Everyone who has kept something for the case (a search, watch, note, bookmark,
    /// chart or decision), by name.
    async fn team(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        let mut team: Vec<String> = self
            .saved_searches
            .iter()
            .chain(&self.watches)
            .map(|o| o.owner.clone())
            .collect();
        for kind in ["NOTE", "BOOKMARK", "TAG"] {
            team.extend(
                self.kept(ctx, kind, 100)
                    .await?
                    .into_iter()
                    .map(|a| a.author),
            );
        }
        for chart in self.kept_charts(ctx).await? {
            team.push(chart.owner);
            team.push(chart.updated_by);
        }
        team.extend(
            self.kept_decisions(ctx)
                .await?
                .into_iter()
                .map(|d| d.decided_by),
        );
        team.sort();
        team.dedup();
        Ok(team)
    }
}

/// A case export ready to download.
#[derive(SimpleObject)]
pub struct CaseExport {
    /// Where to fetch the ZIP (valid for an hour, for whoever holds the link).
    pub url: String,
    pub expires_at: String,
    pub bytes: i64,
    /// The bundle's manifest (counts, checksums, marking) as written into it.
    pub manifest: async_graphql::Json<toex_pipeline::cases::CaseManifest>,
}

/// How long an export's download link stays valid.
const EXPORT_URL_SECONDS: i64 = 3600;

#[derive(Default)]
pub struct CasesMutation;

#[Object]
impl CasesMutation {
    /// Writes the case as a ZIP bundle — persons, identifiers, incidents and missing
    /// episodes as CSV in the import formats, its documents, the team's notes, tags,
    /// bookmarks and charts, its graph as CSV and GraphML, a manifest with counts and
    /// checksums, and the protective marking — of what the caller may see, and returns a
    /// link to download it. `toex case import` reads it back.
    ///
    /// Supervisors only: the bundle leaves toex's redaction behind (protected persons are
    /// in it unredacted), so taking a whole case out is a supervisor's act, audited.
    async fn export_case(&self, ctx: &Context<'_>, operation: String) -> ApiResult<CaseExport> {
        let caller = crate::access::caller(ctx)?;
        caller.require(toex_access::Role::Supervisor)?;
        let operation = held(ctx, &operation)?;
        let user = caller.user.clone();
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let marking = ctx.data_opt::<crate::health::Marking>().map_or_else(
            || crate::health::DEFAULT_MARKING.to_owned(),
            |m| m.0.clone(),
        );
        let store = services.jobs.store().media();
        let id = format!("case-{}", uuid::Uuid::new_v4().simple());
        let path = store
            .export_path(&id)
            .map_err(|e| ApiError::from(toex_pipeline::PipelineError::from(e)))?;
        let file = std::fs::File::create(&path).map_err(|e| {
            ApiError::from(toex_pipeline::PipelineError::Bundle(format!(
                "{}: {e}",
                path.display()
            )))
        })?;
        let manifest = match services
            .export_case(&scope, &operation, &user, &marking, file)
            .await
        {
            Ok(m) => m,
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                return Err(e.into());
            }
        };
        let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
        let expires = chrono::Utc::now().timestamp() + EXPORT_URL_SECONDS;
        let signature = store.sign(&toex_indexer::media::MediaStore::export_key(&id), expires);
        Ok(CaseExport {
            url: format!("/exports/{id}?expires={expires}&signature={signature}"),
            expires_at: chrono::DateTime::from_timestamp(expires, 0)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            bytes: i64::try_from(bytes).unwrap_or(i64::MAX),
            manifest: async_graphql::Json(manifest),
        })
    }
}

/// The operation as given, which the caller must hold.
fn held(ctx: &Context<'_>, operation: &str) -> ApiResult<String> {
    let operation = operation.trim();
    if operation.is_empty() || operation.chars().count() > 200 {
        return Err(ApiError::bad_input("`operation` must be 1–200 characters"));
    }
    crate::access::scope(ctx)?.narrow_operations(&[operation.to_owned()])?;
    Ok(operation.to_owned())
}

#[derive(Default)]
pub struct CasesQuery;

#[Object]
impl CasesQuery {
    /// An operation as a case, with everything its team keeps for it; null when there
    /// is no such operation in the caller's forces.
    async fn case(&self, ctx: &Context<'_>, operation: String) -> ApiResult<Option<Case>> {
        let operation = held(ctx, &operation)?;
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        Ok(services
            .graph
            .case(&scope, &operation)
            .await?
            .map(Case::from))
    }
}
