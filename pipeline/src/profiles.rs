//! Threat profiles as a use case: the records from Neo4j, then the pure scoring on the
//! CPU pool (never on a tokio worker).

use chrono::{DateTime, Utc};
use toex_analytics::profiles::{self, ProfileConfig, ThreatKind, ThreatProfile};
use toex_cpu::CpuPool;
use toex_graph::{GraphClient, Scope};

use crate::PipelineError;

/// Profile `kind` within `scope` as of `as_of` under `config`: one query, then the scoring.
pub async fn threat_profile(
    graph: &GraphClient,
    cpu: &CpuPool,
    kind: ThreatKind,
    scope: &Scope,
    as_of: DateTime<Utc>,
    config: &std::sync::Arc<ProfileConfig>,
) -> Result<ThreatProfile, PipelineError> {
    let window = profiles::window(kind, as_of, config);
    let records = graph.profile_records(&window, scope).await?;
    let config = config.clone();
    Ok(cpu
        .run(move || profiles::score(&window, &records, &config))
        .await?)
}
