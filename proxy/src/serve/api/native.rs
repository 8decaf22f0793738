//! The native endpoints, with the full verdict: `POST /v1/check` (a JSON
//! batch of URLs and hashes), `POST /v1/check/image` (an image: its hashes
//! and the verdict), `GET /v1/lists`.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use hashwall::image::{Algorithm, Dihedral};
use hashwall::lists::EntryKind;
use hashwall::{HashValue, Match, Snapshot, Verdict};
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::ApiError;
use super::imaging::hash_and_check;
use super::multipart::{image_upload, read_body};
use super::state::ApiState;

/// One match, with its provenance.
pub fn match_json(m: &Match) -> Value {
    let l = m.list();
    json!({
        "list": l.id(),
        "issuer": l.issuer(),
        "jurisdiction": l.jurisdiction().to_string(),
        "category": l.category().to_string(),
        "action": m.action().as_str(),
        "kind": m.kind().as_str(),
        "reference": m.reference(),
        "distance": m.distance(),
        "variant": m.variant().map(Dihedral::as_str),
    })
}

/// A verdict: the action, every match, and the lists skipped with why.
pub fn verdict_json(v: &Verdict) -> Value {
    json!({
        "action": v.action().as_str(),
        "matches": v.matches().iter().map(match_json).collect::<Vec<_>>(),
        "skipped": v.skipped().iter().map(|s| json!({
            "list": s.list().id(),
            "reason": s.reason().to_string(),
        })).collect::<Vec<_>>(),
    })
}

/// `POST /v1/check`'s body. Items are kept as JSON values so that one bad
/// item is an error for that item, not for the batch.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    #[serde(default)]
    urls: Vec<Value>,
    #[serde(default)]
    hashes: Vec<Value>,
}

/// Parses a JSON body, or says why not (400).
pub fn parse_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    let typed = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if let Some(t) = typed
        && t != "application/json"
    {
        return Err(ApiError::unsupported_media(format!(
            "content type {t:?}: send application/json"
        )));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!("the body is not valid JSON for this endpoint: {e}"),
        )
    })
}

/// `POST /v1/check`.
pub async fn check(
    State(api): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let bytes = read_body(&api, &headers, body).await?;
    let req: CheckRequest = parse_json(&headers, &bytes)?;
    let items = req.urls.len().saturating_add(req.hashes.len());
    let max = api.config().max_batch;
    if items > max {
        return Err(ApiError::too_large(
            "batch_too_large",
            format!("{items} items in one batch; at most {max} (api.max_batch)"),
        ));
    }
    let snapshot = api.snapshot();
    let urls: Vec<Value> = req.urls.iter().map(|u| check_url(&snapshot, u)).collect();
    let hashes: Vec<Value> = req
        .hashes
        .iter()
        .map(|h| check_hash(&snapshot, h))
        .collect();
    Ok(Json(json!({"urls": urls, "hashes": hashes})))
}

fn item_error(e: &ApiError) -> Value {
    json!({"error": e.to_json()})
}

fn check_url(snapshot: &Snapshot, item: &Value) -> Value {
    let Some(url) = item.as_str() else {
        return item_error(&ApiError::bad_request(
            "bad_item",
            "a URL item must be a string",
        ));
    };
    match snapshot.check_url(url) {
        Ok(v) => {
            let mut out = verdict_json(&v);
            out["url"] = json!(url);
            out
        }
        Err(e) => {
            let mut out = item_error(&ApiError::unprocessable("invalid_url", e.to_string()));
            out["url"] = json!(url);
            out
        }
    }
}

/// A hash kind by name, when it is an image kind.
pub fn hash_kind(name: &str) -> Option<EntryKind> {
    let kind: EntryKind = name.parse().ok()?;
    Algorithm::for_entry_kind(kind).map(|_| kind)
}

fn check_hash(snapshot: &Snapshot, item: &Value) -> Value {
    let (Some(kind), Some(value)) = (
        item.get("kind").and_then(Value::as_str),
        item.get("value").and_then(Value::as_str),
    ) else {
        return item_error(&ApiError::bad_request(
            "bad_item",
            "a hash item is {\"kind\": \"pdq\", \"value\": \"<hex>\"}",
        ));
    };
    let mut out = match hash_kind(kind) {
        None => item_error(&ApiError::unprocessable(
            "unknown_hash_kind",
            format!("unknown hash kind {kind:?} (pdq, phash, dhash, md5, sha1, sha256)"),
        )),
        Some(k) => match HashValue::parse(k, value) {
            Ok(h) => verdict_json(&snapshot.check_hash(&h)),
            Err(e) => item_error(&ApiError::unprocessable("invalid_hash", e.to_string())),
        },
    };
    out["kind"] = json!(kind);
    out["value"] = json!(value);
    out
}

/// `POST /v1/check/image`.
pub async fn check_image(
    State(api): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let bytes = read_body(&api, &headers, body).await?;
    let image = image_upload(&headers, bytes).await?;
    let hashed = hash_and_check(&api, api.snapshot(), image).await?;
    if let Some(e) = &hashed.decode_error
        && hashed.verdict.is_empty()
    {
        return Err(ApiError::image(e));
    }
    let h = &hashed.hashes;
    let hex = |a| h.get(a).map(|x| x.value.to_string());
    let pdq = h
        .get(Algorithm::Pdq)
        .map(|p| json!({"hash": p.value.to_string(), "quality": p.quality()}));
    Ok(Json(json!({
        "hashes": {
            "pdq": pdq,
            "md5": hex(Algorithm::Md5),
            "sha1": hex(Algorithm::Sha1),
            "sha256": hex(Algorithm::Sha256),
        },
        "dimensions": h.dimensions.map(|(w, hh)| json!({"width": w, "height": hh})),
        "decode_error": hashed.decode_error.as_ref().map(|e| e.to_string()),
        "verdict": verdict_json(&hashed.verdict),
    })))
}

/// `GET /v1/lists`.
pub async fn lists(State(api): State<Arc<ApiState>>) -> Json<Value> {
    let snapshot = api.snapshot();
    let lists: Vec<Value> = snapshot
        .lists()
        .iter()
        .map(|l| {
            json!({
                "id": l.id(),
                "issuer": l.issuer(),
                "name": l.name(),
                "jurisdiction": l.jurisdiction().to_string(),
                "category": l.category().to_string(),
                "sequence": l.sequence(),
                "entries": l.entries(),
                "policy": l.policy().as_str(),
                "created": l.created().to_string(),
            })
        })
        .collect();
    Json(json!({ "lists": lists }))
}
