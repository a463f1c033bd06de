//! Every word the console shows, in one place per language: Chinese (zh-CN) first, English
//! second, as `web/i18n.rs` does for the resident pages (whose `Lang` the console shares, so
//! one `lang` cookie serves both). Reference names (themes, townships, departments, teams)
//! come from the database.

use kepu_domain::{OrderState, Role};

pub use crate::web::i18n::Lang;

/// The words of one language. Field names say where each is used.
#[derive(Debug)]
pub struct Text {
    pub site: &'static str,
    pub switch_label: &'static str,
    pub skip: &'static str,
    pub nav_label: &'static str,
    pub nav_orders: &'static str,
    pub nav_new: &'static str,
    pub nav_hours: &'static str,
    pub sign_out: &'static str,
    pub login_title: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub bad_credentials: &'static str,
    pub signed_out: &'static str,
    pub sign_in_again: &'static str,
    pub expired_form: &'static str,
    pub fix_errors: &'static str,
    pub stale: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden_text: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub error_title: &'static str,
    pub server_error: &'static str,
    pub rate_limited: &'static str,
    pub back: &'static str,
    pub required: &'static str,
    pub queue_title: &'static str,
    pub filters: &'static str,
    pub f_state: &'static str,
    pub f_theme: &'static str,
    pub f_township: &'static str,
    pub f_overdue: &'static str,
    pub any: &'static str,
    pub apply: &'static str,
    pub clear: &'static str,
    pub counts_label: &'static str,
    pub col_code: &'static str,
    pub col_state: &'static str,
    pub col_theme: &'static str,
    pub col_place: &'static str,
    pub col_due: &'static str,
    pub col_request: &'static str,
    pub overdue: &'static str,
    pub empty_queue: &'static str,
    pub next_page: &'static str,
    pub first_page: &'static str,
    pub select: &'static str,
    pub select_all: &'static str,
    pub bulk_title: &'static str,
    pub bulk_department: &'static str,
    pub bulk_button: &'static str,
    pub bulk_none: &'static str,
    pub l_code: &'static str,
    pub l_state: &'static str,
    pub l_channel: &'static str,
    pub l_theme: &'static str,
    pub l_place: &'static str,
    pub l_description: &'static str,
    pub l_target_group: &'static str,
    pub l_preferred_date: &'static str,
    pub l_expected: &'static str,
    pub l_address: &'static str,
    pub l_contact: &'static str,
    pub l_phone: &'static str,
    pub l_station: &'static str,
    pub l_department: &'static str,
    pub l_team: &'static str,
    pub l_planned: &'static str,
    pub l_served: &'static str,
    pub l_attendees: &'static str,
    pub l_summary: &'static str,
    pub l_rating: &'static str,
    pub l_due: &'static str,
    pub none_yet: &'static str,
    pub phone_masked_hint: &'static str,
    pub timeline_title: &'static str,
    pub chain_ok: &'static str,
    pub chain_bad: &'static str,
    pub actions_title: &'static str,
    pub no_actions: &'static str,
    pub done: &'static str,
    pub suggested: &'static str,
    pub note: &'static str,
    pub reason: &'static str,
    pub choose: &'static str,
    pub duplicates_title: &'static str,
    pub no_duplicates: &'static str,
    pub duplicate_of: &'static str,
    pub not_duplicate: &'static str,
    pub dispatch_title: &'static str,
    pub dispatch_button: &'static str,
    pub reject_title: &'static str,
    pub reject_button: &'static str,
    pub accept_title: &'static str,
    pub offer_legend: &'static str,
    pub offer_all: &'static str,
    pub offer_chosen: &'static str,
    pub theme_team: &'static str,
    pub accept_button: &'static str,
    pub return_title: &'static str,
    pub return_button: &'static str,
    pub claim_title: &'static str,
    pub planned_date: &'static str,
    pub claim_button: &'static str,
    pub complete_title: &'static str,
    pub served_on: &'static str,
    pub attendees: &'static str,
    pub summary: &'static str,
    pub hours_legend: &'static str,
    pub member: &'static str,
    pub hours: &'static str,
    pub no_members: &'static str,
    pub complete_button: &'static str,
    pub release_title: &'static str,
    pub release_button: &'static str,
    pub close_title: &'static str,
    pub close_button: &'static str,
    pub cancel_title: &'static str,
    pub cancel_button: &'static str,
    pub new_title: &'static str,
    pub new_intro: &'static str,
    pub channel_legend: &'static str,
    pub ch_phone: &'static str,
    pub ch_counter: &'static str,
    pub village_optional: &'static str,
    pub village_none: &'static str,
    pub contact_name: &'static str,
    pub contact_phone: &'static str,
    pub optional: &'static str,
    pub new_button: &'static str,
    pub hours_title: &'static str,
    pub hours_intro: &'static str,
    pub col_order: &'static str,
    pub col_volunteer: &'static str,
    pub col_hours: &'static str,
    pub col_served: &'static str,
    pub confirm: &'static str,
    pub confirm_selected: &'static str,
    pub dispute_selected: &'static str,
    pub dispute_reason: &'static str,
    pub no_pending: &'static str,
    pub me_title: &'static str,
    pub l_username: &'static str,
    pub l_name: &'static str,
    pub l_role: &'static str,
    pub email: &'static str,
    pub notify: &'static str,
    pub save: &'static str,
    pub saved: &'static str,
    pub pw_title: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub confirm_password: &'static str,
    pub pw_button: &'static str,
    pub pw_changed: &'static str,
    pub must_change: &'static str,
    pub mismatch: &'static str,
    pub volunteer_note: &'static str,
}

/// Simplified Chinese.
pub static ZH: Text = Text {
    site: "科普派单 · 工作台",
    switch_label: "English",
    skip: "跳到正文",
    nav_label: "主导航",
    nav_orders: "订单",
    nav_new: "代录点单",
    nav_hours: "时长确认",
    sign_out: "退出",
    login_title: "登录工作台",
    username: "用户名（志愿者填手机号）",
    password: "密码",
    sign_in: "登录",
    bad_credentials: "用户名或密码不正确。",
    signed_out: "您已退出。",
    sign_in_again: "请登录后继续。",
    expired_form: "页面已过期，请再提交一次（您填写的内容已保留）。",
    fix_errors: "请修改标红的字段，您填写的内容已保留。",
    stale: "其他人已经处理了这个订单，下面是它现在的样子。",
    forbidden_title: "无权使用",
    forbidden_text: "您的账号不能使用这个页面。",
    not_found_title: "没有找到",
    not_found_text: "没有这个订单，或者它不在您的办理范围内。",
    error_title: "出错了",
    server_error: "服务器出错了，请稍后再试。",
    rate_limited: "请求太多，请稍后再试。",
    back: "返回订单列表",
    required: "必填",
    queue_title: "订单",
    filters: "筛选",
    f_state: "状态",
    f_theme: "主题",
    f_township: "乡镇",
    f_overdue: "只看超时",
    any: "全部",
    apply: "筛选",
    clear: "清除筛选",
    counts_label: "各状态订单数",
    col_code: "查询码",
    col_state: "状态",
    col_theme: "主题",
    col_place: "地点",
    col_due: "办理期限",
    col_request: "需求",
    overdue: "已超时",
    empty_queue: "没有符合条件的订单。",
    next_page: "下一页",
    first_page: "回到第一页",
    select: "选择",
    select_all: "全选本页",
    bulk_title: "批量派单",
    bulk_department: "派给部门",
    bulk_button: "派单所选订单",
    bulk_none: "请先勾选要派单的订单。",
    l_code: "查询码",
    l_state: "状态",
    l_channel: "来源",
    l_theme: "主题",
    l_place: "乡镇 / 村",
    l_description: "需求",
    l_target_group: "服务对象",
    l_preferred_date: "期望日期",
    l_expected: "预计人数",
    l_address: "地址",
    l_contact: "联系人",
    l_phone: "联系电话",
    l_station: "实践站",
    l_department: "部门",
    l_team: "服务队",
    l_planned: "计划服务日期",
    l_served: "服务日期",
    l_attendees: "服务人次",
    l_summary: "服务小结",
    l_rating: "群众评价",
    l_due: "办理期限",
    none_yet: "暂无",
    phone_masked_hint: "（办理这个订单的人才能看到完整号码）",
    timeline_title: "办理记录",
    chain_ok: "记录链已校验",
    chain_bad: "记录链校验失败",
    actions_title: "可以办理",
    no_actions: "目前没有您可以办理的操作。",
    done: "已办理。",
    suggested: "（建议）",
    note: "备注（可不填）",
    reason: "原因",
    choose: "请选择",
    duplicates_title: "可能重复的点单",
    no_duplicates: "没有发现可能重复的点单。",
    duplicate_of: "重复于（可不选）",
    not_duplicate: "不是重复",
    dispatch_title: "派单",
    dispatch_button: "派单",
    reject_title: "驳回",
    reject_button: "驳回",
    accept_title: "领单",
    offer_legend: "开放给",
    offer_all: "所有服务队",
    offer_chosen: "指定的服务队",
    theme_team: "本主题",
    accept_button: "领单",
    return_title: "退回实践站",
    return_button: "退回",
    claim_title: "接单",
    planned_date: "计划服务日期（可不填）",
    claim_button: "接单",
    complete_title: "结单",
    served_on: "服务日期",
    attendees: "服务人次",
    summary: "服务小结",
    hours_legend: "队员服务时长（小时，0.5 的倍数；未参加的不填）",
    member: "队员",
    hours: "时长",
    no_members: "服务队还没有已审核通过的队员。",
    complete_button: "结单",
    release_title: "退单",
    release_button: "退单",
    close_title: "关闭（不再等待评价）",
    close_button: "关闭",
    cancel_title: "取消订单",
    cancel_button: "取消订单",
    new_title: "代录点单",
    new_intro: "群众打电话或到窗口提出的需求，在这里录入。",
    channel_legend: "来源",
    ch_phone: "电话",
    ch_counter: "窗口",
    village_optional: "村（可不填）",
    village_none: "无",
    contact_name: "联系人姓名",
    contact_phone: "联系人手机号码",
    optional: "（可不填）",
    new_button: "保存点单",
    hours_title: "时长确认",
    hours_intro: "服务队结单时登记的服务时长，确认后才计入志愿者的时长和星级。",
    col_order: "订单",
    col_volunteer: "志愿者",
    col_hours: "时长（小时）",
    col_served: "服务日期",
    confirm: "确认",
    confirm_selected: "确认所选",
    dispute_selected: "对所选提出异议",
    dispute_reason: "异议原因（提出异议时必填）",
    no_pending: "没有待确认的时长。",
    me_title: "我的账号",
    l_username: "用户名",
    l_name: "姓名",
    l_role: "角色",
    email: "电子邮箱（可不填）",
    notify: "接收一般通知邮件（超时提醒总会发送）",
    save: "保存",
    saved: "已保存。",
    pw_title: "修改密码",
    current_password: "当前密码",
    new_password: "新密码（8 到 128 位）",
    confirm_password: "再次输入新密码",
    pw_button: "修改密码",
    pw_changed: "密码已修改，其他设备上的登录已退出。",
    must_change: "请先设置新密码，然后才能使用其他页面。",
    mismatch: "两次输入的新密码不一致",
    volunteer_note: "志愿者的活动、时长和证书页面即将推出；目前请使用手机上的志愿者页面。",
};

/// English.
pub static EN: Text = Text {
    site: "Kepu Dispatch · Console",
    switch_label: "中文",
    skip: "Skip to content",
    nav_label: "Main",
    nav_orders: "Orders",
    nav_new: "New order",
    nav_hours: "Hours",
    sign_out: "Sign out",
    login_title: "Sign in to the console",
    username: "Username (volunteers: your phone number)",
    password: "Password",
    sign_in: "Sign in",
    bad_credentials: "Wrong username or password.",
    signed_out: "You have signed out.",
    sign_in_again: "Please sign in to continue.",
    expired_form: "This page expired; please send it again (what you typed is kept).",
    fix_errors: "Please fix the fields marked in red; what you typed is kept.",
    stale: "Someone else acted on this order; here it is now.",
    forbidden_title: "Not allowed",
    forbidden_text: "Your account cannot use this page.",
    not_found_title: "Not found",
    not_found_text: "There is no such order, or it is outside what you handle.",
    error_title: "Something went wrong",
    server_error: "Something went wrong on our side; try again later.",
    rate_limited: "Too many requests; wait a moment and try again.",
    back: "Back to the orders",
    required: "Required",
    queue_title: "Orders",
    filters: "Filter",
    f_state: "State",
    f_theme: "Theme",
    f_township: "Township",
    f_overdue: "Overdue only",
    any: "All",
    apply: "Apply",
    clear: "Clear filters",
    counts_label: "Orders per state",
    col_code: "Code",
    col_state: "State",
    col_theme: "Theme",
    col_place: "Place",
    col_due: "Due",
    col_request: "Request",
    overdue: "Overdue",
    empty_queue: "No orders match.",
    next_page: "Next page",
    first_page: "Back to the first page",
    select: "Select",
    select_all: "Select all on this page",
    bulk_title: "Dispatch several",
    bulk_department: "To department",
    bulk_button: "Dispatch the selected orders",
    bulk_none: "Select the orders to dispatch first.",
    l_code: "Tracking code",
    l_state: "State",
    l_channel: "Channel",
    l_theme: "Theme",
    l_place: "Township / village",
    l_description: "Request",
    l_target_group: "For whom",
    l_preferred_date: "Preferred date",
    l_expected: "Expected attendees",
    l_address: "Address",
    l_contact: "Contact",
    l_phone: "Phone",
    l_station: "Station",
    l_department: "Department",
    l_team: "Team",
    l_planned: "Planned date",
    l_served: "Served on",
    l_attendees: "Attendees",
    l_summary: "Summary",
    l_rating: "Resident's rating",
    l_due: "Due",
    none_yet: "not yet",
    phone_masked_hint: "(only those handling this order see the full number)",
    timeline_title: "History",
    chain_ok: "History verified",
    chain_bad: "History does not verify",
    actions_title: "What you can do",
    no_actions: "There is nothing for you to do on this order now.",
    done: "Done.",
    suggested: "(suggested)",
    note: "Note (optional)",
    reason: "Reason",
    choose: "Choose",
    duplicates_title: "Possible duplicates",
    no_duplicates: "No possible duplicates found.",
    duplicate_of: "Duplicate of (optional)",
    not_duplicate: "Not a duplicate",
    dispatch_title: "Dispatch",
    dispatch_button: "Dispatch",
    reject_title: "Reject",
    reject_button: "Reject",
    accept_title: "Accept",
    offer_legend: "Offer to",
    offer_all: "All teams",
    offer_chosen: "Chosen teams",
    theme_team: "serves this theme",
    accept_button: "Accept",
    return_title: "Return to the station",
    return_button: "Return",
    claim_title: "Claim",
    planned_date: "Planned date (optional)",
    claim_button: "Claim",
    complete_title: "Complete",
    served_on: "Served on",
    attendees: "Attendees (person-times)",
    summary: "Summary",
    hours_legend: "Members' hours (in steps of 0.5; leave empty for those absent)",
    member: "Member",
    hours: "Hours",
    no_members: "The team has no approved members yet.",
    complete_button: "Complete",
    release_title: "Release",
    release_button: "Release",
    close_title: "Close without waiting for a rating",
    close_button: "Close",
    cancel_title: "Cancel the order",
    cancel_button: "Cancel the order",
    new_title: "New order",
    new_intro: "Enter a request a resident made by phone or at the counter.",
    channel_legend: "Taken",
    ch_phone: "by phone",
    ch_counter: "at the counter",
    village_optional: "Village (optional)",
    village_none: "None",
    contact_name: "Contact name",
    contact_phone: "Contact mobile number",
    optional: "(optional)",
    new_button: "Save the order",
    hours_title: "Hours to confirm",
    hours_intro: "Hours filed when a team completed an order count toward a volunteer's record and star level only once confirmed.",
    col_order: "Order",
    col_volunteer: "Volunteer",
    col_hours: "Hours",
    col_served: "Served on",
    confirm: "Confirm",
    confirm_selected: "Confirm the selected",
    dispute_selected: "Dispute the selected",
    dispute_reason: "Reason (required for a dispute)",
    no_pending: "No hours are waiting.",
    me_title: "My account",
    l_username: "Username",
    l_name: "Name",
    l_role: "Role",
    email: "Email (optional)",
    notify: "Receive non-urgent mail (escalations are always sent)",
    save: "Save",
    saved: "Saved.",
    pw_title: "Change password",
    current_password: "Current password",
    new_password: "New password (8 to 128 characters)",
    confirm_password: "New password again",
    pw_button: "Change password",
    pw_changed: "Password changed; your other sign-ins have ended.",
    must_change: "Choose a new password before using the other pages.",
    mismatch: "The two new passwords differ.",
    volunteer_note: "Pages for volunteers' activities, hours and certificates are coming; for now use the volunteer pages on your phone.",
};

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
