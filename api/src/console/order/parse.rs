//! A posted action form read into the same `ActionInput` the API builds from its JSON body,
//! every bad field at once, and the service's messages put back beside the fields they name.

use kepu_domain::order::ActionKind;
use kepu_domain::value::{Attendees, Hours, Note, Reason, Summary, parse_date};
use std::collections::HashMap;
use uuid::Uuid;

use super::super::page::Posted;
use crate::error::{ApiError, Problems};
use crate::service::orders::ActionInput;

fn reason(p: &mut Problems, posted: &Posted) -> Option<Reason> {
    p.require("reason", posted.filled("reason"))
        .and_then(|r| p.check("reason", Reason::parse(&r)))
}

fn note(p: &mut Problems, posted: &Posted) -> Option<Note> {
    posted
        .filled("note")
        .and_then(|n| p.check("note", Note::parse(&n)))
}

fn uuid(p: &mut Problems, field: &str, raw: Option<String>) -> Option<Uuid> {
    raw.and_then(|r| p.check(field, Uuid::parse_str(&r).map_err(|_| "不是有效的ID")))
}

/// The hours table of `complete`: one `h-<volunteer id>` field per member; empty means absent.
/// Answers the volunteers in the order they are sent, so a service message about
/// `hours[i]` can be put beside the right row.
fn hours_of(p: &mut Problems, posted: &Posted) -> (Vec<(Uuid, Hours)>, Vec<Uuid>) {
    let mut hours = Vec::new();
    let mut order = Vec::new();
    for (key, value) in posted.pairs() {
        let Some(id) = key
            .strip_prefix("h-")
            .and_then(|id| Uuid::parse_str(id).ok())
        else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let field = format!("h-{id}");
        let parsed = value
            .parse::<f64>()
            .map_err(|_| "请填写数字".to_owned())
            .and_then(|h| Hours::parse(h).map_err(|e| e.to_string()));
        if let Some(h) = p.check(&field, parsed) {
            order.push(id);
            hours.push((id, h));
        }
    }
    (hours, order)
}

/// The order id of a path; `None` when it is not one.
pub fn parse_order_id(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw).ok()
}

/// Parses the form of `kind` into the action's input, as the API parses its JSON body.
/// The second value lists the volunteers of a `complete` in the order sent.
pub fn parse_input(
    kind: ActionKind,
    posted: &Posted,
) -> (Result<ActionInput, ApiError>, Vec<Uuid>) {
    let mut p = Problems::new();
    let mut sent = vec![];
    let input = match kind {
        ActionKind::Dispatch => {
            let department = p.require("department_id", posted.filled("department_id"));
            let department = uuid(&mut p, "department_id", department);
            let note = note(&mut p, posted);
            p.finish(|| {
                Some(ActionInput::Dispatch {
                    department_id: department?.into(),
                    note,
                })
            })
        }
        ActionKind::Reject => {
            let reason = reason(&mut p, posted);
            let duplicate_of = uuid(&mut p, "duplicate_of", posted.filled("duplicate_of"));
            p.finish(|| {
                Some(ActionInput::Reject {
                    reason: reason?,
                    duplicate_of: duplicate_of.map(Into::into),
                })
            })
        }
        ActionKind::Accept => {
            let team_ids = if posted.get("offer") == Some("chosen") {
                let raw = posted.all("team_ids");
                if raw.is_empty() {
                    p.add("team_ids", "至少指定一个服务队，或开放给所有服务队");
                }
                let ids = raw
                    .into_iter()
                    .filter_map(|r| uuid(&mut p, "team_ids", Some(r.to_owned())))
                    .map(Into::into)
                    .collect();
                Some(ids)
            } else {
                None
            };
            let note = note(&mut p, posted);
            p.finish(|| Some(ActionInput::Accept { team_ids, note }))
        }
        ActionKind::Return => {
            let reason = reason(&mut p, posted);
            p.finish(|| Some(ActionInput::Return { reason: reason? }))
        }
        ActionKind::Release => {
            let reason = reason(&mut p, posted);
            p.finish(|| Some(ActionInput::Release { reason: reason? }))
        }
        ActionKind::Claim => {
            let planned_date = posted
                .filled("planned_date")
                .and_then(|d| p.check("planned_date", parse_date(&d)));
            let note = note(&mut p, posted);
            p.finish(|| Some(ActionInput::Claim { planned_date, note }))
        }
        ActionKind::Complete => {
            let served_on = p
                .require("served_on", posted.filled("served_on"))
                .and_then(|d| p.check("served_on", parse_date(&d)));
            let attendees = p
                .require("attendees", posted.filled("attendees"))
                .and_then(|n| {
                    p.check(
                        "attendees",
                        n.parse::<i64>()
                            .map_err(|_| "请填写整数".to_owned())
                            .and_then(|n| Attendees::parse(n).map_err(|e| e.to_string())),
                    )
                });
            let summary = p
                .require("summary", posted.filled("summary"))
                .and_then(|s| p.check("summary", Summary::parse(&s)));
            let (hours, order) = hours_of(&mut p, posted);
            if hours.is_empty() && p.is_empty() {
                p.add("hours", "至少填写一名志愿者的时长");
            }
            sent = order;
            p.finish(|| {
                Some(ActionInput::Complete {
                    served_on: served_on?,
                    attendees: attendees?,
                    summary: summary?,
                    hours: Some(hours),
                })
            })
        }
        ActionKind::Close => Ok(ActionInput::Close),
        _ => {
            let reason = posted
                .filled("reason")
                .and_then(|r| p.check("reason", Reason::parse(&r)));
            p.finish(|| Some(ActionInput::Cancel { reason }))
        }
    };
    (input, sent)
}

/// Puts the service's `hours[i].…` messages beside the member rows (`h-<volunteer id>`).
pub fn place_hours_errors(
    errors: HashMap<String, String>,
    sent: &[Uuid],
) -> HashMap<String, String> {
    errors
        .into_iter()
        .map(|(field, message)| {
            let row = field
                .strip_prefix("hours[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(i, _)| i.parse::<usize>().ok())
                .and_then(|i| sent.get(i));
            match row {
                Some(id) => (format!("h-{id}"), message),
                None => (field, message),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn hours_messages_go_beside_the_member_they_name() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let errors = HashMap::from([
            ("hours[1].hours".to_owned(), "too many".to_owned()),
            ("summary".to_owned(), "required".to_owned()),
        ]);
        let placed = place_hours_errors(errors, &[a, b]);
        assert_eq!(
            placed.get(&format!("h-{b}")).map(String::as_str),
            Some("too many")
        );
        assert_eq!(placed.get("summary").map(String::as_str), Some("required"));
    }

    #[test]
    fn a_complete_form_reads_like_the_api_body() {
        let v = Uuid::now_v7();
        let posted = Posted::new(vec![
            ("served_on".into(), "2024-05-01".into()),
            ("attendees".into(), "30".into()),
            ("summary".into(), "讲了疫苗".into()),
            (format!("h-{v}"), "2.5".into()),
            (format!("h-{}", Uuid::now_v7()), "".into()),
        ]);
        let (input, sent) = parse_input(ActionKind::Complete, &posted);
        assert_eq!(sent, vec![v]);
        assert!(
            matches!(input, Ok(ActionInput::Complete { hours: Some(hours), .. }) if hours.len() == 1)
        );

        let bad = Posted::new(vec![(format!("h-{v}"), "0.3".into())]);
        let (input, _) = parse_input(ActionKind::Complete, &bad);
        let Err(ApiError::Validation(errors)) = input else {
            panic!("expected a validation error");
        };
        let fields: HashSet<_> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["served_on", "attendees", "summary", &format!("h-{v}")] {
            assert!(fields.contains(f), "{f} missing from {fields:?}");
        }
    }
}
