//! sea-orm entities, one module per table. Only the service layer uses them; handlers see
//! domain types and response DTOs.

pub mod activities;
pub mod activity_signups;
pub mod calendar_tokens;

/// Reference: a township (苏木镇).
pub mod townships {
    use sea_orm::entity::prelude::*;

    /// A row of `townships`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "townships")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `code`.
        pub code: String,
        /// Column `name_zh`.
        pub name_zh: String,
        /// Column `name_en`.
        pub name_en: Option<String>,
        /// Column `position`.
        pub position: i32,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Reference: a request theme.
pub mod themes {
    use sea_orm::entity::prelude::*;

    /// A row of `themes`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "themes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `code`.
        pub code: String,
        /// Column `name_zh`.
        pub name_zh: String,
        /// Column `name_en`.
        pub name_en: Option<String>,
        /// Column `position`.
        pub position: i32,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Reference: a target group.
pub mod target_groups {
    use sea_orm::entity::prelude::*;

    /// A row of `target_groups`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "target_groups")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `code`.
        pub code: String,
        /// Column `name_zh`.
        pub name_zh: String,
        /// Column `name_en`.
        pub name_en: Option<String>,
        /// Column `position`.
        pub position: i32,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A village (嘎查/村) in a township.
pub mod villages {
    use sea_orm::entity::prelude::*;

    /// A row of `villages`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "villages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `township_code`.
        pub township_code: String,
        /// Column `name`.
        pub name: String,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A department that accepts orders.
pub mod departments {
    use sea_orm::entity::prelude::*;

    /// A row of `departments`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "departments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `code`.
        pub code: Option<String>,
        /// Column `name`.
        pub name: String,
        /// Column `name_en`.
        pub name_en: Option<String>,
        /// Column `lead_themes`.
        pub lead_themes: String,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A station that routes orders.
pub mod stations {
    use sea_orm::entity::prelude::*;

    /// A row of `stations`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "stations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `name`.
        pub name: String,
        /// Column `is_fallback`.
        pub is_fallback: bool,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One line of a station's coverage: a township, or one village.
pub mod station_coverage {
    use sea_orm::entity::prelude::*;

    /// A row of `station_coverage`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "station_coverage")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `station_id`.
        pub station_id: Uuid,
        /// Column `township_code`.
        pub township_code: String,
        /// Column `village_id`.
        pub village_id: Option<Uuid>,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A volunteer team.
pub mod teams {
    use sea_orm::entity::prelude::*;

    /// A row of `teams`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "teams")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `name`.
        pub name: String,
        /// Column `department_id`.
        pub department_id: Option<Uuid>,
        /// Column `theme_codes`.
        pub theme_codes: String,
        /// Column `active`.
        pub active: bool,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A registered volunteer.
pub mod volunteers {
    use sea_orm::entity::prelude::*;

    /// A row of `volunteers`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "volunteers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `real_name`.
        pub real_name: String,
        /// Column `phone`.
        pub phone: String,
        /// Column `township_code`.
        pub township_code: String,
        /// Column `skills`.
        pub skills: String,
        /// Column `id_number`.
        pub id_number: Option<String>,
        /// Column `state`.
        pub state: String,
        /// Column `review_reason`.
        pub review_reason: Option<String>,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
        /// Column `updated_at`.
        pub updated_at: DateTimeUtc,
        /// Column `confirmed_halves`: confirmed hours × 2, kept with each ledger change.
        pub confirmed_halves: i64,
        /// Column `pending_halves`: hours waiting for confirmation × 2.
        pub pending_halves: i64,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A signed-in account.
pub mod users {
    use sea_orm::entity::prelude::*;

    /// A row of `users`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `username`.
        pub username: String,
        /// Column `password_hash`.
        pub password_hash: String,
        /// Column `role`.
        pub role: String,
        /// Column `display_name`.
        pub display_name: String,
        /// Column `email`.
        pub email: Option<String>,
        /// Column `station_id`.
        pub station_id: Option<Uuid>,
        /// Column `department_id`.
        pub department_id: Option<Uuid>,
        /// Column `team_id`.
        pub team_id: Option<Uuid>,
        /// Column `volunteer_id`.
        pub volunteer_id: Option<Uuid>,
        /// Column `active`.
        pub active: bool,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
        /// Column `notify_non_urgent`: `false` when the user switched non-urgent mail off.
        pub notify_non_urgent: bool,
        /// Column `must_change_password`: set by a reset; only `me`, `me/password` and
        /// `logout` answer the user until they choose a new password.
        pub must_change_password: bool,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A volunteer's membership of a team.
pub mod team_members {
    use sea_orm::entity::prelude::*;

    /// A row of `team_members`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "team_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `team_id`.
        pub team_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `volunteer_id`.
        pub volunteer_id: Uuid,
        /// Column `joined_at`.
        pub joined_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A team leader's invitation of a volunteer: `pending`, then `accepted` or `declined`.
pub mod team_invitations {
    use sea_orm::entity::prelude::*;

    /// A row of `team_invitations`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "team_invitations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `team_id`.
        pub team_id: Uuid,
        /// Column `volunteer_id`.
        pub volunteer_id: Uuid,
        /// Column `invited_by` (the leader's user id).
        pub invited_by: Option<Uuid>,
        /// Column `state`: `pending`, `accepted` or `declined`.
        pub state: String,
        /// Column `created_at` (the latest invitation of the pair).
        pub created_at: DateTimeUtc,
        /// Column `answered_at`.
        pub answered_at: Option<DateTimeUtc>,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One resident request and its whole life.
pub mod orders {
    use sea_orm::entity::prelude::*;

    /// A row of `orders`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "orders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `tracking_code`.
        pub tracking_code: String,
        /// Column `resident_token_hash`.
        pub resident_token_hash: String,
        /// Column `channel`.
        pub channel: String,
        /// Column `state`.
        pub state: String,
        /// Column `version`.
        pub version: i64,
        /// Column `head_hash`.
        pub head_hash: String,
        /// Column `theme_code`.
        pub theme_code: String,
        /// Column `township_code`.
        pub township_code: String,
        /// Column `village_id`.
        pub village_id: Option<Uuid>,
        /// Column `description`.
        pub description: String,
        /// Column `target_group_code`.
        pub target_group_code: Option<String>,
        /// Column `preferred_date`.
        pub preferred_date: Option<Date>,
        /// Column `expected_attendees`.
        pub expected_attendees: Option<i32>,
        /// Column `address`.
        pub address: Option<String>,
        /// Column `latitude`.
        pub latitude: Option<f64>,
        /// Column `longitude`.
        pub longitude: Option<f64>,
        /// Column `contact_name`.
        pub contact_name: String,
        /// Column `contact_phone`.
        pub contact_phone: String,
        /// Column `contact_email`.
        pub contact_email: Option<String>,
        /// Column `station_id`.
        pub station_id: Uuid,
        /// Column `department_id`.
        pub department_id: Option<Uuid>,
        /// Column `team_id`.
        pub team_id: Option<Uuid>,
        /// Column `claim_scope`.
        pub claim_scope: Option<String>,
        /// Column `planned_date`.
        pub planned_date: Option<Date>,
        /// Column `served_on`.
        pub served_on: Option<Date>,
        /// Column `attendees`.
        pub attendees: Option<i32>,
        /// Column `summary`.
        pub summary: Option<String>,
        /// Column `rating_score`.
        pub rating_score: Option<i16>,
        /// Column `rating_comment`.
        pub rating_comment: Option<String>,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
        /// Column `updated_at`.
        pub updated_at: DateTimeUtc,
        /// Column `state_entered_at`.
        pub state_entered_at: DateTimeUtc,
        /// Column `due_at`.
        pub due_at: Option<DateTimeUtc>,
        /// Column `escalated_at`: when the sweeper last escalated it (once per state entry).
        pub escalated_at: Option<DateTimeUtc>,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One change of an order's state; append-only and hash-chained.
pub mod order_events {
    use sea_orm::entity::prelude::*;

    /// A row of `order_events`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `order_id`.
        pub order_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `seq`.
        pub seq: i64,
        /// Column `action`.
        pub action: String,
        /// Column `from_state`.
        pub from_state: Option<String>,
        /// Column `to_state`.
        pub to_state: String,
        /// Column `actor_id`.
        pub actor_id: Option<Uuid>,
        /// Column `actor_role`.
        pub actor_role: String,
        /// Column `reason`.
        pub reason: Option<String>,
        /// Column `data`.
        pub data: String,
        /// Column `at`.
        pub at: DateTimeUtc,
        /// Column `prev_hash`.
        pub prev_hash: String,
        /// Column `hash`.
        pub hash: String,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Hours one volunteer gave on one order.
pub mod service_records {
    use sea_orm::entity::prelude::*;

    /// A row of `service_records`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "service_records")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `order_id`.
        pub order_id: Uuid,
        /// Column `volunteer_id`.
        pub volunteer_id: Uuid,
        /// Column `team_id`.
        pub team_id: Uuid,
        /// Column `hours_halves`.
        pub hours_halves: i32,
        /// Column `served_on`.
        pub served_on: Date,
        /// Column `state`.
        pub state: String,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
        /// Column `kind`: `service` or `reversal`.
        pub kind: String,
        /// Column `reverses_id`: the record a reversal takes hours back from.
        pub reverses_id: Option<Uuid>,
        /// Column `reason`: of a dispute or a reversal.
        pub reason: Option<String>,
        /// Column `decided_by`.
        pub decided_by: Option<Uuid>,
        /// Column `decided_at`.
        pub decided_at: Option<DateTimeUtc>,
        /// Column `source`: `attendance` (hours from check-in) or `manual` (typed).
        pub source: String,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The audit history of service records: every change, never updated.
pub mod service_record_events {
    use sea_orm::entity::prelude::*;

    /// A row of `service_record_events`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "service_record_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `record_id`.
        pub record_id: Uuid,
        /// Column `action`: `filed`, `confirm`, `dispute`, `reverse`.
        pub action: String,
        /// Column `from_state`.
        pub from_state: Option<String>,
        /// Column `to_state`.
        pub to_state: String,
        /// Column `hours_halves`: the hours the change is about.
        pub hours_halves: i32,
        /// Column `actor_id`.
        pub actor_id: Option<Uuid>,
        /// Column `actor_role`.
        pub actor_role: String,
        /// Column `reason`.
        pub reason: Option<String>,
        /// Column `at`.
        pub at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A volunteer's confirmed hours in one year served.
pub mod volunteer_years {
    use sea_orm::entity::prelude::*;

    /// A row of `volunteer_years`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "volunteer_years")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `volunteer_id`.
        pub volunteer_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `year`.
        pub year: i32,
        /// Column `confirmed_halves`.
        pub confirmed_halves: i64,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A running total (`kepu_domain::stats::TotalKey` → value).
pub mod stat_totals {
    use sea_orm::entity::prelude::*;

    /// A row of `stat_totals`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "stat_totals")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `metric`.
        pub metric: String,
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `township_code` (`*` for all).
        pub township_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `year` (0 for all).
        pub year: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `theme_code` (empty for none).
        pub theme_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `target_group_code` (empty for none).
        pub target_group_code: String,
        /// Column `value`.
        pub value: i64,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A service certificate (志愿服务证明) as issued.
pub mod certificates {
    use sea_orm::entity::prelude::*;

    /// A row of `certificates`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "certificates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `number`.
        pub number: String,
        /// Column `code`: the public verification code.
        pub code: String,
        /// Column `volunteer_id`.
        pub volunteer_id: Uuid,
        /// Column `period_from`.
        pub period_from: Option<Date>,
        /// Column `period_to`.
        pub period_to: Option<Date>,
        /// Column `confirmed_halves`: confirmed hours × 2 in the period.
        pub confirmed_halves: i64,
        /// Column `star_level`.
        pub star_level: i16,
        /// Column `issuer`.
        pub issuer: String,
        /// Column `issued_at`.
        pub issued_at: DateTimeUtc,
        /// Column `issued_by`.
        pub issued_by: Option<Uuid>,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A stored response to a creating POST, replayed on retry.
pub mod idempotency_keys {
    use sea_orm::entity::prelude::*;

    /// A row of `idempotency_keys`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `scope`.
        pub scope: String,
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `key`.
        pub key: String,
        /// Column `request_hash`.
        pub request_hash: String,
        /// Column `status`.
        pub status: i32,
        /// Column `body`.
        pub body: String,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A hashed refresh token; rotated on use, revoked by family.
pub mod refresh_tokens {
    use sea_orm::entity::prelude::*;

    /// A row of `refresh_tokens`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `user_id`.
        pub user_id: Uuid,
        /// Column `family_id`.
        pub family_id: Uuid,
        /// Column `token_hash`.
        pub token_hash: String,
        /// Column `expires_at`.
        pub expires_at: DateTimeUtc,
        /// Column `used_at`.
        pub used_at: Option<DateTimeUtc>,
        /// Column `revoked_at`.
        pub revoked_at: Option<DateTimeUtc>,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A sign-in: the refresh-token family shares its id, and access tokens carry it (`sid`).
pub mod sessions {
    use sea_orm::entity::prelude::*;

    /// A row of `sessions`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `user_id`.
        pub user_id: Uuid,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
        /// Column `revoked_at`: set by logout, a password change or reset, a deactivation, or
        /// the reuse of a rotated refresh token.
        pub revoked_at: Option<DateTimeUtc>,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Recent failed sign-ins of one username (`kepu_domain::login`).
pub mod login_failures {
    use sea_orm::entity::prelude::*;

    /// A row of `login_failures`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_failures")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `username` (trimmed, lower-case, at most 200 characters).
        pub username: String,
        /// Column `failures`.
        pub failures: i32,
        /// Column `last_failure_at`.
        pub last_failure_at: DateTimeUtc,
        /// Column `locked_until`.
        pub locked_until: Option<DateTimeUtc>,
    }

    /// No relations are navigated through the ORM; queries join explicitly.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A quantified target of the plan.
pub mod indicators {
    use sea_orm::entity::prelude::*;

    /// A row of `indicators`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "indicators")]
    pub struct Model {
        /// Column `code`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        /// Column `name_zh`.
        pub name_zh: String,
        /// Column `target`.
        pub target: f64,
        /// Column `unit`: volunteers, sessions, person_times or people.
        pub unit: String,
        /// Column `period`: `yearly` or a year range such as `2021-2025`.
        pub period: String,
        /// Column `filter_theme`.
        pub filter_theme: Option<String>,
        /// Column `filter_target_group`.
        pub filter_target_group: Option<String>,
        /// Column `position`.
        pub position: i32,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One email in the transactional outbox: written with the action that causes it, delivered
/// by the worker.
pub mod notifications {
    use sea_orm::entity::prelude::*;

    /// A row of `notifications`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Column `id`.
        pub id: Uuid,
        /// Column `recipient`: the email address.
        pub recipient: String,
        /// Column `user_id`: the account, when the recipient has one.
        pub user_id: Option<Uuid>,
        /// Column `order_id`: the order it is about, if any.
        pub order_id: Option<Uuid>,
        /// Column `kind`: the message kind (`new_order`, …).
        pub kind: String,
        /// Column `subject`.
        pub subject: String,
        /// Column `body_text`.
        pub body_text: String,
        /// Column `body_html`.
        pub body_html: String,
        /// Column `state`: `pending`, `sent` or `parked`.
        pub state: String,
        /// Column `attempts`: failed attempts so far.
        pub attempts: i32,
        /// Column `next_attempt_at`.
        pub next_attempt_at: DateTimeUtc,
        /// Column `locked_until`: a worker's lease on the row while it sends.
        pub locked_until: Option<DateTimeUtc>,
        /// Column `lock_token`: which worker holds the lease.
        pub lock_token: Option<Uuid>,
        /// Column `last_error`: the last failure, without credentials.
        pub last_error: Option<String>,
        /// Column `created_at`.
        pub created_at: DateTimeUtc,
        /// Column `sent_at`.
        pub sent_at: Option<DateTimeUtc>,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
