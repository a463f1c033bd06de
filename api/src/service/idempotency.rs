//! Idempotent creation: a creating POST with an `Idempotency-Key` stores its response in the
//! same transaction as what it created; a retry with the same key and body gets that response
//! again, a retry with another body gets 422.

use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

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
    /// Fingerprints `body` (canonical JSON: serde_json sorts object keys).
    pub fn new(scope: &'static str, key: String, body: &Value) -> Self {
        let canonical = serde_json::to_vec(body).unwrap_or_default();
        Self {
            scope,
            key,
            request_hash: hex::encode(Sha256::digest(&canonical)),
        }
    }
}

/// A stored response.
#[derive(Clone, Debug)]
pub struct Stored {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

/// The stored response for this key, if any: a different body under the same key is a 422.
pub async fn lookup(db: &impl ConnectionTrait, idem: &Idempotency) -> ApiResult<Option<Stored>> {
    let row = idempotency_keys::Entity::find_by_id((idem.scope.to_owned(), idem.key.clone()))
        .one(db)
        .await?;
    match row {
        None => Ok(None),
        Some(row) if row.request_hash != idem.request_hash => Err(ApiError::IdempotencyMismatch),
        Some(row) => Ok(Some(Stored {
            status: u16::try_from(row.status).unwrap_or(200),
            body: row.body,
        })),
    }
}

/// Stores the response; call inside the transaction that created the resource. A concurrent
/// request with the same key makes this fail with a unique violation, and that transaction
/// rolls back: the caller then answers with [`lookup`].
pub async fn store(
    db: &impl ConnectionTrait,
    idem: &Idempotency,
    status: u16,
    body: &str,
) -> Result<(), sea_orm::DbErr> {
    idempotency_keys::Entity::insert(idempotency_keys::ActiveModel {
        scope: Set(idem.scope.to_owned()),
        key: Set(idem.key.clone()),
        request_hash: Set(idem.request_hash.clone()),
        status: Set(i32::from(status)),
        body: Set(body.to_owned()),
        created_at: Set(chrono::Utc::now()),
    })
    .exec(db)
    .await
    .map(|_| ())
}

/// Stores the response under the key (if any) and commits the transaction that created the
/// resource. When a concurrent request with the same key committed first, this transaction is
/// rolled back and that request's response is returned instead, so one key makes one resource.
pub async fn commit(
    txn: DatabaseTransaction,
    db: &DatabaseConnection,
    idem: Option<&Idempotency>,
    status: u16,
    body: String,
) -> ApiResult<Stored> {
    if let Some(idem) = idem
        && let Err(err) = store(&txn, idem, status, &body).await
    {
        txn.rollback().await?;
        if super::is_unique_violation(&err) {
            return lookup(db, idem)
                .await?
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("idempotency record vanished")));
        }
        return Err(err.into());
    }
    txn.commit().await?;
    Ok(Stored { status, body })
}
