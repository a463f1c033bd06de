//! Words with numbers in them, and field messages, of the volunteers' and leaders' pages
//! (`/console/me` for volunteers, the certificate, `/console/activities`).

use super::Lang;
use crate::error::ApiError;
use std::collections::HashMap;

/// The hours still missing to the next star level.
pub fn next_star(lang: Lang, level: u8, missing: f64) -> String {
    match lang {
        Lang::Zh => format!("距 {level} 星还差 {missing} 小时。"),
        Lang::En => format!("{missing} hours to go to star level {level}."),
    }
}

/// A star level as stars, or the words for none.
pub fn stars(lang: Lang, level: u8) -> String {
    if level == 0 {
        super::text(lang).no_star.to_owned()
    } else {
        let stars = "★".repeat(usize::from(level));
        match lang {
            Lang::Zh => format!("{stars}（{level}星）"),
            Lang::En => format!("{stars} ({level})"),
        }
    }
}

/// A place on the waiting list.
pub fn waitlisted(lang: Lang, position: Option<i64>) -> String {
    match (lang, position) {
        (Lang::Zh, Some(p)) => format!("候补第 {p} 位"),
        (Lang::Zh, None) => "候补".to_owned(),
        (Lang::En, Some(p)) => format!("Waiting list, number {p}"),
        (Lang::En, None) => "Waiting list".to_owned(),
    }
}

/// A sign-up's state in words (`waitlisted` with its place).
pub fn signup_state(lang: Lang, state: Option<&str>, position: Option<i64>) -> String {
    let t = super::text(lang);
    match state {
        Some("signed_up") => t.st_signed_up.to_owned(),
        Some("waitlisted") => waitlisted(lang, position),
        Some("withdrawn") => t.st_withdrawn.to_owned(),
        _ => t.st_none.to_owned(),
    }
}

/// A service record's state in words.
pub fn record_state(lang: Lang, state: &str) -> &'static str {
    let t = super::text(lang);
    match state {
        "confirmed" => t.rec_confirmed,
        "disputed" => t.rec_disputed,
        _ => t.rec_pending,
    }
}

/// Where hours came from, in words.
pub fn source(lang: Lang, source: &str) -> &'static str {
    let t = super::text(lang);
    match source {
        "attendance" => t.source_attendance,
        _ => t.source_manual,
    }
}

/// Hours as people write them: `2`, `2.5`.
pub fn hours(h: f64) -> String {
    if h.fract() == 0.0 {
        format!("{h:.0}")
    } else {
        format!("{h:.1}")
    }
}

/// A field's message in `lang`: the service's Chinese, or English words per field.
pub fn field_message(lang: Lang, field: &str, server_message: &str) -> String {
    if lang == Lang::Zh {
        return server_message.to_owned();
    }
    if server_message == "必填" || server_message == "不能为空" {
        return super::EN.required.to_owned();
    }
    let message = match field {
        "code" => "Enter the 6-digit code the leader shows now; it changes every 10 minutes.",
        "starts_at" => "Enter the date and time it starts.",
        "ends_at" => "It must end after it starts, last at most 24 hours and not be over already.",
        "place" => "Enter the place, in at most 200 characters.",
        "slots" => "A whole number from 1 to 10000, not fewer than are signed up already.",
        "note" => "At most 2000 characters.",
        "volunteer_id" => "Choose an approved member of the team.",
        "checked_in_at" | "checked_out_at" => {
            "Within an hour before the start to two hours after the end, not in the future; leaving after arriving."
        }
        "from" | "to" => "Enter a date as YYYY-MM-DD; the end not before the start.",
        other => return super::field_message(lang, other, server_message),
    };
    message.to_owned()
}

/// Messages beside fields, keyed by field, from a validation error.
pub fn field_errors(lang: Lang, err: &ApiError) -> HashMap<String, String> {
    let mut out = HashMap::new();
    if let ApiError::Validation(errors) = err {
        for e in errors {
            out.entry(e.field.clone())
                .or_insert_with(|| field_message(lang, &e.field, &e.message));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_in_both_languages() {
        assert_eq!(next_star(Lang::Zh, 1, 99.5), "距 1 星还差 99.5 小时。");
        assert!(next_star(Lang::En, 2, 3.0).contains("3 hours"));
        assert_eq!(hours(2.0), "2");
        assert_eq!(hours(2.5), "2.5");
        assert_eq!(stars(Lang::Zh, 0), "未达星级");
        assert!(stars(Lang::En, 2).starts_with("★★"));
        assert_eq!(
            signup_state(Lang::Zh, Some("waitlisted"), Some(2)),
            "候补第 2 位"
        );
        assert_eq!(
            field_message(Lang::En, "code", "签到码错误"),
            field_message(Lang::En, "code", "x")
        );
        assert_eq!(field_message(Lang::Zh, "code", "签到码错误"), "签到码错误");
    }
}
