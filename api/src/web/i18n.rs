//! Every word the resident and volunteer pages show, in one place per language: Chinese
//! (zh-CN) first, English second. Templates and `app.js` read only from here; reference names
//! (themes, townships, departments) come from the database in the language they were entered.

use kepu_domain::OrderState;
use serde::Serialize;

/// The language a page is rendered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese, the default.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Parses `zh`/`en` (from `?lang=` or the `lang` cookie).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "zh" | "zh-CN" => Some(Self::Zh),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The short code used in URLs and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh",
            Self::En => "en",
        }
    }

    /// The `lang` attribute of `<html>`.
    pub fn html(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Self {
        match self {
            Self::Zh => Self::En,
            Self::En => Self::Zh,
        }
    }

    /// The words of this language.
    pub fn text(self) -> &'static Text {
        match self {
            Self::Zh => &ZH,
            Self::En => &EN,
        }
    }

    /// A state in plain words.
    pub fn state(self, state: OrderState) -> &'static str {
        let t = self.text();
        match state {
            OrderState::Submitted => t.st_submitted,
            OrderState::Dispatched => t.st_dispatched,
            OrderState::Accepted => t.st_accepted,
            OrderState::Claimed => t.st_claimed,
            OrderState::Completed => t.st_completed,
            OrderState::Closed => t.st_closed,
            OrderState::Rejected => t.st_rejected,
            OrderState::Cancelled => t.st_cancelled,
        }
    }

    /// What a state means for the resident, one short sentence.
    pub fn state_hint(self, state: OrderState) -> &'static str {
        let t = self.text();
        match state {
            OrderState::Submitted => t.hint_submitted,
            OrderState::Dispatched => t.hint_dispatched,
            OrderState::Accepted => t.hint_accepted,
            OrderState::Claimed => t.hint_claimed,
            OrderState::Completed => t.hint_completed,
            OrderState::Closed => t.hint_closed,
            OrderState::Rejected => t.hint_rejected,
            OrderState::Cancelled => t.hint_cancelled,
        }
    }

    /// A field's error message. In Chinese the server's own message is already plain words
    /// and says exactly what is wrong; in English a plain message per field replaces it.
    pub fn field_message(self, field: &str, server_message: &str) -> String {
        match self {
            Self::Zh => server_message.to_owned(),
            Self::En if server_message == "必填" || server_message == "不能为空" => {
                EN.required.to_owned()
            }
            Self::En => match field {
                "theme" => "Choose one of the topics.",
                "township" => "Choose your township.",
                "village" => "This village is not in the chosen township.",
                "description" => "Describe what you need in at most 2000 characters.",
                "contact_name" | "real_name" => "Enter a name of at most 50 characters.",
                "contact_phone" | "phone" if server_message.contains("已经注册") => {
                    "This phone number is already registered."
                }
                "contact_phone" | "phone" => EN.bad_phone,
                "target_group" => "Choose one of the groups, or leave it empty.",
                "preferred_date" => "Choose a date from today on.",
                "expected_attendees" => "Enter a whole number from 1 to 100000.",
                "address" => "At most 200 characters.",
                "skills" => "At most 500 characters.",
                "password" => "At least 8 characters.",
                "score" => "Choose 1 to 5 stars.",
                "comment" | "reason" => "At most 500 characters.",
                _ => GENERIC_EN,
            }
            .to_owned(),
        }
    }
}

/// The English message for a field without one of its own.
const GENERIC_EN: &str = "Please check this field.";

/// The words of one language. Field names say where each is used.
#[derive(Debug)]
pub struct Text {
    pub(super) site: &'static str,
    pub(super) switch_label: &'static str,
    pub(super) required: &'static str,
    pub(super) bad_phone: &'static str,
    pub(super) too_long: &'static str,
    pub(super) bad_number: &'static str,
    pub(super) form_title: &'static str,
    pub(super) form_intro: &'static str,
    pub(super) theme_legend: &'static str,
    pub(super) township_label: &'static str,
    pub(super) choose: &'static str,
    pub(super) village_label: &'static str,
    pub(super) village_none: &'static str,
    pub(super) place_public_hint: &'static str,
    pub(super) description_label: &'static str,
    pub(super) description_hint: &'static str,
    pub(super) description_public_hint: &'static str,
    pub(super) contact_name_label: &'static str,
    pub(super) contact_phone_label: &'static str,
    pub(super) phone_hint: &'static str,
    pub(super) more_legend: &'static str,
    pub(super) target_group_label: &'static str,
    pub(super) target_group_none: &'static str,
    pub(super) preferred_date_label: &'static str,
    pub(super) expected_attendees_label: &'static str,
    pub(super) address_label: &'static str,
    pub(super) address_public_hint: &'static str,
    pub(super) submit: &'static str,
    pub(super) sending: &'static str,
    pub(super) saved_offline: &'static str,
    pub(super) fix_errors: &'static str,
    pub(super) expired_form: &'static str,
    pub(super) rate_limited: &'static str,
    pub(super) server_error: &'static str,
    pub(super) unreadable_form: &'static str,
    pub(super) mine_title: &'static str,
    pub(super) mine_pending: &'static str,
    pub(super) lookup_label: &'static str,
    pub(super) lookup_button: &'static str,
    pub(super) volunteer_link: &'static str,
    pub(super) done_title: &'static str,
    pub(super) done_code_label: &'static str,
    pub(super) done_keep: &'static str,
    pub(super) done_track: &'static str,
    pub(super) done_another: &'static str,
    pub(super) track_title: &'static str,
    pub(super) track_theme: &'static str,
    pub(super) track_township: &'static str,
    pub(super) track_station: &'static str,
    pub(super) track_department: &'static str,
    pub(super) track_team: &'static str,
    pub(super) track_waiting: &'static str,
    pub(super) timeline_title: &'static str,
    pub(super) next_steps: &'static str,
    pub(super) st_submitted: &'static str,
    pub(super) st_dispatched: &'static str,
    pub(super) st_accepted: &'static str,
    pub(super) st_claimed: &'static str,
    pub(super) st_completed: &'static str,
    pub(super) st_closed: &'static str,
    pub(super) st_rejected: &'static str,
    pub(super) st_cancelled: &'static str,
    pub(super) hint_submitted: &'static str,
    pub(super) hint_dispatched: &'static str,
    pub(super) hint_accepted: &'static str,
    pub(super) hint_claimed: &'static str,
    pub(super) hint_completed: &'static str,
    pub(super) hint_closed: &'static str,
    pub(super) hint_rejected: &'static str,
    pub(super) hint_cancelled: &'static str,
    pub(super) returned_note: &'static str,
    pub(super) released_note: &'static str,
    pub(super) cancel_title: &'static str,
    pub(super) cancel_reason_label: &'static str,
    pub(super) cancel_button: &'static str,
    pub(super) cancelled_flash: &'static str,
    pub(super) rate_title: &'static str,
    pub(super) rate_legend: &'static str,
    pub(super) stars: [&'static str; 5],
    pub(super) rate_comment_label: &'static str,
    pub(super) rate_button: &'static str,
    pub(super) rated_flash: &'static str,
    pub(super) not_owner: &'static str,
    pub(super) state_changed: &'static str,
    pub(super) not_found_title: &'static str,
    pub(super) not_found_text: &'static str,
    pub(super) error_title: &'static str,
    pub(super) back_home: &'static str,
    pub(super) volunteer_title: &'static str,
    pub(super) volunteer_intro: &'static str,
    pub(super) real_name_label: &'static str,
    pub(super) volunteer_phone_label: &'static str,
    pub(super) skills_label: &'static str,
    pub(super) skills_hint: &'static str,
    pub(super) password_label: &'static str,
    pub(super) password_short: &'static str,
    pub(super) volunteer_submit: &'static str,
    pub(super) volunteer_done_title: &'static str,
    pub(super) volunteer_done_text: &'static str,
    pub(super) volunteer_next: [&'static str; 3],
    pub(super) volunteer_sign_in: &'static str,
}

/// Simplified Chinese.
pub static ZH: Text = Text {
    site: "科普点单",
    switch_label: "English",
    required: "必填",
    bad_phone: "请填写11位手机号码，如 13912345678",
    too_long: "字数太多了",
    bad_number: "请填写数字",
    form_title: "我要点单",
    form_intro: "告诉我们您需要什么科普服务，当地新时代文明实践站会派单，科技志愿服务队上门服务。",
    theme_legend: "需要哪方面的科普？",
    township_label: "所在苏木镇",
    choose: "请选择",
    village_label: "嘎查/村（可不选）",
    village_none: "不选",
    place_public_hint: "苏木镇和嘎查/村会公开显示，他人可以看到您点单的大致地方",
    description_label: "您需要什么？",
    description_hint: "例如：请来讲讲羊的疫苗接种",
    description_public_hint: "阵地派单后，这段内容会公开显示（不带姓名和电话），请不要在这里写姓名、电话或详细地址",
    contact_name_label: "联系人姓名",
    contact_phone_label: "手机号码",
    phone_hint: "只给处理的工作人员看",
    more_legend: "以下可不填",
    target_group_label: "面向人群",
    target_group_none: "不限",
    preferred_date_label: "希望日期",
    expected_attendees_label: "预计人数",
    address_label: "详细地址",
    address_public_hint: "不公开，只给处理的工作人员看；公开的只有苏木镇和嘎查/村，位置最多精确到约1公里",
    submit: "提交",
    sending: "正在提交…",
    saved_offline: "已保存，有信号后自动提交",
    fix_errors: "请按红字提示修改后再提交，您填写的内容都还在。",
    expired_form: "页面已过期，内容都还在，请再点一次提交。",
    rate_limited: "操作太频繁，请等一分钟再试，内容都还在。",
    server_error: "服务暂时出了问题，请稍后再试，内容都还在。",
    unreadable_form: "提交的内容太长或无法识别，请返回上一页修改后再试。",
    mine_title: "我的点单",
    mine_pending: "待发送",
    lookup_label: "用查询码查进度",
    lookup_button: "查询",
    volunteer_link: "报名当科技志愿者",
    done_title: "提交成功",
    done_code_label: "您的查询码",
    done_keep: "请记下或截图保存这个查询码，凭它随时查看进度。",
    done_track: "查看进度",
    done_another: "再点一单",
    track_title: "点单进度",
    track_theme: "主题",
    track_township: "苏木镇",
    track_station: "派单阵地",
    track_department: "领单部门",
    track_team: "接单服务队",
    track_waiting: "待定",
    timeline_title: "进度",
    next_steps: "接下来",
    st_submitted: "已点单",
    st_dispatched: "已派单",
    st_accepted: "已领单",
    st_claimed: "已接单",
    st_completed: "已结单",
    st_closed: "已评单",
    st_rejected: "已驳回",
    st_cancelled: "已取消",
    hint_submitted: "等待文明实践站派单",
    hint_dispatched: "等待部门领单",
    hint_accepted: "等待志愿服务队接单",
    hint_claimed: "服务队正在安排服务",
    hint_completed: "服务已完成，请您评价",
    hint_closed: "已评价，谢谢",
    hint_rejected: "实践站未受理这个点单",
    hint_cancelled: "这个点单已取消",
    returned_note: "部门退回，重新派单",
    released_note: "服务队退回，重新接单",
    cancel_title: "不需要了？",
    cancel_reason_label: "取消原因（可不填）",
    cancel_button: "取消这个点单",
    cancelled_flash: "已取消。",
    rate_title: "评价服务",
    rate_legend: "打分",
    stars: ["1星 很差", "2星 较差", "3星 一般", "4星 满意", "5星 很满意"],
    rate_comment_label: "留言（可不填）",
    rate_button: "提交评价",
    rated_flash: "谢谢您的评价！",
    not_owner: "只有提交这个点单的手机才能取消或评价。",
    state_changed: "进度已经变化，请看下面的最新状态。",
    not_found_title: "没有找到",
    not_found_text: "没有这个查询码，请检查后再试。",
    error_title: "出错了",
    back_home: "返回首页",
    volunteer_title: "科技志愿者报名",
    volunteer_intro: "欢迎加入科技志愿服务。填写真实信息，科协审核后即可加入服务队。",
    real_name_label: "真实姓名",
    volunteer_phone_label: "手机号码（也是登录账号）",
    skills_label: "特长（可不填）",
    skills_hint: "例如：兽医、急救、教老人用智能手机",
    password_label: "设置登录密码（至少8位）",
    password_short: "密码至少8位",
    volunteer_submit: "提交报名",
    volunteer_done_title: "报名已提交",
    volunteer_done_text: "您的报名正在等待科协审核。",
    volunteer_next: [
        "科协工作人员会核实您的信息，通常几个工作日内完成。",
        "审核通过后，用手机号和密码登录，加入一支科技志愿服务队。",
        "参加服务后，服务时长经部门确认，计入您的志愿时长和星级。",
    ],
    volunteer_sign_in: "用手机号和密码登录志愿者页面",
};

/// English.
pub static EN: Text = Text {
    site: "Science Service Requests",
    switch_label: "中文",
    required: "Required",
    bad_phone: "Enter an 11-digit mobile number, e.g. 13912345678",
    too_long: "Too long",
    bad_number: "Enter a number",
    form_title: "Request a science service",
    form_intro: "Tell us what science service you need. Your local civilization-practice station routes it and a volunteer team comes to serve you.",
    theme_legend: "What is it about?",
    township_label: "Township",
    choose: "Choose",
    village_label: "Village (optional)",
    village_none: "None",
    place_public_hint: "The township and village are shown publicly: others can see roughly where the request comes from.",
    description_label: "What do you need?",
    description_hint: "e.g. a talk on vaccinating sheep",
    description_public_hint: "Once the station has dispatched your request, this text is shown publicly (without your name or phone). Do not write names, phone numbers or a street address here.",
    contact_name_label: "Contact name",
    contact_phone_label: "Mobile number",
    phone_hint: "Shown only to the staff handling it",
    more_legend: "Optional",
    target_group_label: "For whom",
    target_group_none: "Anyone",
    preferred_date_label: "Preferred date",
    expected_attendees_label: "Expected attendees",
    address_label: "Address",
    address_public_hint: "Not public: only the staff handling it see it. The public sees the township and village, and a position no closer than about 1 km.",
    submit: "Send",
    sending: "Sending…",
    saved_offline: "Saved; it will be sent when there is signal",
    fix_errors: "Please fix the fields marked in red; everything you typed is kept.",
    expired_form: "The page expired; everything is kept, please send again.",
    rate_limited: "Too many requests; wait a minute and try again. Everything is kept.",
    server_error: "Something went wrong on our side; try again later. Everything is kept.",
    unreadable_form: "What was sent is too long or could not be read; go back, shorten it and try again.",
    mine_title: "My requests",
    mine_pending: "waiting to send",
    lookup_label: "Track with a code",
    lookup_button: "Track",
    volunteer_link: "Sign up as a science volunteer",
    done_title: "Sent",
    done_code_label: "Your tracking code",
    done_keep: "Write this code down or take a screenshot: it lets you follow your request.",
    done_track: "Follow it",
    done_another: "Another request",
    track_title: "Request status",
    track_theme: "Topic",
    track_township: "Township",
    track_station: "Station",
    track_department: "Department",
    track_team: "Volunteer team",
    track_waiting: "not yet",
    timeline_title: "Progress",
    next_steps: "Next",
    st_submitted: "Requested",
    st_dispatched: "Routed",
    st_accepted: "Accepted",
    st_claimed: "Claimed",
    st_completed: "Served",
    st_closed: "Rated",
    st_rejected: "Declined",
    st_cancelled: "Cancelled",
    hint_submitted: "Waiting for the station to route it",
    hint_dispatched: "Waiting for a department to accept it",
    hint_accepted: "Waiting for a volunteer team to claim it",
    hint_claimed: "A team is arranging the service",
    hint_completed: "Served — please rate it",
    hint_closed: "Rated, thank you",
    hint_rejected: "The station declined this request",
    hint_cancelled: "This request was cancelled",
    returned_note: "sent back by the department",
    released_note: "given back by the team",
    cancel_title: "No longer needed?",
    cancel_reason_label: "Reason (optional)",
    cancel_button: "Cancel this request",
    cancelled_flash: "Cancelled.",
    rate_title: "Rate the service",
    rate_legend: "Score",
    stars: [
        "1 star, poor",
        "2 stars",
        "3 stars",
        "4 stars",
        "5 stars, excellent",
    ],
    rate_comment_label: "Comment (optional)",
    rate_button: "Send rating",
    rated_flash: "Thank you for your rating!",
    not_owner: "Only the phone that sent this request can cancel or rate it.",
    state_changed: "The status has changed; see the latest below.",
    not_found_title: "Not found",
    not_found_text: "There is no request with this code; check it and try again.",
    error_title: "Something went wrong",
    back_home: "Home",
    volunteer_title: "Science volunteer sign-up",
    volunteer_intro: "Join the science volunteers. Give your real details; once the association approves you, you can join a team.",
    real_name_label: "Real name",
    volunteer_phone_label: "Mobile number (also your login)",
    skills_label: "Skills (optional)",
    skills_hint: "e.g. veterinary, first aid, teaching elders to use smartphones",
    password_label: "Password (at least 8 characters)",
    password_short: "At least 8 characters",
    volunteer_submit: "Sign up",
    volunteer_done_title: "Sign-up received",
    volunteer_done_text: "Your sign-up is waiting for the association's review.",
    volunteer_next: [
        "Association staff check your details, usually within a few working days.",
        "Once approved, sign in with your phone number and password and join a volunteer team.",
        "Hours you serve, once confirmed by the department, count toward your record and star level.",
    ],
    volunteer_sign_in: "Sign in with your phone number and password",
};

/// The few words `app.js` needs, handed to it as JSON in the page.
#[derive(Debug, Serialize)]
pub struct ScriptText {
    required: &'static str,
    phone: &'static str,
    long: &'static str,
    number: &'static str,
    password: &'static str,
    saved: &'static str,
    sending: &'static str,
    failed: &'static str,
    pending: &'static str,
    fix: &'static str,
    /// On English pages, shown for a field the server refused (its own messages are Chinese).
    check: Option<&'static str>,
}

impl ScriptText {
    /// The script's words in `lang`.
    pub fn of(lang: Lang) -> Self {
        let t = lang.text();
        Self {
            required: t.required,
            phone: t.bad_phone,
            long: t.too_long,
            number: t.bad_number,
            password: t.password_short,
            saved: t.saved_offline,
            sending: t.sending,
            failed: t.server_error,
            pending: t.mine_pending,
            fix: t.fix_errors,
            check: match lang {
                Lang::Zh => None,
                Lang::En => Some(GENERIC_EN),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_words_in_both_languages() {
        for lang in [Lang::Zh, Lang::En] {
            for state in [
                OrderState::Submitted,
                OrderState::Dispatched,
                OrderState::Accepted,
                OrderState::Claimed,
                OrderState::Completed,
                OrderState::Closed,
                OrderState::Rejected,
                OrderState::Cancelled,
            ] {
                assert!(!lang.state(state).is_empty());
                assert!(!lang.state_hint(state).is_empty());
            }
        }
        assert_eq!(Lang::Zh.state(OrderState::Claimed), "已接单");
    }

    #[test]
    fn english_replaces_chinese_field_messages() {
        assert_eq!(Lang::En.field_message("theme", "必填"), "Required");
        assert_eq!(
            Lang::En.field_message("contact_phone", "请填写11位手机号码"),
            EN.bad_phone
        );
        assert_eq!(Lang::Zh.field_message("theme", "必填"), "必填");
    }
}
