//! Shared benchmark data generation.
