//! Filled in by the accounts work.
