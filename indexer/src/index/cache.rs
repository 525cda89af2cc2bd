//! Recent search results, keyed by the whole request (the caller's scope included, so no
//! answer crosses compartments) and dropped at every commit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::results::SearchResults;

/// Requests remembered; past it the least recently used is dropped.
const CAPACITY: usize = 512;

/// Results of recent searches, valid for one state of the index.
pub(super) struct ResultCache {
    /// Moves on at every commit; an entry made under an earlier epoch is never served.
    epoch: AtomicU64,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    /// The epoch the entries were made under.
    epoch: u64,
    /// A counter of look-ups, for least-recently-used eviction.
    clock: u64,
    map: HashMap<String, Entry>,
}

struct Entry {
    used: u64,
    results: Arc<SearchResults>,
}

impl ResultCache {
    pub(super) fn new() -> Self {
        Self {
            epoch: AtomicU64::new(0),
            entries: Mutex::new(Entries::default()),
        }
    }

    /// The index's state as a search starts; its results are kept under it.
    pub(super) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Everything remembered is stale: called once a commit is visible to searches.
    pub(super) fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// The results remembered for `key`, when made under the present epoch.
    pub(super) fn get(&self, key: &str) -> Option<Arc<SearchResults>> {
        let epoch = self.epoch();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.epoch != epoch {
            entries.map.clear();
            entries.epoch = epoch;
            return None;
        }
        entries.clock += 1;
        let clock = entries.clock;
        let entry = entries.map.get_mut(key)?;
        entry.used = clock;
        Some(Arc::clone(&entry.results))
    }

    /// Remembers `results` for `key`, unless the index moved on since `epoch`, when the
    /// search that made them began.
    pub(super) fn put(&self, key: String, epoch: u64, results: Arc<SearchResults>) {
        if epoch != self.epoch() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.epoch != epoch {
            entries.map.clear();
            entries.epoch = epoch;
        }
        if entries.map.len() >= CAPACITY
            && let Some(oldest) = entries
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
        {
            entries.map.remove(&oldest);
        }
        entries.clock += 1;
        let used = entries.clock;
        entries.map.insert(key, Entry { used, results });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Facets;

    fn results(total: usize) -> Arc<SearchResults> {
        Arc::new(SearchResults {
            total,
            hits: Vec::new(),
            facets: Facets::default(),
            matched_as: Vec::new(),
            min_similarity: None,
        })
    }

    #[test]
    fn a_commit_drops_what_was_remembered_and_what_was_under_way() {
        let cache = ResultCache::new();
        let before = cache.epoch();
        cache.put("a".into(), before, results(1));
        assert_eq!(cache.get("a").map(|r| r.total), Some(1));
        // A search that began before the commit finishes after it: not kept.
        let under_way = cache.epoch();
        cache.invalidate();
        cache.put("b".into(), under_way, results(2));
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_none());
        cache.put("b".into(), cache.epoch(), results(3));
        assert_eq!(cache.get("b").map(|r| r.total), Some(3));
    }

    #[test]
    fn the_least_recently_used_goes_first() {
        let cache = ResultCache::new();
        let epoch = cache.epoch();
        for i in 0..CAPACITY {
            cache.put(format!("k{i}"), epoch, results(i));
        }
        assert!(cache.get("k0").is_some());
        cache.put("new".into(), epoch, results(0));
        assert!(cache.get("k0").is_some(), "k0 was used last");
        assert!(cache.get("k1").is_none(), "k1 was the least recently used");
        assert!(cache.get("new").is_some());
    }
}
