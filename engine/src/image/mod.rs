//! Image decoding and hashing (being written).
