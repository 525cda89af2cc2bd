//! Notes, tags and bookmarks on any node or on one segment of a document: written in a
//! case team's compartment (the target's force and operation unless the caller names
//! theirs), read by anyone in it who may see the target, found by target, tag, author
//! or the words of the note (Neo4j's full-text index).

use async_graphql::{Context, Enum, Object, SimpleObject};
use sha2::{Digest, Sha256};
use toex_graph::{Annotated, AnnotationFilter, AnnotationRow};
use toex_pipeline::Services;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// Longest note, in characters.
const MAX_NOTE_CHARS: usize = 10_000;
/// Longest tag, in characters.
const MAX_TAG_CHARS: usize = 64;
/// Longest bookmark label, in characters.
const MAX_LABEL_CHARS: usize = 200;
/// Most words a note search takes.
const MAX_WORDS: usize = 32;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AnnotationKind {
    /// Free text for the case team.
    Note,
    /// A short label (`trafficking`, `priority`), shared across the team's material.
    Tag,
    /// A marker to come back to, with an optional label.
    Bookmark,
}

impl AnnotationKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Note => "NOTE",
            Self::Tag => "TAG",
            Self::Bookmark => "BOOKMARK",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "TAG" => Self::Tag,
            "BOOKMARK" => Self::Bookmark,
            _ => Self::Note,
        }
    }
}

/// What an annotation is on.
#[derive(SimpleObject, Clone)]
pub struct AnnotatedNode {
    /// The node's key (`Document:…`, `Person:WYP-12`, `Phone:+447700900001`).
    pub key: String,
    /// Its label (`Document`, `Person`, `Phone`, …).
    pub label: String,
    /// A person's name, a document's title, an identifier as shown.
    pub caption: Option<String>,
}

/// A note, tag or bookmark.
#[derive(SimpleObject, Clone)]
pub struct Annotation {
    pub id: String,
    pub kind: AnnotationKind,
    pub on: AnnotatedNode,
    /// The segment (line, message, page) of a document it is about.
    pub segment: Option<i32>,
    /// The note, the tag, or the bookmark's label.
    pub text: String,
    pub author: String,
    /// Who may read it: this force's team, within this operation when set.
    pub force: String,
    pub operation: Option<String>,
    pub created_at: String,
    /// The caller wrote it (and may remove it).
    pub mine: bool,
}

/// A tag in use, with how many things the caller may see carry it.
#[derive(SimpleObject)]
pub struct TagUse {
    pub tag: String,
    pub count: i32,
}

impl Annotation {
    pub(crate) fn read_by(a: Annotated, user: &str) -> Self {
        let label = a.target.split_once(':').map_or("", |(l, _)| l).to_owned();
        Self {
            id: a.id,
            kind: AnnotationKind::parse(&a.kind),
            on: AnnotatedNode {
                key: a.target,
                label,
                caption: a.target_caption,
            },
            segment: a.segment.and_then(|s| i32::try_from(s).ok()),
            text: a.text,
            mine: a.author == user,
            author: a.author,
            force: a.force,
            operation: a.operation,
            created_at: a.created_at,
        }
    }
}

/// The text as kept: a note as written (trimmed), a tag on one line, a label short.
fn checked_text(kind: AnnotationKind, text: &str) -> ApiResult<String> {
    let text = text.trim();
    let chars = text.chars().count();
    match kind {
        AnnotationKind::Note if chars == 0 || chars > MAX_NOTE_CHARS => Err(ApiError::bad_input(
            format!("a note must be 1–{MAX_NOTE_CHARS} characters"),
        )),
        AnnotationKind::Tag if chars == 0 || chars > MAX_TAG_CHARS || text.contains('\n') => {
            Err(ApiError::bad_input(format!(
                "a tag must be 1–{MAX_TAG_CHARS} characters on one line"
            )))
        }
        AnnotationKind::Bookmark if chars > MAX_LABEL_CHARS => Err(ApiError::bad_input(format!(
            "a bookmark's label must be at most {MAX_LABEL_CHARS} characters"
        ))),
        AnnotationKind::Tag => Ok(text.split_whitespace().collect::<Vec<_>>().join(" ")),
        _ => Ok(text.to_owned()),
    }
}

/// The id of an annotation: a note is new each time; a tag (per team) or a bookmark
/// (per author) on the same target is the same one again.
fn annotation_id(row: &AnnotationRow) -> String {
    let who = match row.kind.as_str() {
        "NOTE" => return format!("note-{}", uuid::Uuid::new_v4().simple()),
        "TAG" => row.text.to_lowercase(),
        _ => row.author.clone(),
    };
    let mut hash = Sha256::new();
    for part in [
        row.kind.as_str(),
        &row.target,
        &row.segment.map(|s| s.to_string()).unwrap_or_default(),
        &who,
        &row.force,
        row.operation.as_deref().unwrap_or(""),
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    format!(
        "{}-{}",
        row.kind.to_lowercase(),
        digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// The words of a note search as a Lucene query: every word required, each a quoted
/// term (the caller's text never becomes Lucene syntax, `OR` and `*` included).
fn lucene_words(text: &str) -> ApiResult<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            let escaped: String = w
                .chars()
                .filter(|c| !c.is_control())
                .flat_map(|c| {
                    matches!(c, '"' | '\\')
                        .then_some('\\')
                        .into_iter()
                        .chain([c])
                })
                .collect();
            format!("\"{escaped}\"")
        })
        .collect();
    if words.len() > MAX_WORDS {
        return Err(ApiError::bad_input(format!(
            "a note search takes at most {MAX_WORDS} words"
        )));
    }
    if words.is_empty() {
        return Err(ApiError::bad_input("nothing is left to search for"));
    }
    Ok(words.join(" AND "))
}

/// A node key as given: `Label:id`, of a sensible length.
fn checked_key(key: &str) -> ApiResult<&str> {
    let key = key.trim();
    match key.split_once(':') {
        Some((label, id)) if !label.is_empty() && !id.is_empty() && key.len() <= 600 => Ok(key),
        _ => Err(ApiError::bad_input(format!(
            "`{key}` is not a node key (`Label:id`, as `Person:WYP-12` or `Document:…`)"
        ))),
    }
}

#[derive(Default)]
pub struct NotesQuery;

#[Object]
impl NotesQuery {
    /// Notes, tags and bookmarks the caller's team keeps, on things the caller may see:
    /// those on one node (`on`, a node key), those whose words match `query` (best
    /// first), those with a `tag`, of a `kind`, or the caller's own (`mine`); newest
    /// first otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn annotations(
        &self,
        ctx: &Context<'_>,
        on: Option<String>,
        query: Option<String>,
        kind: Option<AnnotationKind>,
        tag: Option<String>,
        #[graphql(default = false)] mine: bool,
        first: Option<i32>,
    ) -> ApiResult<Vec<Annotation>> {
        let limit = crate::query::page_size(first)?;
        let user = crate::access::caller(ctx)?.user.clone();
        let scope = crate::access::scope(ctx)?;
        let target = on
            .as_deref()
            .map(checked_key)
            .transpose()?
            .map(str::to_owned);
        if let Some(key) = &target
            && crate::redaction::is_hidden_node(ctx, key).await?
        {
            return Ok(Vec::new());
        }
        let words = match query.filter(|q| !q.trim().is_empty()) {
            Some(q) => {
                crate::query::check_query_text(&q)?;
                Some(lucene_words(&crate::query::searchable(ctx, q).await?)?)
            }
            None => None,
        };
        let filter = AnnotationFilter {
            words,
            kind: kind.map(|k| k.as_str().to_owned()),
            tag: tag.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
            author: mine.then(|| user.clone()),
            target,
            case: None,
            limit: limit as i64,
        };
        let services = ctx.data_unchecked::<Services>();
        let rows = services.graph.annotations(&scope, &filter).await?;
        Ok(rows
            .into_iter()
            .map(|a| Annotation::read_by(a, &user))
            .collect())
    }

    /// The tags in use on things the caller may see, most used first; `startingWith`
    /// narrows them (any case), as a tag box completes what is typed.
    async fn tags(
        &self,
        ctx: &Context<'_>,
        starting_with: Option<String>,
        first: Option<i32>,
    ) -> ApiResult<Vec<TagUse>> {
        let limit = crate::query::page_size(first)?;
        let prefix = starting_with
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty());
        if prefix
            .as_ref()
            .is_some_and(|p| p.chars().count() > MAX_TAG_CHARS)
        {
            return Err(ApiError::bad_input(format!(
                "a tag is at most {MAX_TAG_CHARS} characters"
            )));
        }
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let rows = services
            .graph
            .tags(&scope, prefix.as_deref(), limit as i64)
            .await?;
        Ok(rows
            .into_iter()
            .map(|t| TagUse {
                tag: t.tag,
                count: i32::try_from(t.count).unwrap_or(i32::MAX),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct NotesMutation;

#[Object]
impl NotesMutation {
    /// Notes, tags or bookmarks a node (`on`, its key) or one `segment` of a document.
    /// It is kept for the team of the target's force and operation (or the `force` and
    /// `operation` named, which the caller must hold); a tag or bookmark given twice is
    /// kept once.
    #[allow(clippy::too_many_arguments)]
    async fn annotate(
        &self,
        ctx: &Context<'_>,
        on: String,
        segment: Option<i32>,
        kind: AnnotationKind,
        #[graphql(default)] text: String,
        force: Option<String>,
        operation: Option<String>,
    ) -> ApiResult<Annotation> {
        let key = checked_key(&on)?.to_owned();
        let text = checked_text(kind, &text)?;
        if let Some(s) = segment
            && (s < 0 || !key.starts_with("Document:"))
        {
            return Err(ApiError::bad_input(
                "`segment` is a document's segment index (0 or more)",
            ));
        }
        let principal = crate::access::caller(ctx)?;
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let unknown = || ApiError::new(ErrorCode::NotFound, format!("no node `{key}` you may see"));
        if crate::redaction::is_hidden_node(ctx, &key).await? {
            return Err(unknown());
        }
        let target = services
            .graph
            .annotation_target(&scope, &key)
            .await?
            .ok_or_else(unknown)?;
        // The target's own force when the caller holds it, else the one they name, else
        // their only force.
        let force = match (force, target.force.filter(|f| scope.may_see_force(f))) {
            (Some(f), _) => f,
            (None, Some(f)) => f,
            (None, None) => match scope.forces() {
                [only] => only.clone(),
                _ => {
                    return Err(ApiError::bad_input(
                        "this node belongs to no force of yours: say which `force` the note is for",
                    ));
                }
            },
        };
        let operation = operation.or(target.operation);
        let (force, operation) = crate::access::write_target(ctx, &force, operation.as_deref())?;
        let mut row = AnnotationRow {
            id: String::new(),
            kind: kind.as_str().to_owned(),
            target: key,
            segment: segment.map(i64::from),
            text,
            author: principal.user.clone(),
            force,
            operation,
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        };
        row.id = annotation_id(&row);
        row.created_at = services.graph.annotate(&row).await?;
        Ok(Annotation::read_by(
            Annotated {
                id: row.id,
                kind: row.kind,
                target: row.target,
                segment: row.segment,
                text: row.text,
                author: row.author,
                force: row.force,
                operation: row.operation,
                created_at: row.created_at,
                target_caption: None,
            },
            &principal.user,
        ))
    }

    /// Removes one of the caller's own notes, tags or bookmarks; whether there was one.
    async fn remove_annotation(&self, ctx: &Context<'_>, id: String) -> ApiResult<bool> {
        let user = crate::access::caller(ctx)?.user.clone();
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        Ok(services.graph.remove_annotation(&scope, &user, &id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_search_words_never_become_lucene_syntax() {
        assert_eq!(lucene_words("car wash").unwrap(), r#""car" AND "wash""#);
        assert_eq!(
            lucene_words(r#"a:b *d" OR \e"#).unwrap(),
            r#""a:b" AND "*d\"" AND "OR" AND "\\e""#
        );
        assert!(lucene_words("   ").is_err());
    }

    #[test]
    fn a_tag_is_one_line_of_at_most_64_characters() {
        assert_eq!(
            checked_text(AnnotationKind::Tag, "  county   lines ").unwrap(),
            "county lines"
        );
        assert!(checked_text(AnnotationKind::Tag, "a\nb").is_err());
        assert!(checked_text(AnnotationKind::Tag, &"x".repeat(65)).is_err());
        assert!(checked_text(AnnotationKind::Note, " ").is_err());
        assert_eq!(checked_text(AnnotationKind::Bookmark, "").unwrap(), "");
    }
}
