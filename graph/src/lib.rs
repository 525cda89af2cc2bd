//! Neo4j access for toex. Every Cypher statement of the project lives in this crate,
//! parameterised and decoded into typed structs; callers never see Bolt or Cypher.

mod client;
mod error;
pub mod import;
mod migrations;
mod model;
pub(crate) mod queries;
mod routing;
mod settings;
pub mod vocab;

pub use client::{Connectivity, GraphClient};
pub use error::GraphError;
pub use migrations::MIGRATIONS;
pub use model::{
    CommonAssociate, DocumentNode, DocumentPlace, GraphEdge, GraphNode, Person, PersonDetails,
    PersonMatch, ProtectedPerson, SelectionLink, Subgraph, TimelineEvent,
};
pub use queries::cases::{CaseRow, CaseStandingOrder};
pub use queries::charts::ChartRow;
pub use queries::documents::UnlinkedPerson;
pub use queries::export::{
    IdentifierExport, IncidentExport, MissingExport, NodeExport, PersonExport, PlaceExport,
    RelationshipExport,
};
pub use queries::hotspots::{
    CellPage, CellPlace, CellRecord, HotspotFilter, HotspotKind, LocatedCount,
};
pub use queries::mentions::{
    CrossLinkRow, GraphLinkage, KnownPersonRow, LinkedIncident, LinkedPerson, MentionRow,
    PersonMention, label_of,
};
pub use queries::network::{MAX_CHART_NODES, MAX_HOPS, MAX_PATH_HOPS};
pub use queries::notes::{Annotated, AnnotationFilter, AnnotationRow, AnnotationTarget, TagCount};
pub use queries::profiles::{CategoryMonth, ProfileScope, RepeatVictim};
pub use queries::review::LinkDecisionRow;
pub use queries::warm::WarmUp;
pub use queries::workspace::{AlertRow, SavedSearchRow, StandingCounts, WatchRow};
pub use routing::RoutingState;
pub use settings::GraphSettings;
pub use toex_extract::{identifiers, names};
pub use toex_scope::Scope;
