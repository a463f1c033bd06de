//! Submitting an order (点单): check the draft and its codes, route it to a station, and store
//! it with its first event, its notices and (with an `Idempotency-Key`) the replayable answer,
//! in one transaction.

use kepu_domain::event::{EventContent, GENESIS_HASH, event_time};
use kepu_domain::order::{ActionKind, Actor, OrderFacts, OrderState};
use kepu_domain::routing::{CoverageRule, route};
use kepu_domain::value::TrackingCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::chain::insert_event;
use super::draft::{NewOrder, OrderDraft};
use super::read::find;
use super::view::OrderView;
use crate::auth;
use crate::entity::{
    orders, station_coverage, stations, target_groups, themes, townships, villages,
};
use crate::error::{ApiError, ApiResult, Problems};
use crate::notify;
use crate::service::actors::Acting;
use crate::service::idempotency::{self, Idempotency};
use crate::state::AppState;

/// How an order arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The public web form or API.
    Web,
    /// Entered by staff for a resident.
    Station,
    /// Posted by an Open311 GeoReport v2 client with an API key.
    Open311,
    /// Taken by station staff over the phone (the console's new-order form).
    Phone,
    /// Taken by station staff from a resident at the counter (the console's new-order form).
    Counter,
}

impl Channel {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Station => "station",
            Self::Open311 => "open311",
            Self::Phone => "phone",
            Self::Counter => "counter",
        }
    }
}

impl From<Submitted> for super::view::SubmittedOrder {
    fn from(s: Submitted) -> Self {
        Self {
            order: s.order,
            resident_token: s.resident_token,
        }
    }
}

/// A stored (or replayed) order with the resident's token, shown to the submitter only.
#[derive(Debug)]
pub struct Submitted {
    /// The order as its submitter sees it.
    pub order: OrderView,
    /// Authorizes `cancel` and `rate` on this order.
    pub resident_token: String,
    /// Whether this is the answer to an earlier request with the same `Idempotency-Key`.
    pub replayed: bool,
}

/// Submits an order as `acting`: replays the answer of an earlier request with the same key,
/// otherwise checks the draft and its codes (every bad field at once), routes and stores it.
/// `channel` overrides the channel the actor implies (Open311).
pub async fn submit(
    state: &AppState,
    acting: &Acting,
    draft: OrderDraft,
    channel: Option<Channel>,
    idem: Option<Idempotency>,
) -> ApiResult<Submitted> {
    let db = &state.db;
    if let Some(idem) = &idem
        && let Some(order) = idempotency::lookup::<OrderView>(db, idem).await?
    {
        return replay(state, idem, order).await;
    }
    let mut problems = Problems::new();
    let new = draft.check(state.today(), &mut problems);
    let village_id = check_references(db, &draft, &mut problems).await?;
    let new = problems.finish(|| new)?;
    let station_id = route_order(db, &new.township, village_id).await?;
    let channel = channel.unwrap_or(match acting.actor {
        Actor::StationStaff { .. } | Actor::AssociationAdmin => Channel::Station,
        _ => Channel::Web,
    });
    let now = event_time(state.now());
    let id = Uuid::now_v7();
    let resident_token = match &idem {
        Some(idem) => state.resident_keys.token_for(idem.scope, &idem.key, id),
        None => auth::new_opaque_token(),
    };
    let content = EventContent {
        order_id: id.to_string(),
        seq: 1,
        action: ActionKind::Submit.into(),
        from_state: None,
        to_state: OrderState::Submitted,
        actor_id: acting.user_id.map(|u| u.to_string()),
        actor_role: acting.actor.role_name().into(),
        reason: None,
        data: json!({"channel": channel.as_str(), "station_id": station_id}).to_string(),
        at: now,
    };
    let hash = content.hash(GENESIS_HASH);
    let row = new_row(
        state,
        new,
        Stored {
            id,
            station_id,
            village_id,
            channel,
            resident_token_hash: auth::token_hash(&resident_token),
            head_hash: hash.clone(),
            now,
        },
    );

    let txn = db.begin().await?;
    let model = orders::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    insert_event(&txn, &content, GENESIS_HASH, &hash).await?;
    let facts = OrderFacts::try_from(&model)?;
    notify::enqueue_for_event(&txn, &state.settings, content.action, &facts, &model, now).await?;
    let order = OrderView::new(model, &facts, true, now);
    let (order, replayed) = idempotency::commit(txn, db, idem.as_ref(), 201, order, now).await?;
    if replayed {
        // A concurrent request with the same key stored its order first: answer with that one.
        if let Some(idem) = &idem {
            return replay(state, idem, order).await;
        }
    }
    Ok(Submitted {
        order,
        resident_token,
        replayed: false,
    })
}

/// The answer to a retry: the stored order, refreshed, with its derived resident token. Should
/// the key have changed since (a dev server restarted without `KEPU_JWT_SECRET`), the order's
/// token is re-keyed to the derived one, so the token answered always works.
async fn replay(state: &AppState, idem: &Idempotency, stored: OrderView) -> ApiResult<Submitted> {
    let token = state
        .resident_keys
        .token_for(idem.scope, &idem.key, stored.id);
    let hash = auth::token_hash(&token);
    let row = find(&state.db, stored.id).await?.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("replayed order {} is gone", stored.id))
    })?;
    if row.resident_token_hash != hash {
        tracing::info!(order = %row.id, "resident token re-keyed on an idempotent replay");
        orders::Entity::update_many()
            .col_expr(orders::Column::ResidentTokenHash, Expr::value(hash))
            .filter(orders::Column::Id.eq(row.id))
            .exec(&state.db)
            .await?;
    }
    Ok(Submitted {
        order: stored,
        resident_token: token,
        replayed: true,
    })
}

/// What the service decides of a new row besides the resident's input.
struct Stored {
    id: Uuid,
    station_id: Uuid,
    village_id: Option<Uuid>,
    channel: Channel,
    resident_token_hash: String,
    head_hash: String,
    now: chrono::DateTime<chrono::Utc>,
}

fn new_row(state: &AppState, new: NewOrder, s: Stored) -> orders::ActiveModel {
    orders::ActiveModel {
        id: Set(s.id),
        tracking_code: Set(TrackingCode::from_random(auth::random_bytes::<8>()).to_string()),
        resident_token_hash: Set(s.resident_token_hash),
        channel: Set(s.channel.as_str().into()),
        state: Set(OrderState::Submitted.as_str().into()),
        version: Set(1),
        head_hash: Set(s.head_hash),
        theme_code: Set(new.theme),
        township_code: Set(new.township),
        village_id: Set(s.village_id),
        description: Set(new.description.into_inner()),
        target_group_code: Set(new.target_group),
        preferred_date: Set(new.preferred_date),
        expected_attendees: Set(new.expected_attendees.map(|a| a.get() as i32)),
        address: Set(new.address.map(|a| a.into_inner())),
        latitude: Set(new.location.map(|l| l.latitude())),
        longitude: Set(new.location.map(|l| l.longitude())),
        contact_name: Set(new.contact_name.into_inner()),
        contact_phone: Set(new.contact_phone.to_string()),
        contact_email: Set(new.contact_email.map(|e| e.as_ref().to_owned())),
        station_id: Set(s.station_id),
        department_id: Set(None),
        team_id: Set(None),
        claim_scope: Set(None),
        planned_date: Set(None),
        served_on: Set(None),
        attendees: Set(None),
        summary: Set(None),
        rating_score: Set(None),
        rating_comment: Set(None),
        created_at: Set(s.now),
        updated_at: Set(s.now),
        state_entered_at: Set(s.now),
        due_at: Set(state.settings.sla.due_at(OrderState::Submitted, s.now)),
        escalated_at: Set(None),
    }
}

/// Checks the draft's codes and village against the reference data, recording every unknown
/// one in `problems` (whatever else is wrong with the draft). Returns the village id.
async fn check_references(
    db: &impl ConnectionTrait,
    draft: &OrderDraft,
    problems: &mut Problems,
) -> ApiResult<Option<Uuid>> {
    let (theme, township, target_group, village) = draft.codes();
    if let Some(theme) = theme
        && themes::Entity::find_by_id(theme).one(db).await?.is_none()
    {
        problems.add("theme", "没有这个需求主题");
    }
    let township_known = match township {
        Some(code) => {
            let known = townships::Entity::find_by_id(code).one(db).await?.is_some();
            if !known {
                problems.add("township", "没有这个苏木镇");
            }
            known
        }
        None => false,
    };
    if let Some(group) = target_group
        && target_groups::Entity::find_by_id(group)
            .one(db)
            .await?
            .is_none()
    {
        problems.add("target_group", "没有这个重点人群");
    }
    let (Some(village), Some(township), true) = (village, township, township_known) else {
        return Ok(None);
    };
    let in_township = villages::Entity::find().filter(villages::Column::TownshipCode.eq(township));
    let found = match Uuid::parse_str(village) {
        Ok(id) => {
            in_township
                .filter(villages::Column::Id.eq(id))
                .one(db)
                .await?
        }
        Err(_) => {
            in_township
                .filter(villages::Column::Name.eq(village))
                .one(db)
                .await?
        }
    };
    if found.is_none() {
        problems.add("village", "该苏木镇下没有这个嘎查/村");
    }
    Ok(found.map(|v| v.id))
}

/// Picks the station by the coverage rules (data, not code).
async fn route_order(
    db: &impl ConnectionTrait,
    township: &str,
    village: Option<Uuid>,
) -> ApiResult<Uuid> {
    let rules: Vec<CoverageRule> = station_coverage::Entity::find()
        .filter(station_coverage::Column::TownshipCode.eq(township))
        .order_by_asc(station_coverage::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| CoverageRule {
            station_id: r.station_id.into(),
            township: r.township_code,
            village_id: r.village_id.map(Into::into),
        })
        .collect();
    let fallback = stations::Entity::find()
        .filter(stations::Column::IsFallback.eq(true))
        .order_by_asc(stations::Column::Id)
        .one(db)
        .await?
        .map(|s| s.id.into());
    route(&rules, fallback, township, village.map(Into::into))
        .map(|s| s.0)
        .ok_or_else(|| ApiError::field("township", "没有阵地覆盖这个苏木镇，请联系科协"))
}
