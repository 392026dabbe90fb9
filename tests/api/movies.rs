//! Filled in by the movies work.
