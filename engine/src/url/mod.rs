//! URL canonicalisation and Safe Browsing expressions (being written).
