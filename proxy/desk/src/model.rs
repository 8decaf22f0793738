//! The desk's vocabulary: references, categories, sources, roles, decisions.
