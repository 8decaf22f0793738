//! The eight dihedral variants of a PDQ hash, derived from the 16×16 DCT
//! coefficients without rehashing.
//!
//! Mirroring the image along one axis maps the cosine of frequency `u` to
//! `(-1)^u` times itself, so a flip negates the coefficients whose frequency
//! along that axis is odd (index `i` even, as index `i` holds frequency
//! `i + 1`); a transpose swaps the indices. Rotations are a transpose plus a
//! flip. The sign patterns below follow from that and agree with the
//! reference's `dct16OriginalTo*` functions, so the hashes are bit-identical
//! to the reference's dihedral hashes.

use std::fmt;
use std::str::FromStr;

/// One of the eight symmetries of the square (rotations and mirror images).
///
/// Names follow the reference implementation; `as_str` gives the token used
/// in command-line output (`pdq/rot90` …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dihedral {
    /// The image as stored.
    Original,
    /// Rotated by 90° (the reference's `Rotate90`: counter-clockwise).
    Rot90,
    /// Rotated by 180°.
    Rot180,
    /// Rotated by 270° (90° clockwise).
    Rot270,
    /// Mirrored top to bottom (the reference's `FlipX`: rows reversed).
    FlipX,
    /// Mirrored left to right (the reference's `FlipY`: columns reversed).
    FlipY,
    /// Transposed about the main diagonal (the reference's `FlipPlus1`).
    FlipPlus1,
    /// Transposed about the anti-diagonal (the reference's `FlipMinus1`).
    FlipMinus1,
}

impl Dihedral {
    /// All eight, in the reference's order.
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rot90,
        Dihedral::Rot180,
        Dihedral::Rot270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::FlipPlus1,
        Dihedral::FlipMinus1,
    ];

    /// The token: `orig rot90 rot180 rot270 flipx flipy flipplus1 flipminus1`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dihedral::Original => "orig",
            Dihedral::Rot90 => "rot90",
            Dihedral::Rot180 => "rot180",
            Dihedral::Rot270 => "rot270",
            Dihedral::FlipX => "flipx",
            Dihedral::FlipY => "flipy",
            Dihedral::FlipPlus1 => "flipplus1",
            Dihedral::FlipMinus1 => "flipminus1",
        }
    }

    /// The coefficients of the transformed image, given the original's.
    pub(crate) fn apply(self, a: &[[f32; 16]; 16]) -> [[f32; 16]; 16] {
        let mut b = [[0.0f32; 16]; 16];
        for i in 0..16 {
            for j in 0..16 {
                let v = a[i][j];
                // Negation is exact in IEEE arithmetic, so these are the
                // reference's values bit for bit.
                let neg = |cond: bool| if cond { -v } else { v };
                match self {
                    Dihedral::Original => b[i][j] = v,
                    Dihedral::Rot90 => b[j][i] = neg(j & 1 == 0),
                    Dihedral::Rot180 => b[i][j] = neg((i + j) & 1 == 1),
                    Dihedral::Rot270 => b[j][i] = neg(i & 1 == 0),
                    Dihedral::FlipX => b[i][j] = neg(i & 1 == 0),
                    Dihedral::FlipY => b[i][j] = neg(j & 1 == 0),
                    Dihedral::FlipPlus1 => b[j][i] = v,
                    Dihedral::FlipMinus1 => b[j][i] = neg((i + j) & 1 == 1),
                }
            }
        }
        b
    }
}

impl fmt::Display for Dihedral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`Dihedral`] token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownDihedral(pub String);

impl fmt::Display for UnknownDihedral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown dihedral variant `{}`", self.0)
    }
}

impl std::error::Error for UnknownDihedral {}

impl FromStr for Dihedral {
    type Err = UnknownDihedral;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dihedral::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| UnknownDihedral(s.to_owned()))
    }
}
