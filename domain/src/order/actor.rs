//! Who acts: the role of an account, and the actor with the scope of what it may see and do.

use super::UnknownName;
use crate::ids::{DepartmentId, OrderId, StationId, TeamId, VolunteerId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The role of a signed-in account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 科协管理员: sees and may do everything.
    AssociationAdmin,
    /// 阵地工作人员 of one station.
    StationStaff,
    /// 部门工作人员 of one department.
    DepartmentStaff,
    /// 服务队队长 of one team.
    TeamLeader,
    /// A registered volunteer.
    Volunteer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Self::AssociationAdmin,
        Self::StationStaff,
        Self::DepartmentStaff,
        Self::TeamLeader,
        Self::Volunteer,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AssociationAdmin => "association_admin",
            Self::StationStaff => "station_staff",
            Self::DepartmentStaff => "department_staff",
            Self::TeamLeader => "team_leader",
            Self::Volunteer => "volunteer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(UnknownName)
    }
}

/// Who is acting, with the scope that decides what they may see and do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// Anyone without credentials (the public form, an Open311 client).
    Public,
    /// The holder of one order's resident token.
    Resident {
        /// The order the token belongs to.
        order_id: OrderId,
    },
    /// Staff of one station.
    StationStaff {
        /// Their station.
        station_id: StationId,
    },
    /// Staff of one department.
    DepartmentStaff {
        /// Their department.
        department_id: DepartmentId,
    },
    /// The leader of one team.
    TeamLeader {
        /// Their team.
        team_id: TeamId,
        /// Whether the team is active; inactive teams may not claim.
        team_active: bool,
    },
    /// A volunteer: no part in the order lifecycle.
    Volunteer {
        /// Their volunteer record.
        volunteer_id: VolunteerId,
    },
    /// The association (科协) administrators.
    AssociationAdmin,
    /// The service itself: the SLA sweeper.
    System,
}

impl Actor {
    /// The role name recorded on events (`resident`, `system`, or a [`Role`]).
    pub fn role_name(&self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Resident { .. } => "resident",
            Self::StationStaff { .. } => Role::StationStaff.as_str(),
            Self::DepartmentStaff { .. } => Role::DepartmentStaff.as_str(),
            Self::TeamLeader { .. } => Role::TeamLeader.as_str(),
            Self::Volunteer { .. } => Role::Volunteer.as_str(),
            Self::AssociationAdmin => Role::AssociationAdmin.as_str(),
            Self::System => "system",
        }
    }
}
