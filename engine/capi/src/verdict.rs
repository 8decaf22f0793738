//! [`HwVerdict`] and [`HwMatch`]: a verdict's action and every match, read
//! through accessors. Strings are converted to C strings once, when the
//! verdict is handed out, and live as long as it.

use std::ffi::{CStr, CString, c_char};

use hashwall_engine::image::Dihedral;
use hashwall_engine::{Action, Match, Verdict};

use crate::error::c_string;

/// What to do with the input (precedence allow > block > monitor).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HwAction {
    /// No list matched.
    NoMatch = 0,
    /// Only monitor-mode lists matched: let it through, count it.
    Monitor = 1,
    /// A block list matched and no allow list did.
    Block = 2,
    /// An allow list matched; it overrides any block.
    Allow = 3,
    /// Returned by accessors given a NULL handle.
    Invalid = -1,
}

impl HwAction {
    fn of(a: Action) -> HwAction {
        match a {
            Action::NoMatch => HwAction::NoMatch,
            Action::Monitor => HwAction::Monitor,
            Action::Block => HwAction::Block,
            Action::Allow => HwAction::Allow,
        }
    }
}

/// For PDQ matches, the rotation or mirror image that maps the input onto
/// the listed image.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HwVariant {
    /// Not a PDQ match (or a NULL handle).
    None = -1,
    /// The input itself matched.
    Original = 0,
    /// Rotated by 90° (counter-clockwise).
    Rot90 = 1,
    /// Rotated by 180°.
    Rot180 = 2,
    /// Rotated by 270°.
    Rot270 = 3,
    /// Mirrored top to bottom.
    FlipX = 4,
    /// Mirrored left to right.
    FlipY = 5,
    /// Transposed about the main diagonal.
    FlipPlus1 = 6,
    /// Transposed about the anti-diagonal.
    FlipMinus1 = 7,
}

impl HwVariant {
    fn of(d: Option<Dihedral>) -> HwVariant {
        match d {
            None => HwVariant::None,
            Some(Dihedral::Original) => HwVariant::Original,
            Some(Dihedral::Rot90) => HwVariant::Rot90,
            Some(Dihedral::Rot180) => HwVariant::Rot180,
            Some(Dihedral::Rot270) => HwVariant::Rot270,
            Some(Dihedral::FlipX) => HwVariant::FlipX,
            Some(Dihedral::FlipY) => HwVariant::FlipY,
            Some(Dihedral::FlipPlus1) => HwVariant::FlipPlus1,
            Some(Dihedral::FlipMinus1) => HwVariant::FlipMinus1,
        }
    }
}

/// A verdict: the action and every match. Owned by the caller, freed with
/// `hashwall_verdict_free`; immutable, so several threads may read one.
#[derive(Debug)]
pub struct HwVerdict {
    action: HwAction,
    matches: Vec<HwMatch>,
}

/// One list entry that matched. Borrowed from its verdict: valid until the
/// verdict is freed, never freed on its own.
#[derive(Debug)]
pub struct HwMatch {
    list_id: CString,
    list_name: CString,
    issuer: CString,
    jurisdiction: CString,
    category: CString,
    kind: CString,
    reference: Option<CString>,
    expression: CString,
    action: HwAction,
    distance: i32,
    variant: HwVariant,
}

impl HwVerdict {
    /// The C view of `v`.
    pub(crate) fn new(v: &Verdict) -> HwVerdict {
        HwVerdict {
            action: HwAction::of(v.action()),
            matches: v.matches().iter().map(HwMatch::new).collect(),
        }
    }
}

impl HwMatch {
    fn new(m: &Match) -> HwMatch {
        let list = m.list();
        HwMatch {
            list_id: c_string(list.id().to_owned()),
            list_name: c_string(list.name().to_owned()),
            issuer: c_string(list.issuer().to_owned()),
            jurisdiction: c_string(list.jurisdiction().to_string()),
            category: c_string(list.category().to_string()),
            kind: c_string(m.kind().as_str().to_owned()),
            reference: m.reference().map(|r| c_string(r.to_owned())),
            expression: c_string(m.expression().into_owned()),
            action: HwAction::of(m.action()),
            distance: m
                .distance()
                .and_then(|d| i32::try_from(d).ok())
                .unwrap_or(-1),
            variant: HwVariant::of(m.variant()),
        }
    }
}

/// Reads `v` (NULL gives `fallback`) inside the panic guard.
///
/// # Safety
///
/// `v` is NULL or points to a live `T`.
unsafe fn read<T, R>(v: *const T, fallback: R, f: impl FnOnce(&T) -> R) -> R {
    // SAFETY: NULL or a live handle (contract).
    crate::guard::or_some(fallback, || unsafe { v.as_ref() }.map(f))
}

/// The verdict's action; `HASHWALL_ACTION_INVALID` for NULL.
///
/// # Safety
///
/// `v` is NULL or a verdict from this library, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_verdict_action(v: *const HwVerdict) -> HwAction {
    // SAFETY: NULL or a live handle (this function\'s contract).
    unsafe { read(v, HwAction::Invalid, |v| v.action) }
}

/// The number of matches (0 for NULL or no match).
///
/// # Safety
///
/// `v` is NULL or a verdict from this library, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_verdict_match_count(v: *const HwVerdict) -> usize {
    // SAFETY: NULL or a live handle (this function\'s contract).
    unsafe { read(v, 0, |v| v.matches.len()) }
}

/// Match `i` (in list order), or NULL when `i` is out of range or `v` is
/// NULL. Valid until `v` is freed; do not free it.
///
/// # Safety
///
/// `v` is NULL or a verdict from this library, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_verdict_match(v: *const HwVerdict, i: usize) -> *const HwMatch {
    // SAFETY: NULL or a live handle (this function\'s contract).
    unsafe {
        read(v, std::ptr::null(), |v| {
            v.matches
                .get(i)
                .map_or(std::ptr::null(), |m| m as *const HwMatch)
        })
    }
}

/// Frees a verdict and its matches. NULL is ignored.
///
/// # Safety
///
/// `v` is NULL or a verdict from this library, not freed before; neither
/// it nor its matches may be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_verdict_free(v: *mut HwVerdict) {
    // SAFETY: the caller hands back ownership of a live verdict (or NULL).
    crate::guard::or((), || drop(unsafe { crate::guard::take(v) }));
}

/// A string field of `m`, NULL for a NULL `m`.
///
/// # Safety
///
/// `m` is NULL or a live match.
unsafe fn string_of(m: *const HwMatch, f: impl FnOnce(&HwMatch) -> &CStr) -> *const c_char {
    // SAFETY: NULL or a live match (contract).
    unsafe { read(m, std::ptr::null(), |m| f(m).as_ptr()) }
}

/// The id of the list the entry belongs to (NULL for a NULL match).
///
/// # Safety
///
/// `m` is NULL or a match of a verdict not yet freed. The string lives as
/// long as the verdict (this holds for every `hashwall_match_*` string).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_match_list_id(m: *const HwMatch) -> *const c_char {
    // SAFETY: NULL or a live match (this function\'s contract).
    unsafe { string_of(m, |m| &m.list_id) }
}

/// The list's human-readable name (its id when the header gives none).
///
/// # Safety
///
/// As for `hashwall_match_list_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_match_list_name(m: *const HwMatch) -> *const c_char {
    // SAFETY: NULL or a live match (this function\'s contract).
    unsafe { string_of(m, |m| &m.list_name) }
}

/// Who issued the list.
///
/// # Safety
///
/// As for `hashwall_match_list_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_match_issuer(m: *const HwMatch) -> *const c_char {
    // SAFETY: NULL or a live match (this function\'s contract).
    unsafe { string_of(m, |m| &m.issuer) }
}

/// The list's jurisdiction: an ISO 3166-1 alpha-2 code or `INT`.
///
/// # Safety
///
/// As for `hashwall_match_list_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_match_jurisdiction(m: *const HwMatch) -> *const c_char {
    // SAFETY: NULL or a live match (this function\'s contract).
    unsafe { string_of(m, |m| &m.jurisdiction) }
}

/// The list's category (`csam`, `terrorism`, …).
///
/// # Safety
///
/// As for `hashwall_match_list_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_match_category(m: *const HwMatch) -> *const c_char {
    // SAFETY: NULL or a live match (this function\'s contract).
    unsafe { string_of(m, |m| &m.category) }
}

/// The entry's kind token (`url`, `url-prefix`, `domain`, `url-sha256`,
/// `pdq`, `phash`, `dhash`, `md5`, `sha1`, `sha256`).
///
/// # Safety
///
/// As for `hashwall_match_list_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_match_kind(m: *const HwMatch) -> *const c_char {
    // SAFETY: NULL or a live match (this function\'s contract).
    unsafe { string_of(m, |m| &m.kind) }
}

/// The case or report id the list gave for the entry; NULL when it gave
/// none (or for a NULL match).
///
/// # Safety
///
/// As for `hashwall_match_list_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_match_reference(m: *const HwMatch) -> *const c_char {
    // SAFETY: NULL or a live handle (this function\'s contract).
    unsafe {
        read(m, std::ptr::null(), |m| {
            m.reference
                .as_deref()
                .map_or(std::ptr::null(), CStr::as_ptr)
        })
    }
}

/// What of the input matched: the Safe Browsing expression (`host/path`)
/// or host for URL entries, the input's hash in lowercase hex for image
/// entries (for PDQ, of the variant that matched).
///
/// # Safety
///
/// As for `hashwall_match_list_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_match_expression(m: *const HwMatch) -> *const c_char {
    // SAFETY: NULL or a live match (this function\'s contract).
    unsafe { string_of(m, |m| &m.expression) }
}

/// The action this match asks for (its list's enforced policy);
/// `HASHWALL_ACTION_INVALID` for NULL.
///
/// # Safety
///
/// `m` is NULL or a match of a verdict not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_match_action(m: *const HwMatch) -> HwAction {
    // SAFETY: NULL or a live handle (this function\'s contract).
    unsafe { read(m, HwAction::Invalid, |m| m.action) }
}

/// The Hamming distance between the input's hash and the listed one for
/// perceptual hashes (`pdq`, `phash`, `dhash`); -1 for other kinds and
/// for NULL.
///
/// # Safety
///
/// `m` is NULL or a match of a verdict not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_match_distance(m: *const HwMatch) -> i32 {
    // SAFETY: NULL or a live handle (this function\'s contract).
    unsafe { read(m, -1, |m| m.distance) }
}

/// For PDQ matches, the rotation or mirror image that maps the input onto
/// the listed image; `HASHWALL_VARIANT_NONE` otherwise and for NULL.
///
/// # Safety
///
/// `m` is NULL or a match of a verdict not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hashwall_match_variant(m: *const HwMatch) -> HwVariant {
    // SAFETY: NULL or a live handle (this function\'s contract).
    unsafe { read(m, HwVariant::None, |m| m.variant) }
}

/// The token of an action (`"no-match"`, `"monitor"`, `"block"`,
/// `"allow"`; `"invalid"` for any other value: any integer may be passed).
/// Static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn hashwall_action_name(action: i32) -> *const c_char {
    crate::guard::or(c"invalid".as_ptr(), || {
        let name = match action {
            0 => c"no-match",
            1 => c"monitor",
            2 => c"block",
            3 => c"allow",
            _ => c"invalid",
        };
        name.as_ptr()
    })
}

/// The token of a variant (`"orig"`, `"rot90"`, `"rot180"`, `"rot270"`,
/// `"flipx"`, `"flipy"`, `"flipplus1"`, `"flipminus1"`; `"none"` for any
/// other value: any integer may be passed). Static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn hashwall_variant_name(variant: i32) -> *const c_char {
    crate::guard::or(c"none".as_ptr(), || variant_name(variant).as_ptr())
}

fn variant_name(variant: i32) -> &'static CStr {
    usize::try_from(variant)
        .ok()
        .and_then(|i| Dihedral::ALL.get(i))
        .map_or(c"none", |d| match d {
            Dihedral::Original => c"orig",
            Dihedral::Rot90 => c"rot90",
            Dihedral::Rot180 => c"rot180",
            Dihedral::Rot270 => c"rot270",
            Dihedral::FlipX => c"flipx",
            Dihedral::FlipY => c"flipy",
            Dihedral::FlipPlus1 => c"flipplus1",
            Dihedral::FlipMinus1 => c"flipminus1",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_codes_follow_the_reference_order() {
        for (i, d) in Dihedral::ALL.into_iter().enumerate() {
            assert_eq!(HwVariant::of(Some(d)) as i32, i as i32);
            let name = hashwall_variant_name(i as i32);
            // SAFETY: a static NUL-terminated string.
            assert_eq!(unsafe { CStr::from_ptr(name) }.to_str(), Ok(d.as_str()));
        }
        // SAFETY: as above.
        let none = unsafe { CStr::from_ptr(hashwall_variant_name(-1)) };
        assert_eq!(none.to_str(), Ok("none"));
    }

    #[test]
    fn action_names_match_the_engine() {
        for a in [
            Action::NoMatch,
            Action::Monitor,
            Action::Block,
            Action::Allow,
        ] {
            let name = hashwall_action_name(HwAction::of(a) as i32);
            // SAFETY: a static NUL-terminated string.
            assert_eq!(unsafe { CStr::from_ptr(name) }.to_str(), Ok(a.as_str()));
        }
    }
}
