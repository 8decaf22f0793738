//! Hasher-Matcher-Actioner 2.0 ("Open Media Match") compatible endpoints:
//! the paths, query parameters and JSON shapes of HMA's `matching.py` and
//! `hashing.py` blueprints, so an HMA client switches by changing a URL.
//!
//! A bank is a list id; a bank's content is a list entry, and
//! `bank_content_id` is the entry's reference (HMA: an integer id). The
//! deviations are tabled in `PROXY.md`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use hashwall::image::Algorithm;
use hashwall::lists::EntryKind;
use hashwall::{
    DEFAULT_HASH64_MAX_DISTANCE, DEFAULT_PDQ_MAX_DISTANCE, HashValue, Snapshot, Verdict,
};
use serde_json::{Value, json};

use super::errors::ApiError;
use super::imaging::hash_and_check;
use super::multipart::{photo_field, read_body};
use super::native::{hash_kind, parse_json};
use super::state::ApiState;

type Params = HashMap<String, String>;

fn params(uri: &Uri) -> Result<Params, ApiError> {
    Query::<Params>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request("bad_query", e.body_text()))
}

/// The entry kind of an HMA signal type name (`pdq`; hashwall's other
/// image kinds by their list names).
fn signal_kind(name: &str) -> Result<EntryKind, ApiError> {
    hash_kind(name).ok_or_else(|| {
        ApiError::bad_request(
            "unknown_signal_type",
            format!("No such SignalType '{name}' (pdq, phash, dhash, md5, sha1, sha256)"),
        )
    })
}

fn signal(params: &Params) -> Result<(String, HashValue), ApiError> {
    let (Some(st), Some(sig)) = (params.get("signal_type"), params.get("signal")) else {
        return Err(ApiError::bad_request(
            "missing_parameter",
            "both signal and signal_type are required (or a url)",
        ));
    };
    let kind = signal_kind(st)?;
    let value = HashValue::parse(kind, sig)
        .map_err(|e| ApiError::bad_request("invalid_signal", format!("invalid signal: {e}")))?;
    Ok((st.clone(), value))
}

fn banks(params: &Params) -> Option<HashSet<String>> {
    params
        .get("banks")
        .filter(|b| !b.is_empty())
        .map(|b| b.split(',').map(|s| s.trim().to_owned()).collect())
}

/// HMA's `{"bank_content_id", "distance"}` (distance as HMA's
/// `pretty_str`, a string).
fn content(m: &hashwall::Match) -> Value {
    json!({
        "bank_content_id": m.reference(),
        "distance": m.distance().unwrap_or(0).to_string(),
    })
}

/// Matches by bank, restricted to `banks` when given.
fn by_bank(v: &Verdict, banks: Option<&HashSet<String>>) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for m in v.matches() {
        let bank = m.list().id();
        if banks.is_none_or(|b| b.contains(bank)) {
            out.entry(bank.to_owned()).or_default().push(content(m));
        }
    }
    out
}

/// The `url` of a fetch-by-URL request, when given (`content_type`, if
/// present, must be `photo`).
fn media_url(p: &Params) -> Result<Option<&str>, ApiError> {
    let Some(url) = p.get("url") else {
        return Ok(None);
    };
    match p.get("content_type").map(String::as_str) {
        None | Some("photo") => Ok(Some(url)),
        Some(other) => Err(ApiError::bad_request(
            "unsupported_content_type",
            format!("content_type {other:?}: hashwall hashes photos only"),
        )),
    }
}

/// The PDQ hash of the media at `url` (fetched from an allowed host).
async fn hash_url(
    api: &ApiState,
    url: &str,
    snapshot: Arc<Snapshot>,
) -> Result<HashValue, ApiError> {
    let bytes = api.fetcher.fetch(url).await?;
    pdq_of(api, bytes, snapshot).await
}

/// `GET /m/lookup?signal_type=&signal=[&banks=]`: matches by bank.
pub async fn lookup_get(
    State(api): State<Arc<ApiState>>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let p = params(&uri)?;
    if let Some(url) = media_url(&p)? {
        let snapshot = api.snapshot();
        let pdq = hash_url(&api, url, Arc::clone(&snapshot)).await?;
        let v = snapshot.check_hash(&pdq);
        return Ok(Json(json!({"pdq": by_bank(&v, banks(&p).as_ref())})));
    }
    let (_, value) = signal(&p)?;
    let v = api.snapshot().check_hash(&value);
    Ok(Json(json!(by_bank(&v, banks(&p).as_ref()))))
}

/// `POST /m/lookup[?banks=]` with a multipart `photo`: hashed, then
/// matched; the result is keyed by signal type.
pub async fn lookup_post(
    State(api): State<Arc<ApiState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let p = params(&uri)?;
    let snapshot = api.snapshot();
    let pdq = hash_photo(&api, &headers, body, Arc::clone(&snapshot)).await?;
    let v = snapshot.check_hash(&pdq);
    Ok(Json(json!({"pdq": by_bank(&v, banks(&p).as_ref())})))
}

/// `GET /m/raw_lookup?signal_type=&signal=[&banks=][&include_distance=true]`.
pub async fn raw_lookup(
    State(api): State<Arc<ApiState>>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let p = params(&uri)?;
    let (_, value) = signal(&p)?;
    let with_distance = p
        .get("include_distance")
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"));
    let wanted = banks(&p);
    let v = api.snapshot().check_hash(&value);
    let matches: Vec<Value> = v
        .matches()
        .iter()
        .filter(|m| wanted.as_ref().is_none_or(|b| b.contains(m.list().id())))
        .map(|m| {
            if with_distance {
                content(m)
            } else {
                json!(m.reference())
            }
        })
        .collect();
    Ok(Json(json!({ "matches": matches })))
}

/// `POST /m/compare` with `{"pdq": ["<hex>", "<hex>"], …}`: per signal
/// type, `[matches, {"distance": d}]` at the default thresholds (PDQ 31,
/// 64-bit hashes 10); digests match when equal.
pub async fn compare(
    State(api): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let bytes = read_body(&api, &headers, body).await?;
    let req: serde_json::Map<String, Value> = parse_json(&headers, &bytes)
        .map_err(|_| ApiError::bad_request("bad_json", "Request input was not a dict"))?;
    let mut out = serde_json::Map::new();
    for (st, pair) in req {
        let kind = signal_kind(&st)?;
        let Some([a, b]) = pair.as_array().map(Vec::as_slice) else {
            return Err(ApiError::bad_request(
                "bad_comparison",
                format!("Comparison hash list length must be exactly 2 (for {st})"),
            ));
        };
        let parse = |v: &Value| {
            v.as_str()
                .and_then(|s| HashValue::parse(kind, s).ok())
                .ok_or_else(|| {
                    ApiError::bad_request("invalid_signal", format!("Invalid {st} hash"))
                })
        };
        let (a, b) = (parse(a)?, parse(b)?);
        let result = match (a, b) {
            (HashValue::Pdq { hash: x, .. }, HashValue::Pdq { hash: y, .. }) => {
                let d = x.hamming_distance(&y);
                json!([d <= DEFAULT_PDQ_MAX_DISTANCE, {"distance": d}])
            }
            (HashValue::Phash(x), HashValue::Phash(y))
            | (HashValue::Dhash(x), HashValue::Dhash(y)) => {
                let d = (x ^ y).count_ones();
                json!([d <= DEFAULT_HASH64_MAX_DISTANCE, {"distance": d}])
            }
            (x, y) => json!([x == y, {}]),
        };
        out.insert(st, result);
    }
    Ok(Json(Value::Object(out)))
}

/// `GET /m/index/status[?signal_type=]`: per signal type, whether the
/// loaded lists hold such entries, the newest list's creation time
/// (`built_to`, Unix seconds; -1 when none) and the image entries loaded.
pub async fn index_status(
    State(api): State<Arc<ApiState>>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let p = params(&uri)?;
    let snapshot = api.snapshot();
    let names = ["pdq", "phash", "dhash", "md5", "sha1", "sha256"];
    let selected: Vec<&str> = match p.get("signal_type") {
        Some(st) => {
            signal_kind(st)?;
            names.into_iter().filter(|n| n == st).collect()
        }
        None => names.to_vec(),
    };
    let mut out = serde_json::Map::new();
    for name in selected {
        let size = hash_kind(name).map_or(0, |k| snapshot.stats().image_entries_of(k));
        out.insert(name.to_owned(), status(&snapshot, size));
    }
    Ok(Json(Value::Object(out)))
}

/// HMA's index status of one signal type holding `size` entries.
fn status(snapshot: &Snapshot, size: usize) -> Value {
    if size == 0 {
        return json!({"present": false, "built_to": -1, "size": 0});
    }
    let built_to = snapshot
        .lists()
        .iter()
        .map(|l| l.created().unix_seconds())
        .max()
        .unwrap_or(-1);
    json!({"present": true, "built_to": built_to, "size": size})
}

/// The PDQ hash (with its quality) of the `photo` in a multipart body.
async fn hash_photo(
    api: &ApiState,
    headers: &HeaderMap,
    body: Body,
    snapshot: Arc<Snapshot>,
) -> Result<HashValue, ApiError> {
    let bytes = read_body(api, headers, body).await?;
    if !super::multipart::is_multipart(headers) {
        return Err(ApiError::bad_request(
            "missing_file",
            "Missing multipart/form-data file upload",
        ));
    }
    let photo = photo_field(headers, bytes).await?;
    pdq_of(api, photo, snapshot).await
}

/// The PDQ hash (with its quality) of an image's bytes.
async fn pdq_of(
    api: &ApiState,
    bytes: Bytes,
    snapshot: Arc<Snapshot>,
) -> Result<HashValue, ApiError> {
    let hashed = hash_and_check(api, snapshot, bytes).await?;
    if let Some(e) = &hashed.decode_error {
        return Err(ApiError::image(e));
    }
    hashed
        .hashes
        .get(Algorithm::Pdq)
        .map(|h| h.value)
        .ok_or_else(|| ApiError::unprocessable("undecodable_image", "no PDQ hash"))
}

/// `POST /h/hash` with a multipart `photo`: `{"pdq": "<hex>"}`.
pub async fn hash_post(
    State(api): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let pdq = hash_photo(&api, &headers, body, api.snapshot()).await?;
    Ok(Json(json!({"pdq": pdq.to_string()})))
}

/// `GET /h/hash?url=[&content_type=photo]`: `{"pdq": "<hex>"}` of the
/// media at `url`, fetched only from `api.fetch_hosts` ([`super::fetch`]).
pub async fn hash_get(State(api): State<Arc<ApiState>>, uri: Uri) -> Result<Json<Value>, ApiError> {
    let p = params(&uri)?;
    let Some(url) = media_url(&p)? else {
        return Err(ApiError::bad_request(
            "missing_parameter",
            "url is required",
        ));
    };
    let pdq = hash_url(&api, url, api.snapshot()).await?;
    Ok(Json(json!({"pdq": pdq.to_string()})))
}
