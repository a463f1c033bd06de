//! Every message the service sends, in Chinese, as plain text and HTML: all user-facing mail
//! wording lives in this one file. Each order message carries the tracking code and a link.

use crate::html::escape;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use kepu_domain::OrderState;
use kepu_domain::notice::MessageKind;
use uuid::Uuid;

/// What a message about an order says about it.
#[derive(Clone, Debug)]
pub struct OrderFacts<'a> {
    /// The order.
    pub id: Uuid,
    /// The resident's tracking code.
    pub tracking_code: &'a str,
    /// What the resident asked for (shortened in the message).
    pub description: &'a str,
    /// The state it is in now.
    pub state: OrderState,
    /// Its deadline in that state.
    pub due_at: Option<DateTime<Utc>>,
}

/// What a message is about.
#[derive(Clone, Debug)]
pub enum Subject<'a> {
    /// An order.
    Order(OrderFacts<'a>),
    /// A volunteer's registration.
    Volunteer {
        /// Their real name.
        real_name: &'a str,
    },
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// Renders `kind` about `about`; links start with `public_url` (no trailing slash), times are
/// shown in the deployment's zone `tz`.
pub fn render(kind: MessageKind, about: &Subject<'_>, public_url: &str, tz: Tz) -> Rendered {
    match about {
        Subject::Order(o) => render_order(kind, o, public_url, tz),
        Subject::Volunteer { real_name } => {
            let subject = "【科普派单】您的志愿者注册已通过审核".to_owned();
            let lines = vec![
                format!("{real_name}，您好："),
                "您在科普派单的志愿者注册已通过科协审核，现在可以加入科技志愿服务队、登记服务时长。"
                    .to_owned(),
            ];
            let link = format!("{public_url}/");
            finish(subject, lines, &link, "登录科普派单")
        }
    }
}

fn render_order(kind: MessageKind, o: &OrderFacts<'_>, public_url: &str, tz: Tz) -> Rendered {
    let code = o.tracking_code;
    let staff_link = format!("{public_url}/console/orders/{}", o.id);
    let resident_link = format!("{public_url}/t/{code}");
    let need = shorten(o.description, 80);
    let due = o
        .due_at
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string());
    let due_line = |what: &str| {
        due.as_ref()
            .map(|d| format!("{what}：{d}"))
            .unwrap_or_default()
    };
    let (subject, mut lines, link, label) = match kind {
        MessageKind::NewOrder => (
            format!("【科普派单】新需求待派单（查询码 {code}）"),
            vec![
                "您所在阵地收到一条群众新点单，请审核并派单给相关部门。".to_owned(),
                due_line("请在此时间前处理"),
            ],
            staff_link,
            "查看订单",
        ),
        MessageKind::Dispatched => (
            format!("【科普派单】阵地派来一条需求（查询码 {code}）"),
            vec![
                "阵地已将一条群众需求派给贵部门，请领单并开放给志愿服务队，或退回阵地。".to_owned(),
                due_line("请在此时间前处理"),
            ],
            staff_link,
            "查看订单",
        ),
        MessageKind::OpenToTeams => (
            format!("【科普派单】有新需求可以接单（查询码 {code}）"),
            vec!["部门已领单，贵服务队可以接单提供服务。".to_owned()],
            staff_link,
            "查看订单",
        ),
        MessageKind::Claimed => (
            format!("【科普派单】需求已被服务队接单（查询码 {code}）"),
            vec!["一支科技志愿服务队已接单，正在安排服务。".to_owned()],
            staff_link,
            "查看订单",
        ),
        MessageKind::Released => (
            format!("【科普派单】服务队放弃了接单（查询码 {code}）"),
            vec!["接单的服务队已放弃，该需求重新开放给服务队接单。".to_owned()],
            staff_link,
            "查看订单",
        ),
        MessageKind::Completed => (
            format!("【科普派单】需求已结单（查询码 {code}）"),
            vec!["服务队已完成服务并登记了服务时长，请部门确认时长。".to_owned()],
            staff_link,
            "查看订单",
        ),
        MessageKind::CompletedForResident => (
            format!("【科普派单】您的需求已完成服务，请评价（查询码 {code}）"),
            vec![
                "您好！您点的科普服务已经完成。请用查询码查看进度，并为这次服务打分。".to_owned(),
                due_line("评价截止"),
            ],
            resident_link,
            "查看并评价",
        ),
        MessageKind::Escalated => (
            format!(
                "【科普派单】需求已超时：{}（查询码 {code}）",
                o.state.label_zh()
            ),
            vec![
                format!(
                    "这条需求停留在“{}”状态，已超过处理时限，请督促处理。",
                    o.state.label_zh()
                ),
                due_line("时限"),
            ],
            staff_link,
            "查看订单",
        ),
        // Approval is about a registration and activity messages about an activity, not an
        // order (see `render` and `render_activity`); should one ever be sent about an order,
        // it says no more than that something happened.
        MessageKind::VolunteerApproved
        | MessageKind::ActivityRescheduled
        | MessageKind::ActivityPromoted
        | MessageKind::ActivityReminder => (
            format!("【科普派单】通知（查询码 {code}）"),
            vec![],
            staff_link,
            "查看订单",
        ),
    };
    lines.retain(|l| !l.is_empty());
    lines.push(format!("需求：{need}"));
    lines.push(format!("查询码：{code}"));
    finish(subject, lines, &link, label)
}

/// What a message about an activity says about it.
#[derive(Clone, Debug)]
pub struct ActivityFacts<'a> {
    /// The order served.
    pub order_id: Uuid,
    /// What the resident asked for (shortened in the message).
    pub description: &'a str,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Where.
    pub place: &'a str,
    /// The leader's note.
    pub note: Option<&'a str>,
}

/// Renders a message to a volunteer about an activity: rescheduled, moved up from the
/// waitlist, or the reminder a day before (with the link to withdraw). Times are shown in `tz`.
pub fn render_activity(
    kind: MessageKind,
    a: &ActivityFacts<'_>,
    public_url: &str,
    tz: Tz,
) -> Rendered {
    let fmt = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let when = format!(
        "时间：{} 至 {}",
        fmt(a.starts_at),
        a.ends_at.with_timezone(&tz).format("%H:%M")
    );
    let page = format!("{public_url}/console/activities/{}", a.order_id);
    let (subject, first, link, label) = match kind {
        MessageKind::ActivityRescheduled => (
            "【科普派单】您报名的志愿服务活动时间地点有变",
            "您报名参加的科普志愿服务活动已重新安排，请留意新的时间和地点。",
            page,
            "查看活动",
        ),
        MessageKind::ActivityPromoted => (
            "【科普派单】您已从候补转为正式报名",
            "有志愿者退出了活动，您已从候补名单转为正式报名，请按时参加。",
            page,
            "查看活动",
        ),
        _ => (
            "【科普派单】明天的志愿服务活动提醒",
            "您报名的科普志愿服务活动将在24小时内开始。如不能参加，请尽早退出，把名额让给候补的志愿者。",
            format!("{page}/withdraw"),
            "不能参加？退出报名",
        ),
    };
    let mut lines = vec![first.to_owned(), when, format!("地点：{}", a.place)];
    if let Some(note) = a.note {
        lines.push(format!("备注：{}", shorten(note, 200)));
    }
    lines.push(format!("需求：{}", shorten(a.description, 80)));
    finish(
        format!("{subject}（{}）", fmt(a.starts_at)),
        lines,
        &link,
        label,
    )
}

fn finish(subject: String, lines: Vec<String>, link: &str, label: &str) -> Rendered {
    const FOOTER: &str = "此邮件由科普派单系统自动发送，请勿直接回复。";
    let mut text = lines.join("\n");
    text.push_str(&format!("\n\n{label}：{link}\n\n—— {FOOTER}\n"));
    let mut html = String::from("<!doctype html><html lang=\"zh-CN\"><body>");
    for line in &lines {
        html.push_str(&format!("<p>{}</p>", escape(line)));
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">{}</a></p><p style=\"color:#666\">{}</p></body></html>",
        escape(link),
        escape(label),
        escape(FOOTER)
    ));
    Rendered {
        subject,
        text,
        html,
    }
}

/// The first `max` characters of `s` on one line, with an ellipsis when cut.
fn shorten(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: String = flat.chars().take(max).collect();
    if flat.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(description: &str) -> OrderFacts<'_> {
        OrderFacts {
            id: Uuid::nil(),
            tracking_code: "K7Q2M9XA",
            description,
            state: OrderState::Accepted,
            due_at: DateTime::from_timestamp(1_800_000_000, 0),
        }
    }

    #[test]
    fn every_order_message_has_the_code_and_a_link_in_both_parts() {
        let o = order("讲讲羊的疫苗");
        for kind in MessageKind::ALL {
            let r = render(
                kind,
                &Subject::Order(o.clone()),
                "https://kepu.example.cn",
                chrono_tz::Asia::Shanghai,
            );
            for part in [&r.subject, &r.text, &r.html] {
                assert!(part.contains("K7Q2M9XA"), "{kind:?}: {part}");
            }
            assert!(r.text.contains("https://kepu.example.cn/"), "{kind:?}");
            assert!(
                r.html.contains("href=\"https://kepu.example.cn/"),
                "{kind:?}"
            );
        }
        let resident = render(
            MessageKind::CompletedForResident,
            &Subject::Order(o),
            "https://kepu.example.cn",
            chrono_tz::Asia::Shanghai,
        );
        assert!(resident.text.contains("https://kepu.example.cn/t/K7Q2M9XA"));
        assert!(!resident.text.contains("/api/v1/orders/"));
        assert!(!resident.text.contains("/console/"));
        let staff = render(
            MessageKind::NewOrder,
            &Subject::Order(order("讲讲羊的疫苗")),
            "https://kepu.example.cn",
            chrono_tz::Asia::Shanghai,
        );
        assert!(
            staff
                .text
                .contains("https://kepu.example.cn/console/orders/")
        );
    }

    #[test]
    fn activity_messages_show_local_time_place_and_the_withdraw_link() {
        let a = ActivityFacts {
            order_id: Uuid::nil(),
            description: "讲讲羊的疫苗",
            starts_at: DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
            ends_at: DateTime::from_timestamp(1_800_007_200, 0).expect("time"),
            place: "<b>嘎查</b>文化室",
            note: Some("带上笔记本"),
        };
        let r = render_activity(
            MessageKind::ActivityReminder,
            &a,
            "https://kepu.example.cn",
            chrono_tz::Asia::Shanghai,
        );
        assert!(r.subject.contains("2027-01-15 16:00"), "{}", r.subject);
        assert!(r.text.contains("2027-01-15 16:00 至 18:00"), "{}", r.text);
        assert!(r.text.contains(&format!(
            "https://kepu.example.cn/console/activities/{}/withdraw",
            Uuid::nil()
        )));
        assert!(r.html.contains("&lt;b&gt;嘎查"));
        for kind in [
            MessageKind::ActivityRescheduled,
            MessageKind::ActivityPromoted,
        ] {
            let r = render_activity(kind, &a, "http://x", chrono_tz::Asia::Shanghai);
            assert!(!r.text.contains("/withdraw"), "{kind:?}");
            assert!(r.text.contains("带上笔记本"));
        }
    }

    #[test]
    fn resident_text_is_escaped_in_html_and_shortened() {
        let long = format!("<script>alert(1)</script>{}", "羊".repeat(200));
        let r = render(
            MessageKind::NewOrder,
            &Subject::Order(order(&long)),
            "http://x",
            chrono_tz::Asia::Shanghai,
        );
        assert!(!r.html.contains("<script>"));
        assert!(r.html.contains("&lt;script&gt;"));
        assert!(r.text.contains('…'));
        // Deadlines are shown in the deployment's zone: 1_800_000_000 is 2027-01-15 16:00 +08.
        assert!(r.text.contains("2027-01-15 16:00"), "{}", r.text);
    }
}
