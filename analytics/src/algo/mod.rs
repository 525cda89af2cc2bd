//! Pure graph algorithms over a selection pulled from Neo4j: degree and Brandes
//! betweenness centrality, and Louvain communities. No I/O; callers run them off the
//! async runtime.

mod centrality;
mod louvain;
mod simple_graph;

pub use centrality::{Centrality, centrality};
pub use louvain::{Communities, louvain};
pub use simple_graph::SimpleGraph;
