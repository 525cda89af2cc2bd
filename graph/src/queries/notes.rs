//! Notes, tags and bookmarks on any node (by its key) or on one segment of a document:
//! kept beside the network in a case team's compartment (a force, and an operation when
//! the team works in one), listed by target, by tag or by author, found by the words of
//! the note through Neo4j's full-text index, and shown only while the target itself is
//! visible to the caller.

use neo4rs::BoltType;
use serde::{Deserialize, Serialize};

use super::scoped;
use crate::import::records::bolt_map;
use crate::{GraphClient, GraphError, Scope};

/// A note, tag or bookmark as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnotationRow {
    pub id: String,
    /// `NOTE`, `TAG` or `BOOKMARK`.
    pub kind: String,
    /// The annotated node's key (`Document:…`, `Person:WYP-12`, `Phone:+447700900001`).
    pub target: String,
    /// The segment of a document it is about.
    pub segment: Option<i64>,
    /// The note, the tag, or a bookmark's label (may be empty).
    pub text: String,
    pub author: String,
    /// The case team's compartment: who may read it.
    pub force: String,
    pub operation: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// An annotation with what it is on, as a reader sees it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Annotated {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub segment: Option<i64>,
    pub text: String,
    pub author: String,
    pub force: String,
    pub operation: Option<String>,
    pub created_at: String,
    /// The target's caption (a person's name, a document's title).
    pub target_caption: Option<String>,
}

/// Where an annotation may be written: the target's force and operation as the graph
/// holds them, when the caller may see it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AnnotationTarget {
    pub key: String,
    pub force: Option<String>,
    pub operation: Option<String>,
}

/// A tag in use within the caller's compartment, with how many things carry it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TagCount {
    pub tag: String,
    pub count: i64,
}

/// What to list: any of these narrow the annotations within the caller's scope.
#[derive(Debug, Clone, Default)]
pub struct AnnotationFilter {
    /// Words the note must contain (full-text); already escaped for Lucene.
    pub words: Option<String>,
    pub kind: Option<String>,
    /// A tag, compared without regard to case.
    pub tag: Option<String>,
    pub author: Option<String>,
    pub target: Option<String>,
    /// Kept for this case (operation).
    pub case: Option<String>,
    pub limit: i64,
}

const TARGET: &str = concat!(
    "MATCH (t:Entity {key: $key}) WHERE ",
    visible!("t"),
    " RETURN t.key AS key, t.force AS force, t.operation AS operation"
);

const ANNOTATE: &str = "MERGE (a:Annotation {id: $row.id}) \
     ON CREATE SET a.createdAt = $row.created_at \
     SET a.kind = $row.kind, a.target = $row.target, a.segment = $row.segment, \
     a.text = $row.text, a.author = $row.author, a.force = $row.force, \
     a.operation = $row.operation \
     RETURN a.createdAt AS created_at";

/// Annotations of one (visible) target, or found by words, tag, kind or author; each
/// only while its target is visible.
macro_rules! listing {
    ($source:literal) => {
        concat!(
            $source,
            " WHERE ",
            readable!("a"),
            " AND ($kind IS NULL OR a.kind = $kind) \
             AND ($tag IS NULL OR (a.kind = 'TAG' AND toLower(a.text) = toLower($tag))) \
             AND ($author IS NULL OR a.author = $author) \
             AND ($target IS NULL OR a.target = $target) \
             AND ($case IS NULL OR a.operation = $case) \
             MATCH (t:Entity {key: a.target}) WHERE ",
            visible!("t"),
            " RETURN a.id AS id, a.kind AS kind, a.target AS target, a.segment AS segment, \
             a.text AS text, a.author AS author, a.force AS force, a.operation AS operation, \
             a.createdAt AS created_at, \
             coalesce(t.caption, t.name, t.title, t.id) AS target_caption \
             ORDER BY score DESC, a.createdAt DESC, a.id LIMIT $limit"
        )
    };
}

const BY_TARGET: &str = listing!("MATCH (a:Annotation {target: $target}) WITH a, 0.0 AS score");
const BY_WORDS: &str = listing!(
    "CALL db.index.fulltext.queryNodes('annotation_text', $words, {limit: 2000}) \
     YIELD node AS a, score WITH a, score"
);
const BY_FILTER: &str = listing!("MATCH (a:Annotation) WITH a, 0.0 AS score");

const TAGS: &str = concat!(
    "MATCH (a:Annotation {kind: 'TAG'}) WHERE ",
    readable!("a"),
    " AND ($prefix IS NULL OR toLower(a.text) STARTS WITH toLower($prefix)) MATCH (t:Entity {key: a.target}) WHERE ",
    visible!("t"),
    " WITH toLower(a.text) AS tag, count(*) AS count \
     RETURN tag, count ORDER BY count DESC, tag LIMIT $limit"
);

const REMOVE: &str = concat!(
    "MATCH (a:Annotation {id: $id}) WHERE a.author = $author AND ",
    readable!("a"),
    " DETACH DELETE a RETURN count(*) AS removed"
);

#[derive(Deserialize)]
struct Removed {
    removed: i64,
}

#[derive(Deserialize)]
struct Created {
    created_at: String,
}

impl AnnotationRow {
    fn to_bolt(&self) -> BoltType {
        bolt_map(vec![
            ("id", self.id.clone().into()),
            ("kind", self.kind.clone().into()),
            ("target", self.target.clone().into()),
            ("segment", self.segment.into()),
            ("text", self.text.clone().into()),
            ("author", self.author.clone().into()),
            ("force", self.force.clone().into()),
            ("operation", self.operation.clone().into()),
            ("created_at", self.created_at.clone().into()),
        ])
    }
}

impl GraphClient {
    /// The node `key` as an annotation target, when the caller may see it.
    ///
    /// Cypher: one `MATCH (t:Entity {key})` with the visibility predicate.
    pub async fn annotation_target(
        &self,
        scope: &Scope,
        key: &str,
    ) -> Result<Option<AnnotationTarget>, GraphError> {
        let rows = self.rows(scoped(TARGET, scope).param("key", key)).await?;
        Ok(rows.into_iter().next())
    }

    /// Keeps an annotation (a tag or bookmark again on the same target keeps its first
    /// time); returns its creation time.
    ///
    /// Cypher: one `MERGE` by id.
    pub async fn annotate(&self, row: &AnnotationRow) -> Result<String, GraphError> {
        let query = neo4rs::query(ANNOTATE).param("row", row.to_bolt());
        let rows: Vec<Created> = self.write_rows(query).await?;
        Ok(rows
            .into_iter()
            .next()
            .map_or_else(|| row.created_at.clone(), |c| c.created_at))
    }

    /// Annotations the caller may read, narrowed by `filter`, best match (for words) or
    /// newest first.
    ///
    /// Cypher: the full-text index for words, the `target` index for one target, else
    /// a scan of the caller's annotations; then the target's visibility.
    pub async fn annotations(
        &self,
        scope: &Scope,
        filter: &AnnotationFilter,
    ) -> Result<Vec<Annotated>, GraphError> {
        let statement = if filter.words.is_some() {
            BY_WORDS
        } else if filter.target.is_some() {
            BY_TARGET
        } else {
            BY_FILTER
        };
        let query = scoped(statement, scope)
            .param("words", filter.words.clone())
            .param("kind", filter.kind.clone())
            .param("tag", filter.tag.clone())
            .param("author", filter.author.clone())
            .param("target", filter.target.clone())
            .param("case", filter.case.clone())
            .param("limit", filter.limit);
        self.rows(query).await
    }

    /// The tags in use on things the caller may see (those starting with `prefix`, any
    /// case), most used first.
    pub async fn tags(
        &self,
        scope: &Scope,
        prefix: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TagCount>, GraphError> {
        let query = scoped(TAGS, scope)
            .param("prefix", prefix.map(str::to_owned))
            .param("limit", limit);
        self.rows(query).await
    }

    /// Removes the caller's own annotation `id`; whether there was one.
    pub async fn remove_annotation(
        &self,
        scope: &Scope,
        author: &str,
        id: &str,
    ) -> Result<bool, GraphError> {
        let query = scoped(REMOVE, scope)
            .param("id", id)
            .param("author", author);
        let rows: Vec<Removed> = self.write_rows(query).await?;
        Ok(rows.first().is_some_and(|r| r.removed > 0))
    }
}
