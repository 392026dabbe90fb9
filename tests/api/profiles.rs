//! Filled in by the profiles work.
