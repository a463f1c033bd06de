//! Idempotent creation: a creating POST with an `Idempotency-Key` stores its answer in the
//! same transaction as what it created; a retry with the same key and body gets that answer
//! again (decoded here, typed), a retry with another body gets 422. Only what may be kept for a
//! day is stored: secrets in an answer (a resident token) are derived again, never stored.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseTransaction, EntityTrait};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::entity::idempotency_keys;
use crate::error::{ApiError, ApiResult};

/// A key with the fingerprint of the request it came with.
#[derive(Clone, Debug)]
pub struct Idempotency {
    /// Which endpoint the key belongs to (`orders`, `volunteers`).
    pub scope: &'static str,
    /// The client's key.
    pub key: String,
    /// SHA-256 of the canonical request body.
    pub request_hash: String,
}

impl Idempotency {
    /// Fingerprints `body`: its canonical JSON (serde_json sorts object keys; a `Value` always
    /// serializes).
    pub fn new(scope: &'static str, key: String, body: &Value) -> Self {
        Self {
            scope,
            key,
            request_hash: hex::encode(Sha256::digest(body.to_string().as_bytes())),
        }
    }
}

/// The stored answer for this key, decoded, if any: a different body under the same key is a
/// 422; a record that does not decode is corrupt data, an internal error.
pub async fn lookup<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    idem: &Idempotency,
) -> ApiResult<Option<T>> {
    let row = idempotency_keys::Entity::find_by_id((idem.scope.to_owned(), idem.key.clone()))
        .one(db)
        .await?;
    match row {
        None => Ok(None),
        Some(row) if row.request_hash != idem.request_hash => Err(ApiError::IdempotencyMismatch),
        Some(row) => serde_json::from_str(&row.body).map(Some).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!(
                "idempotency record {}/{} does not decode: {e}",
                idem.scope,
                idem.key
            ))
        }),
    }
}

/// Stores the answer; call inside the transaction that created the resource. A concurrent
/// request with the same key makes this fail with a unique violation.
async fn store(
    db: &impl ConnectionTrait,
    idem: &Idempotency,
    status: u16,
    body: String,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    idempotency_keys::Entity::insert(idempotency_keys::ActiveModel {
        scope: Set(idem.scope.to_owned()),
        key: Set(idem.key.clone()),
        request_hash: Set(idem.request_hash.clone()),
        status: Set(i32::from(status)),
        body: Set(body),
        created_at: Set(now),
    })
    .exec(db)
    .await
    .map(|_| ())
}

/// Stores `answer` under the key (if any) and commits the transaction that created the
/// resource. When a concurrent request with the same key committed first, this transaction is
/// rolled back and that request's answer is returned instead, marked replayed (`true`), so one
/// key makes one resource.
pub async fn commit<T: Serialize + DeserializeOwned>(
    txn: DatabaseTransaction,
    db: &Db,
    idem: Option<&Idempotency>,
    status: u16,
    answer: T,
    now: DateTime<Utc>,
) -> ApiResult<(T, bool)> {
    if let Some(idem) = idem {
        let body = serde_json::to_string(&answer).map_err(anyhow::Error::from)?;
        if let Err(err) = store(&txn, idem, status, body, now).await {
            txn.rollback().await?;
            if super::is_unique_violation(&err) {
                let first = lookup(db, idem).await?.ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("idempotency record vanished"))
                })?;
                return Ok((first, true));
            }
            return Err(err.into());
        }
    }
    txn.commit().await?;
    Ok((answer, false))
}
