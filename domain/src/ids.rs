//! Typed identifiers, so that a team id can never be passed where a station id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    )*};
}

typed_id!(
    /// Identifies an [`crate::order`] — one resident request and its whole life.
    OrderId,
    /// Identifies a station (阵地) that routes orders.
    StationId,
    /// Identifies a government department (部门) that accepts orders.
    DepartmentId,
    /// Identifies a science & technology volunteer team (科技志愿服务队).
    TeamId,
    /// Identifies a registered volunteer (志愿者).
    VolunteerId,
    /// Identifies a signed-in account.
    UserId,
    /// Identifies a village (嘎查/村).
    VillageId,
    /// Identifies one service record (hours of one volunteer on one order).
    ServiceRecordId,
);
