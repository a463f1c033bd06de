//! Every word the console shows, in one place per language: Chinese (zh-CN) first, English
//! second, as `web/i18n.rs` does for the resident pages (whose `Lang` the console shares, so
//! one `lang` cookie serves both). Reference names (themes, townships, departments, teams)
//! come from the database.

use kepu_domain::{OrderState, Role};

pub use crate::web::i18n::Lang;

mod en;
mod text;
pub mod volunteer;
mod zh;

pub use en::EN;
pub use text::Text;
pub use zh::ZH;

/// The console's words of `lang`.
pub fn text(lang: Lang) -> &'static Text {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// A state's name.
pub fn state(lang: Lang, state: OrderState) -> &'static str {
    lang.state(state)
}

/// A role's name.
pub fn role(lang: Lang, role: Role) -> &'static str {
    match (lang, role) {
        (Lang::Zh, Role::AssociationAdmin) => "科协管理员",
        (Lang::Zh, Role::StationStaff) => "实践站工作人员",
        (Lang::Zh, Role::DepartmentStaff) => "部门工作人员",
        (Lang::Zh, Role::TeamLeader) => "服务队队长",
        (Lang::Zh, Role::Volunteer) => "志愿者",
        (Lang::En, Role::AssociationAdmin) => "Association administrator",
        (Lang::En, Role::StationStaff) => "Station staff",
        (Lang::En, Role::DepartmentStaff) => "Department staff",
        (Lang::En, Role::TeamLeader) => "Team leader",
        (Lang::En, Role::Volunteer) => "Volunteer",
    }
}

/// Who acted, as an event records it (`public`, `resident`, `system` or an account role).
pub fn actor(lang: Lang, stored: &str) -> &'static str {
    match (lang, stored) {
        (Lang::Zh, "public" | "resident") => "群众",
        (Lang::Zh, "system") => "系统",
        (Lang::En, "public" | "resident") => "resident",
        (Lang::En, "system") => "system",
        (_, other) => match other.parse::<Role>() {
            Ok(r) => role(lang, r),
            Err(_) => match lang {
                Lang::Zh => "未知",
                Lang::En => "unknown",
            },
        },
    }
}

/// An event's action in words.
pub fn action(lang: Lang, stored: &str) -> &'static str {
    let zh = lang == Lang::Zh;
    match stored {
        "submit" => {
            if zh {
                "点单"
            } else {
                "requested"
            }
        }
        "dispatch" => {
            if zh {
                "派单"
            } else {
                "dispatched"
            }
        }
        "reject" => {
            if zh {
                "驳回"
            } else {
                "rejected"
            }
        }
        "accept" => {
            if zh {
                "领单"
            } else {
                "accepted"
            }
        }
        "return" => {
            if zh {
                "退回实践站"
            } else {
                "returned to the station"
            }
        }
        "claim" => {
            if zh {
                "接单"
            } else {
                "claimed"
            }
        }
        "release" => {
            if zh {
                "退单"
            } else {
                "released"
            }
        }
        "complete" => {
            if zh {
                "结单"
            } else {
                "completed"
            }
        }
        "rate" => {
            if zh {
                "评单"
            } else {
                "rated"
            }
        }
        "close" => {
            if zh {
                "关闭"
            } else {
                "closed"
            }
        }
        "cancel" => {
            if zh {
                "取消"
            } else {
                "cancelled"
            }
        }
        "escalate" => {
            if zh {
                "超时提醒"
            } else {
                "escalated (overdue)"
            }
        }
        _ => {
            if zh {
                "其他"
            } else {
                "other"
            }
        }
    }
}

/// How an order came in.
pub fn channel(lang: Lang, stored: &str) -> &'static str {
    let zh = lang == Lang::Zh;
    match stored {
        "web" => {
            if zh {
                "群众网上点单"
            } else {
                "web form"
            }
        }
        "station" => {
            if zh {
                "工作人员代录"
            } else {
                "entered by staff"
            }
        }
        "phone" => {
            if zh {
                "电话"
            } else {
                "by phone"
            }
        }
        "counter" => {
            if zh {
                "窗口"
            } else {
                "at the counter"
            }
        }
        "open311" => "Open311",
        _ => {
            if zh {
                "其他"
            } else {
                "other"
            }
        }
    }
}

/// The answer to a locked sign-in: how long to wait.
pub fn locked(lang: Lang, seconds: u64) -> String {
    match lang {
        Lang::Zh => format!("尝试次数过多，请 {seconds} 秒后再试。"),
        Lang::En => format!("Too many attempts; try again in {seconds} seconds."),
    }
}

/// The outcome of a bulk action: how many went through and how many did not.
pub fn bulk_outcome(lang: Lang, done: usize, failed: usize) -> String {
    match (lang, failed) {
        (Lang::Zh, 0) => format!("已办理 {done} 个。"),
        (Lang::Zh, _) => {
            format!("已办理 {done} 个；{failed} 个未能办理（已被他人处理，或不在您的范围内）。")
        }
        (Lang::En, 0) => format!("{done} done."),
        (Lang::En, _) => format!(
            "{done} done; {failed} could not be done (someone else acted on them, or they are outside what you handle)."
        ),
    }
}

/// A field's error message. In Chinese the service's own message is already plain words; in
/// English a message per field replaces it (the resident form's fields use that form's words).
pub fn field_message(lang: Lang, field: &str, server_message: &str) -> String {
    if lang == Lang::Zh {
        return server_message.to_owned();
    }
    if server_message == "必填" || server_message == "不能为空" {
        return EN.required.to_owned();
    }
    let message = if field.starts_with("hours[") && field.ends_with(".hours") {
        "Enter hours above 0 and at most 24 in steps of 0.5; one volunteer's hours on one day add up to at most 24."
    } else if field.starts_with("hours[") {
        "Not an approved member of the claiming team."
    } else {
        match field {
            "department_id" => "Choose a department.",
            "reason" | "note" => "At most 500 characters.",
            "duplicate_of" => "Choose one of the listed orders.",
            "team_ids" => "Choose at least one active team, or offer it to all teams.",
            "planned_date" => "Choose a date from today on.",
            "served_on" => "Choose a date not after today.",
            "attendees" => "Enter a whole number of person-times.",
            "summary" => "Write what was done, in at most 2000 characters.",
            "hours" => "Give the hours of at least one member.",
            "current_password" => "The current password is wrong.",
            "new_password" => "8 to 128 characters, different from the current password.",
            "confirm_password" => EN.mismatch,
            "email" => "Enter a valid email address.",
            "channel" => "Choose how the request came in.",
            other => return Lang::En.field_message(other, server_message),
        }
    };
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_name_has_words_in_both_languages() {
        for lang in [Lang::Zh, Lang::En] {
            for role_ in Role::ALL {
                assert!(!role(lang, role_).is_empty());
                assert_ne!(actor(lang, role_.as_str()), actor(lang, "nonsense"));
            }
            for kind in kepu_domain::order::ActionKind::ALL {
                assert_ne!(action(lang, kind.as_str()), action(lang, "nonsense"));
            }
            for ch in ["web", "station", "phone", "counter", "open311"] {
                assert_ne!(channel(lang, ch), channel(lang, "nonsense"));
            }
        }
    }

    #[test]
    fn english_replaces_the_services_chinese_messages() {
        assert_eq!(field_message(Lang::En, "reason", "必填"), "Required");
        assert!(field_message(Lang::En, "hours[2].hours", "超过24小时").contains("0.5"));
        assert_eq!(field_message(Lang::Zh, "reason", "必填"), "必填");
        assert_eq!(
            field_message(Lang::En, "contact_phone", "请填写11位手机号码"),
            Lang::En.field_message("contact_phone", "请填写11位手机号码")
        );
    }
}
