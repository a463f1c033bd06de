//! An action's input, parsed once into domain values, and everything that follows from it:
//! the domain action the rules judge, the reason and data recorded on the event, and the
//! columns the action sets besides state, version and scope.

use chrono::NaiveDate;
use kepu_domain::order::{Action, Actor};
use kepu_domain::value::{Attendees, Hours, Note, Reason, Score, Summary};
use kepu_domain::{DepartmentId, OrderId, TeamId};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::SimpleExpr;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entity::orders;

/// An action's validated input.
#[derive(Clone, Debug)]
pub enum ActionInput {
    /// Route to a department.
    Dispatch {
        /// The department.
        department_id: DepartmentId,
        /// A note for the department.
        note: Option<Note>,
    },
    /// Decline.
    Reject {
        /// Why.
        reason: Reason,
        /// The order this duplicates.
        duplicate_of: Option<OrderId>,
    },
    /// Take and open to teams.
    Accept {
        /// Teams allowed to claim; `None` for all active teams.
        team_ids: Option<Vec<TeamId>>,
        /// A note for the teams.
        note: Option<Note>,
    },
    /// Send back to the station.
    Return {
        /// Why.
        reason: Reason,
    },
    /// Claim for the leader's team.
    Claim {
        /// When the team plans to serve.
        planned_date: Option<NaiveDate>,
        /// A note.
        note: Option<Note>,
    },
    /// Give back to the pool.
    Release {
        /// Why.
        reason: Reason,
    },
    /// Served.
    Complete {
        /// When.
        served_on: NaiveDate,
        /// Person-times served.
        attendees: Attendees,
        /// What was done.
        summary: Summary,
        /// Hours per volunteer; `None` takes them from the activity's attendance.
        hours: Option<Vec<(Uuid, Hours)>>,
    },
    /// The resident's rating.
    Rate {
        /// 1–5.
        score: Score,
        /// Optional comment.
        comment: Option<Note>,
    },
    /// Close without rating.
    Close,
    /// Withdraw or cancel.
    Cancel {
        /// Why (required of staff).
        reason: Option<Reason>,
    },
}

/// What an action means, derived from its input in one place.
#[derive(Debug)]
pub struct Effects {
    /// What the rules judge.
    pub action: Action,
    /// The reason recorded on the event.
    pub reason: Option<String>,
    /// The rest of the input, recorded on the event.
    pub data: Value,
    /// Columns the action sets besides state, version, deadline and claim scope.
    pub columns: Vec<(orders::Column, SimpleExpr)>,
}

fn text<T: AsRef<str>>(value: &Option<T>) -> Option<&str> {
    value.as_ref().map(AsRef::as_ref).filter(|s| !s.is_empty())
}

impl ActionInput {
    /// The domain action, event reason and data, and column changes of this input as taken by
    /// `actor` (a claim records the claiming leader's team).
    pub fn effects(&self, actor: &Actor) -> Effects {
        let plain = |action, reason: Option<&Reason>| Effects {
            action,
            reason: reason.map(|r| r.as_ref().to_owned()),
            data: json!({}),
            columns: vec![],
        };
        match self {
            Self::Dispatch {
                department_id,
                note,
            } => Effects {
                action: Action::Dispatch {
                    department_id: *department_id,
                },
                reason: None,
                data: json!({"department_id": department_id, "note": text(note)}),
                columns: vec![],
            },
            Self::Reject {
                reason,
                duplicate_of,
            } => Effects {
                data: json!({"duplicate_of": duplicate_of}),
                ..plain(Action::Reject, Some(reason))
            },
            Self::Accept { team_ids, note } => Effects {
                action: Action::Accept {
                    team_ids: team_ids.clone(),
                },
                reason: None,
                data: json!({"team_ids": team_ids, "note": text(note)}),
                columns: vec![],
            },
            Self::Return { reason } => plain(Action::Return, Some(reason)),
            Self::Release { reason } => plain(Action::Release, Some(reason)),
            Self::Claim { planned_date, note } => {
                let team_id = match actor {
                    Actor::TeamLeader { team_id, .. } => Some(team_id.0),
                    _ => None,
                };
                Effects {
                    action: Action::Claim,
                    reason: None,
                    data: json!({"team_id": team_id, "planned_date": planned_date, "note": text(note)}),
                    columns: vec![(orders::Column::PlannedDate, Expr::value(*planned_date))],
                }
            }
            Self::Complete {
                served_on,
                attendees,
                summary,
                hours,
            } => Effects {
                action: Action::Complete,
                reason: None,
                data: json!({
                    "served_on": served_on,
                    "attendees": attendees.get(),
                    "summary": summary.as_ref(),
                    "hours": hours.as_ref().map(|hours| hours
                        .iter()
                        .map(|(v, h)| json!({"volunteer_id": v, "hours": h.as_f64()}))
                        .collect::<Vec<_>>()),
                }),
                columns: vec![
                    (orders::Column::ServedOn, Expr::value(*served_on)),
                    (
                        orders::Column::Attendees,
                        Expr::value(attendees.get() as i32),
                    ),
                    (
                        orders::Column::Summary,
                        Expr::value(summary.as_ref().to_owned()),
                    ),
                ],
            },
            Self::Rate { score, comment } => Effects {
                action: Action::Rate,
                reason: None,
                data: json!({"score": score.get(), "comment": text(comment)}),
                columns: vec![
                    (
                        orders::Column::RatingScore,
                        Expr::value(i16::from(score.get())),
                    ),
                    (
                        orders::Column::RatingComment,
                        Expr::value(text(comment).map(str::to_owned)),
                    ),
                ],
            },
            Self::Close => plain(Action::Close, None),
            Self::Cancel { reason } => Effects {
                action: Action::Cancel {
                    has_reason: reason.is_some(),
                },
                ..plain(Action::Close, reason.as_ref())
            },
        }
    }
}
