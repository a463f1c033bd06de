//! A new order as it arrives, from whichever face it comes through: the JSON API, the
//! resident's web form and Open311 all fill in one [`OrderDraft`], and one function checks it
//! into a [`NewOrder`] of validated domain values, naming every bad field at once.

use chrono::NaiveDate;
use kepu_domain::FieldError;
use kepu_domain::value::{
    Address, Attendees, Description, Email, Location, PersonName, Phone, parse_date,
};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::Problems;

/// A new order as sent: every field optional, so that what is missing is reported with what
/// is wrong.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[schema(as = SubmitBody)]
pub struct OrderDraft {
    /// Theme code (see `/themes`).
    #[schema(required = true)]
    pub theme: Option<String>,
    /// What is needed, up to 2000 characters.
    #[schema(required = true)]
    pub description: Option<String>,
    /// Township code (see `/townships`).
    #[schema(required = true)]
    pub township: Option<String>,
    /// Village id, or its name within the township.
    pub village: Option<String>,
    /// Contact name.
    #[schema(required = true)]
    pub contact_name: Option<String>,
    /// Mainland mobile number.
    #[schema(required = true)]
    pub contact_phone: Option<String>,
    /// Email for updates.
    pub contact_email: Option<String>,
    /// Target group code.
    pub target_group: Option<String>,
    /// Preferred date, `YYYY-MM-DD`.
    pub preferred_date: Option<String>,
    /// Expected attendees, 1–100000.
    pub expected_attendees: Option<i64>,
    /// Address.
    pub address: Option<String>,
    /// Latitude (WGS-84).
    pub latitude: Option<f64>,
    /// Longitude (WGS-84).
    pub longitude: Option<f64>,
    /// Problems the face found while reading its own format (a form's non-numeric number,
    /// say); reported with the rest.
    #[serde(skip)]
    pub read_problems: Vec<FieldError>,
}

/// A new order's validated input. Codes (theme, township, target group, village) are checked
/// against the reference data by `submit`, together with these.
#[derive(Clone, Debug)]
pub struct NewOrder {
    /// Theme code.
    pub theme: String,
    /// What is needed.
    pub description: Description,
    /// Township code.
    pub township: String,
    /// Village: an id, or a name within the township.
    pub village: Option<String>,
    /// Contact name.
    pub contact_name: PersonName,
    /// Contact phone.
    pub contact_phone: Phone,
    /// Contact email.
    pub contact_email: Option<Email>,
    /// Target group code.
    pub target_group: Option<String>,
    /// Preferred date.
    pub preferred_date: Option<NaiveDate>,
    /// Expected attendees.
    pub expected_attendees: Option<Attendees>,
    /// Address.
    pub address: Option<Address>,
    /// Position.
    pub location: Option<Location>,
}

/// Trimmed, with empty text meaning "not given" (as an empty form field does).
fn given(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl OrderDraft {
    /// The theme, township, target group and village as given, for the reference check.
    pub fn codes(&self) -> (Option<&str>, Option<&str>, Option<&str>, Option<&str>) {
        (
            given(&self.theme),
            given(&self.township),
            given(&self.target_group),
            given(&self.village),
        )
    }

    /// Checks every field, recording each problem in `p`; `None` when any field is bad.
    pub fn check(&self, today: NaiveDate, p: &mut Problems) -> Option<NewOrder> {
        for e in &self.read_problems {
            p.add(e.field.clone(), &e.message);
        }
        let theme = p.require("theme", given(&self.theme));
        let township = p.require("township", given(&self.township));
        let description = p
            .require("description", self.description.as_deref())
            .and_then(|d| p.check("description", Description::parse(d)));
        let contact_name = p
            .require("contact_name", self.contact_name.as_deref())
            .and_then(|n| p.check("contact_name", PersonName::parse(n)));
        let contact_phone = p
            .require("contact_phone", self.contact_phone.as_deref())
            .and_then(|n| p.check("contact_phone", Phone::parse(n)));
        let contact_email = given(&self.contact_email)
            .map(|e| p.check("contact_email", Email::parse(e)).ok_or(()))
            .transpose();
        let preferred_date = given(&self.preferred_date)
            .map(|d| p.check("preferred_date", parse_date(d)).ok_or(()))
            .transpose();
        if let Ok(Some(date)) = preferred_date
            && date < today
        {
            p.add("preferred_date", "希望日期不能早于今天");
        }
        let expected_attendees = self
            .expected_attendees
            .map(|n| p.check("expected_attendees", Attendees::parse(n)).ok_or(()))
            .transpose();
        let address = self
            .address
            .as_deref()
            .map(|a| p.check("address", Address::parse(a)).ok_or(()))
            .transpose();
        let location = self.location(p);
        if !p.is_empty() {
            return None;
        }
        Some(NewOrder {
            theme: theme?.to_owned(),
            description: description?,
            township: township?.to_owned(),
            village: given(&self.village).map(str::to_owned),
            contact_name: contact_name?,
            contact_phone: contact_phone?,
            contact_email: contact_email.ok()?,
            target_group: given(&self.target_group).map(str::to_owned),
            preferred_date: preferred_date.ok()?,
            expected_attendees: expected_attendees.ok()?,
            address: address.ok()?.filter(|a| !a.as_ref().is_empty()),
            location: location.ok()?,
        })
    }

    /// Latitude and longitude come together; a half given names both fields.
    fn location(&self, p: &mut Problems) -> Result<Option<Location>, ()> {
        match (self.latitude, self.longitude) {
            (None, None) => Ok(None),
            (Some(lat), Some(lon)) => Location::parse(lat, lon).map(Some).map_err(|errors| {
                if let Some(e) = errors.0 {
                    p.add("latitude", e);
                }
                if let Some(e) = errors.1 {
                    p.add("longitude", e);
                }
            }),
            _ => {
                p.add("latitude", "经纬度须同时填写");
                p.add("longitude", "经纬度须同时填写");
                Err(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
    }

    fn fields(draft: &OrderDraft) -> Vec<String> {
        let mut p = Problems::new();
        assert!(draft.check(today(), &mut p).is_none());
        let mut fields: Vec<String> = p.into_errors().into_iter().map(|e| e.field).collect();
        fields.sort();
        fields
    }

    #[test]
    fn every_missing_and_bad_field_is_named_at_once() {
        let draft = OrderDraft {
            contact_phone: Some("123".into()),
            expected_attendees: Some(0),
            latitude: Some(40.0),
            ..OrderDraft::default()
        };
        assert_eq!(
            fields(&draft),
            [
                "contact_name",
                "contact_phone",
                "description",
                "expected_attendees",
                "latitude",
                "longitude",
                "theme",
                "township"
            ]
        );
    }

    #[test]
    fn a_complete_draft_becomes_typed_values() {
        let draft = OrderDraft {
            theme: Some(" farming_herding ".into()),
            description: Some("讲讲疫苗".into()),
            township: Some("xini".into()),
            contact_name: Some("巴特尔".into()),
            contact_phone: Some("13812345678".into()),
            preferred_date: Some(String::new()),
            latitude: Some(39.8),
            longitude: Some(108.7),
            ..OrderDraft::default()
        };
        let mut p = Problems::new();
        let new = draft.check(today(), &mut p).unwrap();
        assert_eq!(new.theme, "farming_herding");
        assert_eq!(new.preferred_date, None);
        assert_eq!(new.location.map(|l| l.latitude()), Some(39.8));
    }
}
