//! Topology as code: the YAML model, loading, lint, diff, apply, export and convert.

pub mod apply;
pub mod backup;
pub mod defs;
pub mod diff;
pub mod execute;
pub mod export;
pub mod lint;
pub mod load;
pub mod model;
pub mod params;
pub mod plan;
pub mod preflight;
pub mod translate;
