//! Signing in to Google as a service account: the key read and checked, the RS256
//! assertion, and the access token it is exchanged for, kept until shortly before it expires.

use super::{DEFAULT_TOKEN_URL, SCOPE};
use crate::sync::secret::Secret;
use crate::sync::settings::CheckedGoogle;
use crate::sync::source::http::{self, Retry};
use crate::sync::validate::LoadError;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The parts of a service-account JSON key the service uses.
#[derive(Deserialize)]
struct ServiceAccountKey {
    client_email: String,
    private_key: Secret,
    #[serde(default)]
    token_uri: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Secret,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Signs in as the service account, impersonating the configured admin.
pub(super) struct Auth {
    client: reqwest::Client,
    retry: Retry,
    key: EncodingKey,
    issuer: String,
    pub(super) subject: String,
    token_url: String,
    token: Option<(Secret, Instant)>,
}

/// The private key as the signer takes it (PKCS#1 DER), from the PEM a key file holds:
/// PKCS#8 (`BEGIN PRIVATE KEY`, as Google writes them) or PKCS#1 (`BEGIN RSA PRIVATE KEY`,
/// as `openssl genrsa` used to). Parsed here, so a bad key is told before any request.
fn signing_key(pem: &str) -> Result<rsa::pkcs1::der::SecretDocument, &'static str> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    let private = if pem.contains("BEGIN RSA PRIVATE KEY") {
        rsa::RsaPrivateKey::from_pkcs1_pem(pem).map_err(|_| "not a readable PKCS#1 RSA key")?
    } else if pem.contains("BEGIN PRIVATE KEY") {
        rsa::RsaPrivateKey::from_pkcs8_pem(pem).map_err(|_| "not a readable PKCS#8 RSA key")?
    } else {
        return Err("it is not a PEM private key (-----BEGIN PRIVATE KEY-----)");
    };
    private
        .to_pkcs1_der()
        .map_err(|_| "the key could not be encoded for signing")
}

/// The claims of the assertion: who signs in, as whom, for what, until when.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

impl Auth {
    /// Reads the service account's key, told plainly when it cannot be used, ready to sign
    /// in as it, impersonating the configured admin.
    pub(super) fn new(
        settings: &CheckedGoogle,
        client: reqwest::Client,
        retry: Retry,
    ) -> Result<Self, LoadError> {
        let raw = &settings.raw;
        let key_text = settings
            .key
            .resolve()
            .map_err(|e| LoadError(format!("The service account key could not be read: {e}.")))?;
        let key: ServiceAccountKey = serde_json::from_str(key_text.expose()).map_err(|e| {
            // Which field is missing helps; any other detail of the parser could quote the key.
            let missing = e
                .to_string()
                .split(" at line")
                .next()
                .filter(|m| m.starts_with("missing field"))
                .map(|m| format!(": {}", m.replace('`', "\"")))
                .unwrap_or_default();
            LoadError(format!(
                "The service account key ({}) is not a Google service-account JSON key{missing}.",
                settings.key
            ))
        })?;
        let key_der = signing_key(key.private_key.expose()).map_err(|e| {
            LoadError(format!(
                "The private key in the service account key ({}) could not be read: {e}.",
                settings.key
            ))
        })?;
        Ok(Auth {
            client,
            retry,
            key: EncodingKey::from_rsa_der(key_der.as_bytes()),
            issuer: key.client_email,
            subject: raw.admin_email.clone(),
            token_url: raw
                .token_url
                .clone()
                .or(key.token_uri)
                .unwrap_or_else(|| DEFAULT_TOKEN_URL.into()),
            token: None,
        })
    }

    /// The JWT bearer assertion of RFC 7523, as Google's token endpoint expects it.
    fn assertion(&self) -> Result<String, LoadError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: &self.issuer,
            sub: &self.subject,
            scope: SCOPE,
            aud: &self.token_url,
            iat: now,
            exp: now + 3600,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key).map_err(|e| {
            LoadError(format!(
                "The service account's sign-in could not be signed: {e}."
            ))
        })
    }

    /// A token good for at least another minute.
    pub(super) async fn token(&mut self) -> Result<Secret, LoadError> {
        if let Some((token, expires)) = &self.token {
            if Instant::now() + Duration::from_secs(60) < *expires {
                return Ok(token.clone());
            }
        }
        let assertion = self.assertion()?;
        let response = http::send("Google's token service", self.retry, || {
            self.client.post(&self.token_url).form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
        })
        .await?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let reason = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
                .map(|e| format!(" ({})", e.chars().take(60).collect::<String>()))
                .unwrap_or_default();
            return Err(LoadError(format!(
                "Google refused the service account's sign-in{reason}: {}. Check the key, and that the service account has domain-wide delegation for {SCOPE} and {} is an administrator.",
                http::status_words(status),
                self.subject
            )));
        }
        let token: TokenResponse = response.json().await.map_err(|_| {
            LoadError::new("Google's token service sent an answer without an access token.")
        })?;
        let life = Duration::from_secs(token.expires_in.unwrap_or(3600));
        self.token = Some((token.access_token.clone(), Instant::now() + life));
        Ok(token.access_token)
    }

    pub(super) fn forget_token(&mut self) {
        self.token = None;
    }
}
