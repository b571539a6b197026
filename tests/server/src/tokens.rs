//! Login sessions (HttpOnly cookie) and WebSocket tokens (JWT, HS256).

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// What a WebSocket token asserts.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user the token was issued to.
    #[serde(rename = "userId")]
    pub user_id: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// Unique id, so every token differs even within one second.
    pub jti: String,
}

/// Issues and verifies tokens with one secret.
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime_secs: u64,
}

impl TokenIssuer {
    /// An issuer whose tokens live `lifetime_secs`.
    pub fn new(secret: &[u8], lifetime_secs: u64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            lifetime_secs,
        }
    }

    /// How long a token lives.
    pub fn lifetime_secs(&self) -> u64 {
        self.lifetime_secs
    }

    /// A fresh token for `user_id`.
    pub fn issue(&self, user_id: &str) -> String {
        let iat = now_secs();
        self.sign(&Claims {
            user_id: user_id.to_owned(),
            exp: iat + self.lifetime_secs,
            iat,
            jti: uuid::Uuid::new_v4().to_string(),
        })
    }

    fn sign(&self, claims: &Claims) -> String {
        // Encoding HS256 claims made of strings and integers cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding).unwrap_or_default()
    }

    /// The claims of a valid, unexpired HS256 token; `None` for anything else (other algorithms,
    /// including `none`, are refused by the validation).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok().map(|data| data.claims)
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_carry_the_user() {
        let issuer = TokenIssuer::new(&[7; 32], 60);
        let token = issuer.issue("alice");
        let claims = issuer.verify(&token).unwrap();
        assert_eq!(claims.user_id, "alice");
        assert_eq!(claims.exp - claims.iat, 60);
        assert_ne!(issuer.issue("alice"), token, "every token is unique");
    }

    #[test]
    fn tokens_from_another_secret_or_tampered_are_refused() {
        let issuer = TokenIssuer::new(&[7; 32], 60);
        let other = TokenIssuer::new(&[8; 32], 60);
        assert!(issuer.verify(&other.issue("alice")).is_none());
        let mut token = issuer.issue("alice");
        token.push('x');
        assert!(issuer.verify(&token).is_none());
        assert!(issuer.verify("not a jwt").is_none());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let issuer = TokenIssuer::new(&[7; 32], 60);
        let iat = now_secs() - 120;
        let claims = Claims { user_id: "alice".into(), exp: iat + 60, iat, jti: "j".into() };
        assert!(issuer.verify(&issuer.sign(&claims)).is_none());
    }
}
