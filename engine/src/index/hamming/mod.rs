//! Exact Hamming-radius search over perceptual hashes (being written).
