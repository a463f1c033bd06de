//! Credentials: Argon2id password hashes, short-lived JWT access tokens, opaque refresh and
//! resident tokens (only their SHA-256 is stored).

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use kepu_domain::Role;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ApiError;

/// Lifetime of an access token.
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
/// Lifetime of a refresh token.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

/// The claims of an access token: who, in which role, with which scope.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    /// The user's role.
    pub role: Role,
    /// Scope of station staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station_id: Option<Uuid>,
    /// Scope of department staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_id: Option<Uuid>,
    /// Scope of a team leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// The volunteer record of a volunteer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volunteer_id: Option<Uuid>,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Token id.
    pub jti: Uuid,
    /// The session (refresh-token family) the token belongs to; every request checks that it
    /// has not ended and that the account is active.
    pub sid: Uuid,
}

/// Signs and checks access tokens with one HS256 secret; the algorithm is pinned.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    /// Keys from a secret; `None` makes a random one (dev only: tokens die with the process).
    pub fn new(secret: Option<&str>) -> anyhow::Result<Self> {
        let secret = match secret {
            Some(s) => s.as_bytes().to_vec(),
            None => random_bytes::<32>().to_vec(),
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat", "sid"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(&secret).context("building the JWT signing key")?,
            decoding: DecodingKey::from_secret(&secret).context("building the JWT checking key")?,
            validation,
        })
    }

    /// Signs claims.
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .context("signing a token")
    }

    /// Checks a token and returns its claims; expired and invalid tokens are told apart.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::unauthorized(
                    "auth.expired",
                    "the access token has expired; refresh it",
                ),
                _ => ApiError::unauthorized("auth.invalid", "the access token is not valid"),
            })
    }
}

/// How many Argon2 computations run at once in the whole process. Each takes 19 MiB and a core
/// for tens of milliseconds; the rest wait their turn, so a burst of sign-ins (or an attacker's
/// flood of them) costs a bounded amount of memory and leaves cores for everything else.
fn argon2_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(cores)
    })
}

/// Runs one Argon2 computation on a blocking thread once a permit is free.
async fn with_argon2<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let _permit = argon2_permits()
        .acquire()
        .await
        .map_err(|_| anyhow::anyhow!("the password hashing queue is closed"))?;
    Ok(tokio::task::spawn_blocking(work).await?)
}

/// [`hash_password`] off the async threads, one of a bounded number at a time.
pub async fn hash_password_async(password: String) -> anyhow::Result<String> {
    with_argon2(move || hash_password(&password)).await?
}

/// [`verify_password`] off the async threads, one of a bounded number at a time.
pub async fn verify_password_async(password: String, hash: String) -> anyhow::Result<bool> {
    with_argon2(move || verify_password(&password, &hash)).await
}

/// Hashes a password with Argon2id (default parameters, random salt). CPU-heavy: async code
/// calls [`hash_password_async`].
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Checks a password against a stored hash. CPU-heavy: async code calls
/// [`verify_password_async`].
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so a login takes as long either way.
/// A constant made with the default parameters (checked by a test), so it can never fail or be
/// empty at run time.
pub const DUMMY_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$zxkc8TALXw88tR3xXFHdfw$TvNGwmcy0VhHr4l2ABVWZJBlKj4PT8jp0yqcP1/Oj6o";

/// The characters of temporary passwords: lower-case letters and digits that cannot be mistaken
/// for one another when read aloud or copied from a screen (no `0 o 1 l i`).
const READABLE: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A temporary password for a reset: four groups of four readable characters joined by `-`
/// (19 characters, about 79 bits).
pub fn temporary_password() -> String {
    let bytes = random_bytes::<16>();
    let mut out = String::with_capacity(19);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        // 256 is not a multiple of 31: reject-free mapping via a wide multiply keeps the bias
        // below 1 %, which is irrelevant at 79 bits.
        let index = (usize::from(*b) * READABLE.len()) >> 8;
        out.push(char::from(READABLE[index]));
    }
    out
}

/// `N` bytes from the operating system's generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// A new opaque token (refresh or resident): 32 random bytes, URL-safe base64.
pub fn new_opaque_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// The stored form of an opaque token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Claims for a user in session `sid`, valid for [`ACCESS_TOKEN_SECONDS`] from `now`.
pub fn claims_for(
    user: &crate::entity::users::Model,
    role: Role,
    sid: Uuid,
    now: DateTime<Utc>,
) -> Claims {
    let now = now.timestamp();
    Claims {
        sub: user.id,
        role,
        station_id: user.station_id,
        department_id: user.department_id,
        team_id: user.team_id,
        volunteer_id: user.volunteer_id,
        exp: now + ACCESS_TOKEN_SECONDS,
        iat: now,
        jti: Uuid::now_v7(),
        sid,
    }
}

/// Derives the resident token of a submit made with an `Idempotency-Key` from a server secret,
/// the key and the order id, so that a retry gets the same token while the idempotency record
/// keeps no token at all.
#[derive(Clone)]
pub struct ResidentKeys([u8; 32]);

impl std::fmt::Debug for ResidentKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResidentKeys(***)")
    }
}

impl ResidentKeys {
    /// Keys from the deployment's secret (`KEPU_JWT_SECRET`); without one (dev), a random key
    /// that lives as long as the process.
    pub fn new(secret: Option<&str>) -> Self {
        Self(match secret {
            Some(secret) => Sha256::new()
                .chain_update(b"kepu resident tokens\0")
                .chain_update(secret.as_bytes())
                .finalize()
                .into(),
            None => random_bytes::<32>(),
        })
    }

    /// The resident token of the order `order_id` submitted under idempotency `key` in `scope`.
    pub fn token_for(&self, scope: &str, key: &str, order_id: Uuid) -> String {
        // HMAC accepts a key of any length; 32 bytes can never be refused.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        for part in [scope.as_bytes(), key.as_bytes(), order_id.as_bytes()] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_password() -> anyhow::Result<()> {
        let hash = hash_password("correct horse")?;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        Ok(())
    }

    #[test]
    fn tokens_round_trip_and_expired_or_foreign_ones_are_refused() -> anyhow::Result<()> {
        let keys = TokenKeys::new(Some("a-test-secret-of-sufficient-length-123"))?;
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: Uuid::now_v7(),
            role: Role::StationStaff,
            station_id: Some(Uuid::now_v7()),
            department_id: None,
            team_id: None,
            volunteer_id: None,
            exp: now + 60,
            iat: now,
            jti: Uuid::now_v7(),
            sid: Uuid::now_v7(),
        };
        assert_eq!(keys.verify(&keys.sign(&claims)?)?, claims);
        let expired = keys.sign(&Claims {
            exp: now - 1,
            ..claims.clone()
        })?;
        assert!(matches!(
            keys.verify(&expired),
            Err(ApiError::Unauthorized {
                code: "auth.expired",
                ..
            })
        ));
        let other = TokenKeys::new(Some("another-secret-of-sufficient-length-456"))?;
        assert!(matches!(
            keys.verify(&other.sign(&claims)?),
            Err(ApiError::Unauthorized {
                code: "auth.invalid",
                ..
            })
        ));
        Ok(())
    }

    #[test]
    fn the_dummy_hash_is_argon2id_with_the_default_parameters() -> anyhow::Result<()> {
        let dummy = PasswordHash::new(DUMMY_PASSWORD_HASH)
            .map_err(|e| anyhow::anyhow!("the dummy hash does not parse: {e}"))?;
        let real = hash_password("correct horse")?;
        let real = PasswordHash::new(&real).map_err(|e| anyhow::anyhow!("{e}"))?;
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(
            dummy.params.to_string(),
            real.params.to_string(),
            "a login for an unknown user takes as long as one for a known user"
        );
        assert!(!verify_password("", DUMMY_PASSWORD_HASH));
        Ok(())
    }

    #[test]
    fn temporary_passwords_are_long_readable_and_different() {
        let (a, b) = (temporary_password(), temporary_password());
        assert_ne!(a, b);
        assert_eq!(a.len(), 19);
        assert!(kepu_domain::value::Password::parse(&a).is_ok());
        assert!(
            a.split('-')
                .all(|g| g.len() == 4 && g.bytes().all(|c| READABLE.contains(&c)))
        );
    }

    #[test]
    fn opaque_tokens_are_unique_and_hashes_stable() {
        let (a, b) = (new_opaque_token(), new_opaque_token());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(token_hash(&a).len(), 64);
    }
}
