//! WebSocket tokens (JWT, HS256): issued for a login session, spent on first use.

use std::{
    collections::{BTreeSet, HashSet},
    time::{SystemTime, UNIX_EPOCH},
};

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
    /// Unique id: every token differs, and each is spent on its first use.
    pub jti: String,
    /// The login session that minted it (a handle, not the cookie): logout revokes its tokens.
    pub sess: String,
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

    /// A fresh token for `user_id`, bound to the login session `sess`.
    pub fn issue(&self, user_id: &str, sess: &str) -> String {
        let iat = now_secs();
        self.sign(&Claims {
            user_id: user_id.to_owned(),
            exp: iat + self.lifetime_secs,
            iat,
            jti: uuid::Uuid::new_v4().to_string(),
            sess: sess.to_owned(),
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

/// Token ids already used, each kept until its token expires (after that the signature check
/// refuses the token anyway), so memory is bounded by the tokens issued per lifetime.
#[derive(Debug, Default)]
pub struct SpentTokens {
    ids: HashSet<String>,
    by_expiry: BTreeSet<(u64, String)>,
}

impl SpentTokens {
    /// Spends `claims`' id at `now_secs`: true the first time, false for a replay.
    pub fn spend(&mut self, claims: &Claims, now_secs: u64) -> bool {
        while let Some(first) = self.by_expiry.first().filter(|(exp, _)| *exp < now_secs).cloned() {
            self.by_expiry.remove(&first);
            self.ids.remove(&first.1);
        }
        if !self.ids.insert(claims.jti.clone()) {
            return false;
        }
        self.by_expiry.insert((claims.exp, claims.jti.clone()));
        true
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Seconds since the epoch.
pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_carry_the_user() {
        let issuer = TokenIssuer::new(&[7; 32], 60);
        let token = issuer.issue("alice", "s");
        let claims = issuer.verify(&token).unwrap();
        assert_eq!(claims.user_id, "alice");
        assert_eq!(claims.sess, "s");
        assert_eq!(claims.exp - claims.iat, 60);
        assert_ne!(issuer.issue("alice", "s"), token, "every token is unique");
    }

    #[test]
    fn tokens_from_another_secret_or_tampered_are_refused() {
        let issuer = TokenIssuer::new(&[7; 32], 60);
        let other = TokenIssuer::new(&[8; 32], 60);
        assert!(issuer.verify(&other.issue("alice", "s")).is_none());
        let mut token = issuer.issue("alice", "s");
        token.push('x');
        assert!(issuer.verify(&token).is_none());
        assert!(issuer.verify("not a jwt").is_none());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let issuer = TokenIssuer::new(&[7; 32], 60);
        let iat = now_secs() - 120;
        let claims =
            Claims { user_id: "alice".into(), exp: iat + 60, iat, jti: "j".into(), sess: "s".into() };
        assert!(issuer.verify(&issuer.sign(&claims)).is_none());
    }

    #[test]
    fn a_token_id_is_spent_once_and_forgotten_after_expiry() {
        let issuer = TokenIssuer::new(&[7; 32], 60);
        let claims = issuer.verify(&issuer.issue("alice", "s")).unwrap();
        let mut spent = SpentTokens::default();
        assert!(spent.spend(&claims, claims.iat));
        assert!(!spent.spend(&claims, claims.iat), "a replay");
        let later = issuer.verify(&issuer.issue("alice", "s")).unwrap();
        assert!(spent.spend(&later, claims.exp + 1));
        assert_eq!(spent.len(), 1, "the expired id was pruned");
    }
}
