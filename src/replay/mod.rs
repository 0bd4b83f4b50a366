//! `warren replay`: move dead-lettered messages back where they came from, filtered, and
//! without ever losing one. `origin` and `filter` are pure; `run` is the loss-free loop.

pub mod filter;
pub mod mark;
pub mod origin;
pub mod run;
