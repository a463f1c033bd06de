//! Service certificates (志愿服务证明): issued from confirmed hours only, kept so that anyone
//! holding the verification code can check one is genuine.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::ledger;
use crate::auth::random_bytes;
use crate::db::Db;
use crate::entity::{certificates, townships, volunteers};
use crate::error::{ApiError, ApiResult};
use crate::seed;
use crate::state::AppState;

/// A certificate with what it shows.
#[derive(Debug)]
pub struct Certificate {
    /// The stored certificate.
    pub cert: certificates::Model,
    /// The volunteer's real name.
    pub volunteer_name: String,
    /// Their township's name.
    pub township_name: String,
    /// The day it was issued, in the deployment's time zone.
    pub issued_on: NaiveDate,
}

/// A verification code: 16 random hex digits in groups of four (64 bits; the page that checks
/// it is rate-limited).
fn new_code() -> String {
    let hex = hex::encode_upper(random_bytes::<8>());
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Normalises a code as typed: upper case, dashes where they belong, nothing else.
pub fn normalise_code(raw: &str) -> Option<String> {
    let hex: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit())).then(|| {
        hex.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    })
}

async fn with_names(db: &Db, tz: Tz, cert: certificates::Model) -> ApiResult<Certificate> {
    let volunteer = volunteers::Entity::find_by_id(cert.volunteer_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("certificate {} has no volunteer", cert.id))?;
    let township_name = townships::Entity::find_by_id(volunteer.township_code.clone())
        .one(db)
        .await?
        .map_or(volunteer.township_code, |t| t.name_zh);
    Ok(Certificate {
        issued_on: cert.issued_at.with_timezone(&tz).date_naive(),
        cert,
        volunteer_name: volunteer.real_name,
        township_name,
    })
}

/// Issues a certificate of `volunteer`'s confirmed hours served in `from..=to` (either end
/// open), or returns the one already issued with the same figures.
pub async fn issue(
    state: &AppState,
    volunteer: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    issued_by: Option<Uuid>,
) -> ApiResult<Certificate> {
    let db = &state.db;
    let v = volunteers::Entity::find_by_id(volunteer)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let halves = ledger::confirmed_in(db, volunteer, from, to).await?;
    let star = state
        .settings
        .star_thresholds
        .level(v.confirmed_halves as f64 / 2.0);
    let existing = certificates::Entity::find()
        .filter(certificates::Column::VolunteerId.eq(volunteer))
        .filter(match from {
            Some(d) => certificates::Column::PeriodFrom.eq(d),
            None => certificates::Column::PeriodFrom.is_null(),
        })
        .filter(match to {
            Some(d) => certificates::Column::PeriodTo.eq(d),
            None => certificates::Column::PeriodTo.is_null(),
        })
        .filter(certificates::Column::ConfirmedHalves.eq(halves))
        .filter(certificates::Column::StarLevel.eq(i16::from(star)))
        .one(db)
        .await?;
    if let Some(cert) = existing {
        return with_names(db, state.settings.timezone, cert).await;
    }
    let now = state.now();
    let today = state.today();
    let issuer = match &state.settings.issuer {
        Some(name) => name.clone(),
        None => seed::association_name(&state.settings),
    };
    let id = Uuid::now_v7();
    let serial = &id.simple().to_string()[20..];
    let cert = certificates::Entity::insert(certificates::ActiveModel {
        id: Set(id),
        number: Set(format!(
            "KP{}{:02}{:02}-{}",
            today.year(),
            today.month(),
            today.day(),
            serial.to_uppercase()
        )),
        code: Set(new_code()),
        volunteer_id: Set(volunteer),
        period_from: Set(from),
        period_to: Set(to),
        confirmed_halves: Set(halves),
        star_level: Set(i16::from(star)),
        issuer: Set(issuer),
        issued_at: Set(now),
        issued_by: Set(issued_by),
    })
    .exec_with_returning(db)
    .await?;
    with_names(db, state.settings.timezone, cert).await
}

/// The certificate with this verification code, if genuine.
pub async fn find(db: &Db, tz: Tz, code: &str) -> ApiResult<Option<Certificate>> {
    let Some(code) = normalise_code(code) else {
        return Ok(None);
    };
    match certificates::Entity::find()
        .filter(certificates::Column::Code.eq(code))
        .one(db)
        .await?
    {
        Some(cert) => Ok(Some(with_names(db, tz, cert).await?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_hex_and_normalise_as_typed() {
        let code = new_code();
        assert_eq!(code.len(), 19);
        assert_eq!(normalise_code(&code).as_deref(), Some(code.as_str()));
        assert_eq!(
            normalise_code("ab12 cd34-ef56 7890").as_deref(),
            Some("AB12-CD34-EF56-7890")
        );
        assert_eq!(normalise_code("AB12-CD34"), None);
        assert_eq!(normalise_code("GHIJ-CD34-EF56-7890"), None);
    }
}
