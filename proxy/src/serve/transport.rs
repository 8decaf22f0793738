//! The channel between a publisher and its subscribers: TLS (rustls with
//! the ring provider) and bearer tokens.
//!
//! Every list and delta is signed, so integrity never depended on the
//! transport; confidentiality does. A list of abuse URLs is itself
//! sensitive (the IWF list is licensed to members only): whoever reads it
//! in transit, or fetches it from an open publisher, holds an index of the
//! material it blocks. So a subscription can require HTTPS with a verified
//! server certificate, and both sides can require a bearer token.
//!
//! Trust roots for a subscription: by default Mozilla's (`webpki-roots`,
//! built in), so verification behaves the same on every host, including
//! minimal containers without a CA bundle, and a host's added roots (a
//! corporate interception CA, say) are not trusted with the list. A
//! `ca_file` replaces them: only that private CA is trusted.

use std::path::Path;
use std::sync::Arc;

use hyper::header::HeaderValue;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use subtle::ConstantTimeEq as _;

/// Longest token file accepted: a token is a short secret; anything
/// larger is the wrong file.
const MAX_TOKEN_BYTES: u64 = 4096;

/// A bearer token. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Token {
    /// Reads a token file: its content with surrounding whitespace
    /// removed, which must be non-empty visible ASCII (RFC 6750 tokens
    /// are). Errors name the file, never its content.
    pub fn read_file(path: &Path) -> Result<Token, String> {
        let what = path.display();
        let meta = std::fs::metadata(path).map_err(|e| format!("token file {what}: {e}"))?;
        if !meta.is_file() {
            return Err(format!("token file {what}: not a regular file"));
        }
        if meta.len() > MAX_TOKEN_BYTES {
            return Err(format!(
                "token file {what}: larger than {MAX_TOKEN_BYTES} bytes, not a token"
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("token file {what}: {e}"))?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| format!("token file {what}: not text"))?
            .trim();
        if text.is_empty() {
            return Err(format!("token file {what} is empty"));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "token file {what}: the token must be visible ASCII without spaces"
            ));
        }
        Ok(Token(text.to_owned()))
    }

    /// The `Authorization` header value, marked sensitive (kept out of
    /// hyper's debug output and header compression tables).
    pub fn header_value(&self) -> Result<HeaderValue, String> {
        let mut v = HeaderValue::from_str(&format!("Bearer {}", self.0))
            .map_err(|_| "the token is not a valid header value".to_owned())?;
        v.set_sensitive(true);
        Ok(v)
    }

    /// Whether an `Authorization` header value carries this token, in time
    /// independent of where a wrong token differs.
    pub fn accepts(&self, authorization: Option<&HeaderValue>) -> bool {
        let Some(given) = authorization.and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let Some((scheme, token)) = given.trim().split_once(' ') else {
            return false;
        };
        scheme.eq_ignore_ascii_case("bearer")
            && bool::from(token.trim().as_bytes().ct_eq(self.0.as_bytes()))
    }
}

/// Whether a secret's file (a token, a TLS key) can be read by any user of
/// the host: worth a warning. Group access is not flagged (Debian keeps
/// TLS keys 0640 in group `ssl-cert`).
pub fn readable_by_others(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o004 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates of a PEM file (at least one).
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let what = path.display();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{what}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{what}: no PEM certificate in it"));
    }
    Ok(certs)
}

/// The roots a subscription trusts: the certificates of `ca_file` alone,
/// or Mozilla's.
pub fn root_store(ca_file: Option<&Path>) -> Result<RootCertStore, String> {
    let Some(path) = ca_file else {
        return Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
    };
    let mut roots = RootCertStore::empty();
    for cert in read_certificates(path)? {
        roots
            .add(cert)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(roots)
}

/// The TLS configuration of a subscription's client: server certificates
/// verified against [`root_store`], no client certificate. (The connector
/// sets ALPN itself, and refuses a configuration that already has it.)
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    let roots = root_store(ca_file)?;
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS client: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The TLS configuration of the publisher's server: the certificate chain
/// of `cert` (PEM, leaf first) and the private key of `key` (PEM).
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let chain = read_certificates(cert)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS server: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Whether a client error came from TLS (certificate, name, handshake):
/// a [`rustls::Error`] somewhere in its chain of sources, directly or
/// inside I/O errors (the connector wraps it in two).
pub fn is_tls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        // `io::Error::source` skips the error it wraps: unwrap by hand.
        let mut inner = err;
        loop {
            if inner.is::<rustls::Error>() {
                return true;
            }
            match inner
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
            {
                Some(wrapped) => inner = wrapped,
                None => break,
            }
        }
        cur = err.source();
    }
    false
}

/// An error and its sources, `: `-separated (hyper's own messages say
/// little more than "client error (Connect)").
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if !out.ends_with(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = err.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_and_compared_exactly() {
        let t = Token("s3cret.token".to_owned());
        let ok = HeaderValue::from_static("Bearer s3cret.token");
        assert!(t.accepts(Some(&ok)));
        assert!(t.accepts(Some(&HeaderValue::from_static("bearer  s3cret.token"))));
        for bad in [
            "Bearer s3cret.toke",
            "Bearer s3cret.tokenX",
            "Basic s3cret.token",
            "s3cret.token",
            "Bearer",
        ] {
            assert!(!t.accepts(Some(&HeaderValue::from_static(bad))), "{bad}");
        }
        assert!(!t.accepts(None));
        assert!(!format!("{t:?}").contains("s3cret"));
        let v = t.header_value().unwrap_or_else(|e| panic!("{e}"));
        assert!(v.is_sensitive());
    }

    #[cfg(unix)]
    #[test]
    fn secrets_readable_by_everyone_are_noticed() {
        use std::os::unix::fs::PermissionsExt as _;
        let path = std::env::temp_dir().join(format!("hashwall-token-{}", std::process::id()));
        let set = |mode| {
            std::fs::write(&path, "t0ken\n").unwrap_or_else(|e| panic!("{e}"));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .unwrap_or_else(|e| panic!("{e}"));
        };
        set(0o644);
        assert!(readable_by_others(&path));
        set(0o640);
        assert!(!readable_by_others(&path));
        let t = Token::read_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(t.accepts(Some(&HeaderValue::from_static("Bearer t0ken"))));
        let _ = std::fs::remove_file(&path);
        let e = Token::read_file(&path).err().unwrap_or_default();
        assert!(e.contains("token file") && !e.contains("t0ken"), "{e}");
    }
}
