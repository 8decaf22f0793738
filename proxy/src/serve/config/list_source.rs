//! The list sections: `[lists]`, `[trust]` and each `[[list]]`, whose
//! source is one of three kinds ([`ListSource`]). A `[[list]]` is checked
//! as it is read (one kind, the keys that kind takes, values in range); the
//! files it names are read when `serve` starts, not here.

use std::path::PathBuf;

use hashwall_lists::{ExpiredPolicy, Policy};
use serde::Deserialize;

use crate::serve::publisher::BaseUrl;

/// `[lists]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListsConfig {
    /// Poll list files for changes (mtime and size) every this many seconds;
    /// 0 turns polling off.
    pub poll_secs: f64,
    /// The state file recording, per list, the highest sequence ever
    /// served ([`super::state`]): the rollback floor survives a restart.
    /// None keeps the floor in memory only.
    #[serde(default)]
    pub state: Option<PathBuf>,
}

/// `[trust]`: every list file must verify against the trust store (signed
/// by a key trusted for its issuer, within the key's window, not expired)
/// unless unsigned lists are allowed. A signed list must always verify.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustConfig {
    /// The trust store file (`FORMAT.md`, "Trust store"); re-read at every
    /// reload, so a key rotation needs no restart. Without one, only
    /// unsigned lists (where allowed) load.
    #[serde(default)]
    pub store: Option<PathBuf>,
    /// Accept list files without a signature (default: no). `[[list]]`
    /// `allow_unsigned` overrides this per list.
    pub allow_unsigned: bool,
    /// An expired list: `refuse` it (the load fails) or `flag` it (load it
    /// and log a warning).
    #[serde(deserialize_with = "de_expired")]
    pub expired: ExpiredPolicy,
}

fn de_expired<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ExpiredPolicy, D::Error> {
    match String::deserialize(d)?.as_str() {
        "refuse" => Ok(ExpiredPolicy::Refuse),
        "flag" => Ok(ExpiredPolicy::Flag),
        other => Err(serde::de::Error::custom(format!(
            "trust.expired must be \"refuse\" or \"flag\", got {other:?}"
        ))),
    }
}

/// One `[[list]]`: where the list comes from and how it is applied.
#[derive(Clone, Debug)]
pub struct ListSourceConfig {
    /// Where the list comes from.
    pub source: ListSource,
    /// Override the issuer's policy: `block`, `monitor` or `allow`.
    pub policy: Option<Policy>,
    /// Skip (and count) entries that cannot be compiled instead of refusing
    /// the list.
    pub skip_invalid: bool,
    /// Accept this list unsigned (overrides `trust.allow_unsigned`); the
    /// built-in demo list is always accepted unsigned, a subscription never.
    pub allow_unsigned: Option<bool>,
    /// Accept a reload that finds this list at a lower sequence than the
    /// one served (off: such a rollback is refused and the last good list
    /// kept).
    pub allow_rollback: bool,
    /// How the paths of the list's URL entries compare with a URL's.
    pub path_case: PathCase,
}

/// `[[list]] path_case`: whether the letter case of a URL's path matters,
/// as it does to most origins, or not, as on case-insensitive file systems.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PathCase {
    /// `/Banned/` and `/banned/` are different paths (the default).
    #[default]
    Sensitive,
    /// They are the same path.
    Insensitive,
}

/// Where a `[[list]]` comes from: exactly one of `path`, `builtin` and
/// `subscribe`.
#[derive(Clone, Debug)]
pub enum ListSource {
    /// `path`: a list file in the text format.
    File(PathBuf),
    /// `builtin`: a list built into the binary.
    Builtin(Builtin),
    /// `subscribe`: a publisher followed over HTTP(S).
    Subscription(Box<SubscriptionConfig>),
}

/// The lists built into the binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `demo`: the example list of the embedded default configuration.
    Demo,
}

/// A `subscribe` `[[list]]`: a publication directory and the local copy.
#[derive(Clone, Debug)]
pub struct SubscriptionConfig {
    /// The publication directory (`hashlists/FORMAT.md`, "Publication").
    pub url: BaseUrl,
    /// The local copy of the list: served, and loaded at start when the
    /// publisher is unreachable.
    pub cache: PathBuf,
    /// Poll the publisher's manifest this often (seconds; default 60).
    pub poll_secs: f64,
    /// Longest one fetch may take (seconds, connect included; default 120).
    pub timeout_secs: f64,
    /// Largest file fetched (bytes; default 1 GiB).
    pub max_bytes: u64,
    /// PEM file of the CA(s) that sign an `https://` publisher's
    /// certificate; when given, only they are trusted (default: Mozilla's
    /// roots).
    pub ca_file: Option<PathBuf>,
    /// File holding the bearer token sent to the publisher
    /// (`Authorization: Bearer …`); surrounding whitespace is ignored.
    pub token_file: Option<PathBuf>,
}

impl ListSourceConfig {
    /// The paths this `[[list]]` names, to resolve against the
    /// configuration file's directory.
    pub(super) fn paths_mut(&mut self) -> Vec<&mut PathBuf> {
        match &mut self.source {
            ListSource::File(p) => vec![p],
            ListSource::Builtin(_) => Vec::new(),
            ListSource::Subscription(s) => {
                let mut v = vec![&mut s.cache];
                v.extend(s.ca_file.as_mut());
                v.extend(s.token_file.as_mut());
                v
            }
        }
    }

    /// The subscription, when this list is one.
    pub fn subscription(&self) -> Option<&SubscriptionConfig> {
        match &self.source {
            ListSource::Subscription(s) => Some(s),
            _ => None,
        }
    }
}

/// A `[[list]]` as written, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawListSource {
    #[serde(default)]
    path: Option<PathBuf>,
    #[serde(default)]
    builtin: Option<String>,
    #[serde(default, deserialize_with = "de_policy")]
    policy: Option<Policy>,
    #[serde(default)]
    skip_invalid: bool,
    #[serde(default)]
    allow_unsigned: Option<bool>,
    #[serde(default)]
    allow_rollback: bool,
    #[serde(default)]
    path_case: PathCase,
    #[serde(default)]
    subscribe: Option<String>,
    #[serde(default)]
    cache: Option<PathBuf>,
    #[serde(default)]
    poll_secs: Option<f64>,
    #[serde(default)]
    timeout_secs: Option<f64>,
    #[serde(default)]
    max_bytes: Option<u64>,
    #[serde(default)]
    ca_file: Option<PathBuf>,
    #[serde(default)]
    token_file: Option<PathBuf>,
    #[serde(default)]
    allow_cleartext_token: bool,
}

/// Reads the `[[list]]` array, naming the entry (`#n`, from 1) an error is in.
pub(super) fn de_list_sources<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<ListSourceConfig>, D::Error> {
    let raw = Vec::<RawListSource>::deserialize(d)?;
    raw.into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.check()
                .map_err(|m| serde::de::Error::custom(format!("[[list]] #{}: {m}", i + 1)))
        })
        .collect()
}

impl RawListSource {
    fn check(self) -> Result<ListSourceConfig, String> {
        let keys = self.rest();
        let source = match (self.path, self.builtin, self.subscribe) {
            (Some(p), None, None) => ListSource::File(p),
            (None, Some(b), None) if b == "demo" => ListSource::Builtin(Builtin::Demo),
            (None, Some(b), None) => return Err(format!("unknown builtin {b:?}")),
            (None, None, Some(url)) => {
                ListSource::Subscription(Box::new(subscription(&url, &keys)?))
            }
            _ => return Err("give exactly one of `path`, `builtin` and `subscribe`".into()),
        };
        if !matches!(source, ListSource::Subscription(_)) && keys.any() {
            return Err(
                "`cache`, `poll_secs`, `timeout_secs`, `max_bytes`, `ca_file`, \
                 `token_file` and `allow_cleartext_token` are only for a `subscribe` list"
                    .into(),
            );
        }
        Ok(ListSourceConfig {
            source,
            policy: self.policy,
            skip_invalid: self.skip_invalid,
            allow_unsigned: self.allow_unsigned,
            allow_rollback: self.allow_rollback,
            path_case: self.path_case,
        })
    }

    fn rest(&self) -> SubscriptionKeys {
        SubscriptionKeys {
            cache: self.cache.clone(),
            poll_secs: self.poll_secs,
            timeout_secs: self.timeout_secs,
            max_bytes: self.max_bytes,
            ca_file: self.ca_file.clone(),
            token_file: self.token_file.clone(),
            allow_cleartext_token: self.allow_cleartext_token,
        }
    }
}

/// The keys only a `subscribe` list takes.
struct SubscriptionKeys {
    cache: Option<PathBuf>,
    poll_secs: Option<f64>,
    timeout_secs: Option<f64>,
    max_bytes: Option<u64>,
    ca_file: Option<PathBuf>,
    token_file: Option<PathBuf>,
    allow_cleartext_token: bool,
}

impl SubscriptionKeys {
    fn any(&self) -> bool {
        self.cache.is_some()
            || self.poll_secs.is_some()
            || self.timeout_secs.is_some()
            || self.max_bytes.is_some()
            || self.ca_file.is_some()
            || self.token_file.is_some()
            || self.allow_cleartext_token
    }
}

/// Checks a `subscribe` list's keys (syntax and ranges; the CA and token
/// files are read when `serve` starts).
fn subscription(url: &str, k: &SubscriptionKeys) -> Result<SubscriptionConfig, String> {
    let base = BaseUrl::parse(url)?;
    if !base.is_https() {
        if k.ca_file.is_some() {
            return Err(format!(
                "`ca_file` is for an https:// publisher, but {url:?} is http://"
            ));
        }
        if k.token_file.is_some() && !k.allow_cleartext_token {
            return Err(format!(
                "`token_file` with {url:?} would send the token in clear text: \
                 use https://, or set allow_cleartext_token = true"
            ));
        }
    }
    let Some(cache) = k.cache.clone() else {
        return Err("`subscribe` needs `cache`, the local copy of the list".into());
    };
    let poll = k.poll_secs.unwrap_or(60.0);
    let timeout = k.timeout_secs.unwrap_or(120.0);
    let max = k.max_bytes.unwrap_or(1 << 30);
    if !(poll.is_finite() && (0.05..=86_400.0).contains(&poll)) {
        return Err(format!("poll_secs must be in 0.05..=86400, got {poll}"));
    }
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 3600.0) {
        return Err(format!(
            "timeout_secs must be > 0 and at most 3600, got {timeout}"
        ));
    }
    if !(1024..=1 << 34).contains(&max) {
        return Err(format!(
            "max_bytes must be in 1024..=17179869184, got {max}"
        ));
    }
    Ok(SubscriptionConfig {
        url: base,
        cache,
        poll_secs: poll,
        timeout_secs: timeout,
        max_bytes: max,
        ca_file: k.ca_file.clone(),
        token_file: k.token_file.clone(),
    })
}

fn de_policy<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Policy>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    s.map(|s| s.parse::<Policy>().map_err(serde::de::Error::custom))
        .transpose()
}
