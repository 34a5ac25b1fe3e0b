//! Short-lived access tokens: HS256 JWTs with a key id, signed with the first configured key and
//! verified with whichever key the header names (so keys can be rotated without logging anyone out).

use crate::config::JwtKey;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};
use serde::{Deserialize, Serialize};

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Device id.
    pub did: String,
    pub org: String,
    pub role: String,
    pub iss: String,
    /// Seconds since the epoch.
    pub iat: i64,
    /// Not valid before (seconds since the epoch).
    pub nbf: i64,
    pub exp: i64,
}

/// Why a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    /// Forged, malformed, signed with an unknown key or the wrong algorithm.
    Invalid,
}

/// The signing and verifying keys.
#[derive(Clone)]
pub struct Keys {
    signing: (String, EncodingKey),
    verifying: Vec<(String, DecodingKey)>,
    issuer: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.verifying.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Keys")
            .field("signing", &self.signing.0)
            .field("verifying", &kids)
            .finish()
    }
}

impl Keys {
    /// Keys from configuration; the first signs.
    pub fn new(keys: &[JwtKey], issuer: &str) -> Option<Keys> {
        let first = keys.first()?;
        Some(Keys {
            signing: (
                first.kid.clone(),
                EncodingKey::from_secret(first.secret.as_bytes()),
            ),
            verifying: keys
                .iter()
                .map(|k| (k.kid.clone(), DecodingKey::from_secret(k.secret.as_bytes())))
                .collect(),
            issuer: issuer.to_owned(),
        })
    }

    /// Signs claims.
    pub fn issue(&self, claims: &Claims) -> Result<String, String> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing.0.clone());
        encode(&header, claims, &self.signing.1).map_err(|e| e.to_string())
    }

    /// Verifies a token: algorithm HS256 only, a known key id, signature, expiry, not-before and
    /// issuer.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.ok_or(TokenError::Invalid)?;
        let key = self
            .verifying
            .iter()
            .find(|(k, _)| *k == kid)
            .map(|(_, key)| key)
            .ok_or(TokenError::Invalid)?;
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        v.validate_nbf = true;
        v.set_issuer(&[self.issuer.as_str()]);
        v.set_required_spec_claims(&["exp", "nbf", "iss", "sub"]);
        decode::<Claims>(token, key, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn keys(list: &[(&str, &str)]) -> Keys {
        let list: Vec<JwtKey> = list
            .iter()
            .map(|(k, s)| JwtKey {
                kid: (*k).into(),
                secret: (*s).into(),
            })
            .collect();
        Keys::new(&list, "closeloop").expect("keys")
    }

    fn claims(exp_in: i64) -> Claims {
        let now = crate::db::now_ms() / 1000;
        Claims {
            sub: "u1".into(),
            did: "d1".into(),
            org: "o".into(),
            role: "inspector".into(),
            iss: "closeloop".into(),
            iat: now,
            nbf: now,
            exp: now + exp_in,
        }
    }

    const A: &str = "0123456789abcdef0123456789abcdef-a";
    const B: &str = "0123456789abcdef0123456789abcdef-b";

    #[test]
    fn round_trip_and_rotation() {
        let old = keys(&[("k1", A)]);
        let token = old.issue(&claims(60)).expect("issue");
        let rotated = keys(&[("k2", B), ("k1", A)]);
        assert_eq!(
            rotated.verify(&token).expect("old key still verifies").sub,
            "u1"
        );
        let retired = keys(&[("k2", B)]);
        assert_eq!(retired.verify(&token), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_forged_wrong_key_and_alg_none_are_refused() {
        let k = keys(&[("k1", A)]);
        assert_eq!(
            k.verify(&k.issue(&claims(-5)).expect("issue")),
            Err(TokenError::Expired)
        );
        let token = k.issue(&claims(60)).expect("issue");
        // Tamper with the payload: the signature no longer matches.
        let parts: Vec<&str> = token.split('.').collect();
        let mut c = claims(60);
        c.role = "supervisor".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).expect("json")),
            parts[2]
        );
        assert_eq!(k.verify(&forged), Err(TokenError::Invalid));
        // Same kid, different secret.
        let impostor = keys(&[("k1", B)]).issue(&claims(60)).expect("issue");
        assert_eq!(k.verify(&impostor), Err(TokenError::Invalid));
        // alg: none, no signature.
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
        let none = format!("{none_header}.{}.", parts[1]);
        assert_eq!(k.verify(&none), Err(TokenError::Invalid));
        assert_eq!(k.verify("not a token"), Err(TokenError::Invalid));
    }
}
