//! Filled in by the importer work.
