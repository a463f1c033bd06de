//! The service ledger as the association sees it: an order's records, a volunteer's hours, and
//! the actions on a record.

use super::TestApp;
use serde_json::Value;

impl TestApp {
    /// The service records of order `order`, newest first, as the association sees them.
    pub async fn records_of(&self, order: &str) -> Vec<Value> {
        let admin = self.admin().await;
        let body = self
            .get(
                &format!("/api/v1/service-records?order_id={order}&limit=200"),
                Some(&admin),
            )
            .await
            .expect(200);
        body["items"].as_array().expect("items").clone()
    }

    /// A volunteer's hours as the association sees them.
    pub async fn hours_of(&self, volunteer: &str) -> Value {
        let admin = self.admin().await;
        self.get(
            &format!("/api/v1/volunteers/{volunteer}/hours"),
            Some(&admin),
        )
        .await
        .expect(200)
    }

    /// Takes a ledger `action` (`confirm`, `dispute`, `reverse`) on record `id` as the
    /// association and returns the body of the expected `status`.
    pub async fn ledger_as_admin(&self, id: &str, action: &str, body: Value, status: u16) -> Value {
        self.post(
            &format!("/api/v1/service-records/{id}/{action}"),
            &body,
            Some(&self.admin().await),
        )
        .await
        .expect(status)
    }
}

/// The id of `volunteer`'s service (not reversal) record among `records`.
pub fn service_record_of(records: &[Value], volunteer: &str) -> String {
    records
        .iter()
        .find(|r| r["volunteer_id"] == volunteer && r["kind"] == "service")
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("no service record of {volunteer} in {records:?}"))
        .to_owned()
}
