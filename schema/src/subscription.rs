//! The Subscription root.

use std::time::Duration;

use async_graphql::{Context, Subscription};
use futures::Stream;

use crate::error::ApiError;
use crate::{Health, Services};

pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// An ingest job now, then at every step until it is done (from any replica: one
    /// that does not run the job relays what the running one shares).
    async fn ingest_job(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<impl Stream<Item = crate::jobs::IngestJob>> {
        let services = ctx.data_unchecked::<Services>().clone();
        let scope = crate::access::scope(ctx)?;
        // A job another replica runs is followed through what it shares.
        let mut rx = services
            .jobs
            .follow(&id)
            .await
            .map_err(ApiError::from)?
            .filter(|rx| {
                let job = rx.borrow();
                scope.contains(&job.force, job.operation.as_deref())
            })
            .ok_or_else(|| {
                ApiError::new(
                    crate::error::ErrorCode::NotFound,
                    format!("no ingest job `{id}`"),
                )
            })?;
        Ok(async_stream::stream! {
            let first = rx.borrow_and_update().clone();
            let mut finished = first.state == toex_indexer::jobs::JobState::Done;
            yield crate::jobs::IngestJob::from(&first);
            while !finished && rx.changed().await.is_ok() {
                let job = rx.borrow_and_update().clone();
                finished = job.state == toex_indexer::jobs::JobState::Done;
                yield crate::jobs::IngestJob::from(&job);
            }
        })
    }

    /// The caller's alerts as new material raises them (saved searches and watches),
    /// within their present forces and operations.
    async fn alerts(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = crate::workspace::Alert>> {
        Ok(crate::workspace::alert_stream(ctx).await?)
    }

    /// Health, now and then every `everySeconds` seconds (1 to 3600).
    async fn health(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5)] every_seconds: i32,
    ) -> async_graphql::Result<impl Stream<Item = Health>> {
        if !(1..=3600).contains(&every_seconds) {
            return Err(ApiError::bad_input("`everySeconds` must be from 1 to 3600").into());
        }
        let services = ctx.data_unchecked::<Services>().clone();
        let every = Duration::from_secs(every_seconds as u64);
        Ok(async_stream::stream! {
            loop {
                yield crate::health::health(&services);
                tokio::time::sleep(every).await;
            }
        })
    }
}
