//! The Subscription root.

use std::time::Duration;

use async_graphql::{Context, Subscription};
use futures::Stream;

use crate::error::ApiError;
use crate::{Health, Services};

pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
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
                yield services.health();
                tokio::time::sleep(every).await;
            }
        })
    }
}
