//! Entity linkage: the gazetteer of known persons (rebuilt from the graph when it gains
//! persons, and stored documents searched for their names again), and the GraphQL side —
//! `linkage(identifier)`, `crossLinks(operation | force)`, `Document.entities` and
//! `Person.mentions`.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Enum, Object, SimpleObject};
use toex_extract::{EntityKind as Kind, Mention, TextSide};
use toex_graph::{GraphClient, label_of};
use toex_indexer::MentionHit;

use crate::Services;
use crate::error::{ApiError, ApiResult};
use crate::loaders::Scoped;
use crate::types::Segment;

/// Most documents a linkage look-up lists.
const LINKAGE_DOCUMENTS: usize = 100;

/// What an entity is, in GraphQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum EntityKind {
    Phone,
    Email,
    Vehicle,
    Postcode,
    Account,
    Url,
    Iban,
    BankAccount,
    Crypto,
    Person,
}

impl From<Kind> for EntityKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Phone => Self::Phone,
            Kind::Email => Self::Email,
            Kind::Vehicle => Self::Vehicle,
            Kind::Postcode => Self::Postcode,
            Kind::Account => Self::Account,
            Kind::Url => Self::Url,
            Kind::Iban => Self::Iban,
            Kind::BankAccount => Self::BankAccount,
            Kind::Crypto => Self::Crypto,
            Kind::Person => Self::Person,
        }
    }
}

/// An identifier or known name found in a document.
#[derive(Debug, Clone, SimpleObject)]
pub struct Entity {
    pub kind: EntityKind,
    /// Normalised: E.164, lower-cased email, VRM without spaces, postcode, `platform:handle`
    /// (`@handle` when the platform was not said), URL, IBAN, `sortcode/account`, wallet,
    /// or the person's id.
    pub value: String,
    /// As written.
    pub text: String,
    /// `ORIGINAL` text or `TRANSLATION`.
    pub side: String,
    /// Segment index; null for a document without segments or for the translation.
    pub segment: Option<u32>,
    /// Character offsets in that segment's (or text's) characters.
    pub start: u32,
    pub end: u32,
    /// The graph node's key (`Phone:+447700900123`), for `linkage` and `neighbourhood`.
    pub key: Option<String>,
}

fn side(s: TextSide) -> String {
    match s {
        TextSide::Original => "ORIGINAL",
        TextSide::Translation => "TRANSLATION",
    }
    .to_owned()
}

fn node_key(kind: Kind, value: &str) -> Option<String> {
    label_of(kind).map(|l| format!("{l}:{value}"))
}

impl From<&Mention> for Entity {
    fn from(m: &Mention) -> Self {
        Self {
            kind: m.found.kind.into(),
            value: m.found.value.clone(),
            text: m.found.text.clone(),
            side: side(m.side),
            segment: m.segment,
            start: m.found.start,
            end: m.found.end,
            key: node_key(m.found.kind, &m.found.value),
        }
    }
}

/// A person linked to an identifier.
#[derive(Debug, Clone, SimpleObject)]
pub struct LinkedPerson {
    pub id: String,
    pub name: String,
    pub force: String,
    /// `USES`, `LIVES_AT`, or `MENTIONED` when the identifier is the person.
    pub via: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub operations: Vec<String>,
    pub incidents: Vec<LinkedIncident>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct LinkedIncident {
    pub id: String,
    pub role: Option<String>,
    pub crime_type: Option<String>,
    pub occurred_at: Option<String>,
}

/// Where a document mentions something, with the words around it.
#[derive(Debug, Clone, SimpleObject)]
pub struct DocumentMention {
    pub document_id: String,
    pub title: String,
    pub force: String,
    pub operation: Option<String>,
    pub source_type: String,
    pub entity: Entity,
    /// The segment it is in, with its timestamps or line.
    pub segment: Option<Segment>,
    /// The text around the mention, the mention in `<b>`.
    pub snippet: String,
}

impl From<MentionHit> for DocumentMention {
    fn from(h: MentionHit) -> Self {
        Self {
            entity: Entity::from(&h.mention),
            document_id: h.id,
            title: h.title,
            force: h.force,
            operation: h.operation,
            source_type: h.source_type,
            segment: h.segment.map(Segment::from),
            snippet: crate::markup::html(&h.snippet),
        }
    }
}

/// Everywhere an identifier appears, in the graph and in documents.
#[derive(Debug, Clone, SimpleObject)]
pub struct Linkage {
    pub kind: EntityKind,
    /// The normalised value looked up.
    pub value: String,
    /// The graph node's key, when the graph holds it for the caller's forces.
    pub key: Option<String>,
    /// First seen in a document, not (yet) tied to anyone by a force's records.
    pub unresolved: bool,
    /// Who uses it (phones, emails, vehicles, accounts) or lives there (postcodes),
    /// with their operations and incidents.
    pub persons: Vec<LinkedPerson>,
    /// Operations of those persons, distinct.
    pub operations: Vec<String>,
    /// Mentions in documents, newest first, with snippets and timestamps.
    pub mentions: Vec<DocumentMention>,
    /// Documents mentioning it, according to the graph (null while Neo4j is down).
    pub graph_document_count: Option<i64>,
}

/// A cross-case link: something in the selection's material that leads to a person
/// outside the selection.
#[derive(Debug, Clone, SimpleObject)]
pub struct CrossLink {
    /// The identifier's (or named person's) graph key.
    pub key: String,
    pub kind: String,
    pub caption: Option<String>,
    /// Documents of the selection that mention it (up to 20) and how many there are.
    pub documents: Vec<String>,
    pub document_count: i64,
    pub person: LinkedPerson,
    pub suspect: bool,
    pub registered_offender: bool,
    /// Higher first; see `explanation`.
    pub score: f64,
    pub explanation: String,
    /// The other side's evidence: documents outside the selection that mention it (up
    /// to 20).
    pub other_documents: Vec<String>,
    /// `CONFIRMED` once an analyst confirmed the match (rejected ones are not listed),
    /// with who decided and when.
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

/// Weight of a link by what carries it: a phone or account is near-personal, a
/// postcode is shared by a street.
fn carrier_weight(key: &str) -> f64 {
    match key.split_once(':').map(|(l, _)| l) {
        Some("Phone" | "Email" | "OnlineAccount") => 1.0,
        Some("Vehicle") => 0.8,
        Some("Person") => 0.7,
        Some("Location") => 0.3,
        _ => 0.5,
    }
}

#[derive(Default)]
pub struct LinkageQuery;

#[Object]
impl LinkageQuery {
    /// Everywhere `identifier` appears: a phone (any format), email, VRM, postcode,
    /// handle (`@x` or `platform:x`), URL, IBAN, bank account or wallet — who uses it in
    /// the graph (and their operations and incidents), and every document mention with
    /// its snippet and timestamp. A name finds the persons the graph knows by it.
    async fn linkage(&self, ctx: &Context<'_>, identifier: String) -> ApiResult<Vec<Linkage>> {
        let services = ctx.data_unchecked::<Services>().clone();
        let scope = crate::access::scope(ctx)?;
        if identifier.trim().is_empty() || identifier.len() > 500 {
            return Err(ApiError::bad_input("`identifier` must be 1–500 characters"));
        }
        let hidden = crate::redaction::hidden_from(ctx).await?;
        let targets: Vec<(Kind, String)> = match toex_extract::classify(&identifier) {
            // A protected person's identifier is answered as an unknown one would be.
            Some((kind, value))
                if hidden
                    .as_ref()
                    .is_some_and(|p| p.is_protected_identifier(kind, &value)) =>
            {
                crate::redaction::echo(ctx, &value);
                return Ok(vec![Linkage {
                    kind: kind.into(),
                    value,
                    key: None,
                    unresolved: false,
                    persons: Vec::new(),
                    operations: Vec::new(),
                    mentions: Vec::new(),
                    graph_document_count: Some(0),
                }]);
            }
            Some(t) => vec![t],
            None => services
                .graph
                .people_by_name(&scope, &identifier, 0, 5)
                .await?
                .into_iter()
                .map(|m| (Kind::Person, m.id))
                .collect(),
        };
        // A name nobody is known by links to nothing: an empty list, not an error.
        let mut out = Vec::new();
        for (kind, value) in targets {
            let key = node_key(kind, &value);
            let graph = match &key {
                Some(k) => match services.graph.linkage(&scope, k).await {
                    Ok(g) => Some(g),
                    Err(e) if e.is_transient() => None,
                    Err(e) => return Err(e.into()),
                },
                None => Some(None),
            };
            let (index, f, index_key) = (services.index.clone(), scope.clone(), kind.key(&value));
            let mentions = services
                .cpu
                .run(move || index.mentioning(&index_key, &f, LINKAGE_DOCUMENTS))
                .await??;
            let g = graph.clone().flatten();
            let persons: Vec<LinkedPerson> = g
                .as_ref()
                .map(|g| g.persons.iter().cloned().map(linked_person).collect())
                .unwrap_or_default();
            let mut operations: Vec<String> =
                persons.iter().flat_map(|p| p.operations.clone()).collect();
            operations.sort();
            operations.dedup();
            out.push(Linkage {
                kind: kind.into(),
                key: g.as_ref().map(|g| g.key.clone()),
                unresolved: g.as_ref().is_some_and(|g| g.unresolved),
                graph_document_count: graph.map(|g| g.map_or(0, |g| g.document_count)),
                value,
                persons,
                operations,
                mentions: mentions.into_iter().map(DocumentMention::from).collect(),
            });
        }
        Ok(out)
    }

    /// Identifiers and names in the material of one operation (or one force) that lead
    /// to persons outside it — in other operations or none, or in other forces you can
    /// see. These are the links to look at first: ranked by what carries the link (a
    /// phone or account over a postcode), how often the material mentions it, and whether
    /// the person is a suspect or a registered offender.
    async fn cross_links(
        &self,
        ctx: &Context<'_>,
        operation: Option<String>,
        force: Option<String>,
        first: Option<i32>,
    ) -> ApiResult<Vec<CrossLink>> {
        let services = ctx.data_unchecked::<Services>();
        if operation.is_some() == force.is_some() {
            return Err(ApiError::bad_input(
                "give exactly one of `operation` and `force`",
            ));
        }
        let scope = match &force {
            Some(f) => crate::access::scope_for(ctx, std::slice::from_ref(f), &[])?,
            None => crate::access::scope(ctx)?,
        };
        // Seeing other forces' persons needs those forces: the caller's own ones.
        let visible = crate::access::scope(ctx)?;
        let limit = crate::query::page_size(first)?;
        let rows = services
            .graph
            .cross_links(
                if force.is_some() { &visible } else { &scope },
                operation.as_deref(),
                force.as_deref(),
                500,
            )
            .await?;
        let mut links: Vec<CrossLink> = rows
            .into_iter()
            .map(|r| {
                let weight = carrier_weight(&r.key);
                let role = if r.suspect || r.rso { 2.0 } else { 1.0 };
                let mentions = (1.0 + r.document_count as f64).ln();
                let score = weight * role * (1.0 + mentions);
                let kind = r.key.split_once(':').map_or("", |(l, _)| l).to_owned();
                let explanation = format!(
                    "{kind} mentioned in {} document(s) of the selection; {} ({}) {} it{}{}{}",
                    r.document_count,
                    r.person_name,
                    r.person_force,
                    match r.via.as_str() {
                        "USES" => "uses",
                        "LIVES_AT" => "lives at",
                        _ => "is named in",
                    },
                    if r.operations.is_empty() {
                        ", in no operation".to_owned()
                    } else {
                        format!(", in {}", r.operations.join(", "))
                    },
                    if r.suspect { "; a suspect" } else { "" },
                    if r.rso { "; a registered offender" } else { "" },
                );
                CrossLink {
                    kind,
                    caption: r.caption.clone(),
                    documents: r.documents.clone(),
                    document_count: r.document_count,
                    suspect: r.suspect,
                    registered_offender: r.rso,
                    score,
                    explanation,
                    other_documents: r.other_documents,
                    decision: r.decision,
                    decided_by: r.decided_by,
                    decided_at: r.decided_at,
                    person: LinkedPerson {
                        id: r.person_id,
                        name: r.person_name,
                        force: r.person_force,
                        via: r.via,
                        first_seen: None,
                        last_seen: None,
                        operations: r.operations,
                        incidents: Vec::new(),
                    },
                    key: r.key,
                }
            })
            .collect();
        links.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.key.cmp(&b.key))
                .then_with(|| a.person.id.cmp(&b.person.id))
        });
        links.truncate(limit);
        Ok(links)
    }
}

fn linked_person(p: toex_graph::LinkedPerson) -> LinkedPerson {
    LinkedPerson {
        id: p.id,
        name: p.name,
        force: p.force,
        via: p.via,
        first_seen: p.first_seen,
        last_seen: p.last_seen,
        operations: p.operations,
        incidents: p
            .incidents
            .into_iter()
            .map(|i| LinkedIncident {
                id: i.id,
                role: i.role,
                crime_type: i.crime_type,
                occurred_at: i.occurred_at,
            })
            .collect(),
    }
}

/// A document that mentions a person.
#[derive(Debug, Clone, SimpleObject)]
pub struct PersonMentionRef {
    pub document_id: String,
    pub title: Option<String>,
    pub force: String,
    pub operation: Option<String>,
    /// Segment index; null when the document has none (or for its translation).
    pub segment: Option<i64>,
    pub start: i64,
    pub end: i64,
    /// The name as written there.
    pub text: Option<String>,
    pub side: String,
}

/// Mentions of persons, through `GraphClient::person_mentions`.
pub struct PersonMentionsLoader(pub GraphClient);

/// Mentions listed per person.
pub const MENTIONS_PER_PERSON: i64 = 50;

impl Loader<Scoped> for PersonMentionsLoader {
    type Value = Vec<PersonMentionRef>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[Scoped],
    ) -> Result<HashMap<Scoped, Vec<PersonMentionRef>>, ApiError> {
        let mut out: HashMap<Scoped, Vec<PersonMentionRef>> = HashMap::new();
        for (scope, ids) in crate::loaders::by_scope(keys) {
            for m in self
                .0
                .person_mentions(&scope, &ids, MENTIONS_PER_PERSON)
                .await?
            {
                out.entry(Scoped {
                    scope: scope.clone(),
                    id: m.person_id.clone(),
                })
                .or_default()
                .push(PersonMentionRef {
                    document_id: m.document_id,
                    title: m.title,
                    force: m.force,
                    operation: m.operation,
                    segment: (m.segment >= 0).then_some(m.segment),
                    start: m.start,
                    end: m.end,
                    text: m.text,
                    side: m.side.to_uppercase(),
                });
            }
        }
        Ok(out)
    }
}
