//! Exports for the association: volunteers, hours and indicators as a table with Chinese
//! headers, written as CSV (UTF-8 with a byte-order mark, so Excel and WPS read it right) or as
//! `.xlsx` with typed cells. Personal numbers are masked in both.

use chrono::NaiveDate;
use kepu_domain::value::{mask_id_number, mask_phone};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use uuid::Uuid;

use super::stats;
use crate::db::Db;
use crate::entity::{orders, service_records, townships, volunteers};
use crate::error::ApiResult;
use kepu_domain::volunteer::StarThresholds;

/// One cell, typed so that spreadsheets get numbers as numbers and dates as dates.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A calendar date.
    Date(NaiveDate),
    /// Nothing.
    Empty,
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Self {
        s.map_or(Self::Empty, Self::Text)
    }
}

/// A report: a title (the sheet name), headers, rows.
#[derive(Clone, Debug)]
pub struct Table {
    /// Sheet name.
    pub title: &'static str,
    /// Column headers, in Chinese.
    pub headers: Vec<&'static str>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

/// Which report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// Every volunteer.
    Volunteers,
    /// Every service record.
    Hours,
    /// Every plan indicator.
    Indicators,
}

impl std::str::FromStr for Report {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "volunteers" => Ok(Self::Volunteers),
            "hours" => Ok(Self::Hours),
            "indicators" => Ok(Self::Indicators),
            _ => Err(()),
        }
    }
}

impl Report {
    /// The file's base name.
    pub fn file_stem(self) -> &'static str {
        match self {
            Self::Volunteers => "volunteers",
            Self::Hours => "hours",
            Self::Indicators => "indicators",
        }
    }
}

fn volunteer_state_zh(state: &str) -> &'static str {
    match state {
        "pending" => "待审核",
        "approved" => "已通过",
        "rejected" => "未通过",
        "suspended" => "已暂停",
        _ => "未知",
    }
}

fn record_state_zh(state: &str) -> &'static str {
    match state {
        "pending" => "待确认",
        "confirmed" => "已确认",
        "disputed" => "有异议",
        _ => "未知",
    }
}

async fn township_names(db: &Db) -> ApiResult<HashMap<String, String>> {
    Ok(townships::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.code, t.name_zh))
        .collect())
}

/// Rows are read in pages of this many, in id order.
const BATCH: u64 = 5_000;

/// Every volunteer with their sums and star level; dates in the deployment's time zone `tz`.
pub async fn volunteers_table(
    db: &Db,
    stars: &StarThresholds,
    tz: chrono_tz::Tz,
) -> ApiResult<Table> {
    let towns = township_names(db).await?;
    let mut rows = Vec::new();
    let mut after: Option<Uuid> = None;
    loop {
        let mut q = volunteers::Entity::find().order_by_asc(volunteers::Column::Id);
        if let Some(id) = after {
            q = q.filter(volunteers::Column::Id.gt(id));
        }
        let batch = q.limit(BATCH).all(db).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        for v in batch {
            let confirmed = v.confirmed_halves as f64 / 2.0;
            rows.push(vec![
                v.real_name.into(),
                mask_phone(&v.phone).into(),
                v.id_number.as_deref().map(mask_id_number).into(),
                towns
                    .get(&v.township_code)
                    .cloned()
                    .unwrap_or(v.township_code)
                    .into(),
                volunteer_state_zh(&v.state).into(),
                v.skills.into(),
                Cell::Number(confirmed),
                Cell::Number(v.pending_halves as f64 / 2.0),
                Cell::Number(f64::from(stars.level(confirmed))),
                Cell::Date(v.created_at.with_timezone(&tz).date_naive()),
            ]);
        }
    }
    Ok(Table {
        title: "志愿者",
        headers: vec![
            "姓名",
            "手机号",
            "身份证号",
            "所属苏木镇",
            "状态",
            "技能特长",
            "确认服务时长（小时）",
            "待确认时长（小时）",
            "星级",
            "注册日期",
        ],
        rows,
    })
}

/// Every service record, reversals included, with the volunteer and the order's code.
pub async fn hours_table(db: &Db) -> ApiResult<Table> {
    let towns = township_names(db).await?;
    let mut rows = Vec::new();
    let mut after: Option<Uuid> = None;
    loop {
        let mut q = service_records::Entity::find().order_by_asc(service_records::Column::Id);
        if let Some(id) = after {
            q = q.filter(service_records::Column::Id.gt(id));
        }
        let batch = q.limit(BATCH).all(db).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        let people: HashMap<Uuid, volunteers::Model> = volunteers::Entity::find()
            .filter(volunteers::Column::Id.is_in(batch.iter().map(|r| r.volunteer_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
        let codes: HashMap<Uuid, String> = orders::Entity::find()
            .select_only()
            .column(orders::Column::Id)
            .column(orders::Column::TrackingCode)
            .filter(orders::Column::Id.is_in(batch.iter().map(|r| r.order_id)))
            .into_tuple::<(Uuid, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for r in batch {
            let v = people.get(&r.volunteer_id);
            rows.push(vec![
                r.id.to_string().into(),
                v.map(|v| v.real_name.clone()).into(),
                v.map(|v| mask_phone(&v.phone)).into(),
                v.map(|v| {
                    towns
                        .get(&v.township_code)
                        .cloned()
                        .unwrap_or_else(|| v.township_code.clone())
                })
                .into(),
                codes.get(&r.order_id).cloned().into(),
                Cell::Date(r.served_on),
                Cell::Number(f64::from(r.hours_halves) / 2.0),
                record_state_zh(&r.state).into(),
                if r.kind == "reversal" {
                    "冲正"
                } else {
                    "服务"
                }
                .into(),
                r.reason.into(),
            ]);
        }
    }
    Ok(Table {
        title: "服务时长",
        headers: vec![
            "记录编号",
            "志愿者",
            "手机号",
            "所属苏木镇",
            "工单追踪码",
            "服务日期",
            "时长（小时）",
            "状态",
            "类型",
            "原因",
        ],
        rows,
    })
}

/// Every indicator with its target and current value.
pub async fn indicators_table(db: &Db, township: Option<&str>, year: i32) -> ApiResult<Table> {
    let figures = stats::indicator_stats(db, township, year).await?;
    let unit_zh = |u: &str| match u {
        "volunteers" => "人（志愿者）",
        "sessions" => "场次",
        "person_times" => "人次",
        "people" => "人",
        _ => "",
    };
    let rows = figures
        .items
        .into_iter()
        .map(|i| {
            vec![
                i.code.into(),
                i.name_zh.into(),
                unit_zh(&i.unit).into(),
                if i.period == "yearly" {
                    format!("每年（{}年）", i.years[0])
                } else {
                    i.period
                }
                .into(),
                Cell::Number(i.target),
                Cell::Number(i.value as f64),
                Cell::Number(i.progress),
            ]
        })
        .collect();
    Ok(Table {
        title: "指标",
        headers: vec![
            "指标代码",
            "指标名称",
            "单位",
            "统计周期",
            "目标值",
            "当前值",
            "完成率",
        ],
        rows,
    })
}

/// A text cell as it goes into a CSV file. A spreadsheet runs a cell that starts with `=`,
/// `+`, `-` or `@` (or a tab or carriage return before one) as a formula, so a self-registered
/// volunteer named `=HYPERLINK(…)` would put a live link into the association's sheet. Such a
/// cell gets a leading `'`, as OWASP's CSV-injection advice says; the spreadsheet then shows
/// the text as typed. Only text is touched: numbers (a reversal's negative hours) stay numbers.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// CSV in UTF-8 with a byte-order mark; dates as `YYYY-MM-DD`; text neutralised against
/// formula injection ([`neutralise`]).
pub fn to_csv(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&table.headers)?;
        for row in &table.rows {
            w.write_record(row.iter().map(|c| match c {
                Cell::Text(s) => neutralise(s).into_owned(),
                Cell::Number(n) => n.to_string(),
                Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
                Cell::Empty => String::new(),
            }))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// An `.xlsx` workbook with one sheet: bold headers, numbers as numbers, dates as dates. Text
/// is written as string cells, never as formulas, so `=1+2` stays the text `=1+2`.
pub fn to_xlsx(table: &Table) -> anyhow::Result<Vec<u8>> {
    use chrono::Datelike;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(table.title)?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in table.headers.iter().enumerate() {
        let col = u16::try_from(c)?;
        sheet.write_string_with_format(0, col, *h, &bold)?;
        sheet.set_column_width(col, 14)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let line = u32::try_from(r + 1)?;
        for (c, cell) in row.iter().enumerate() {
            let col = u16::try_from(c)?;
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(line, col, s)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(line, col, *n)?;
                }
                Cell::Date(d) => {
                    let day = ExcelDateTime::from_ymd(
                        u16::try_from(d.year())?,
                        u8::try_from(d.month())?,
                        u8::try_from(d.day())?,
                    )?;
                    sheet.write_datetime_with_format(line, col, &day, &date)?;
                }
                Cell::Empty => {}
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            title: "测试",
            headers: vec!["姓名", "时长", "日期"],
            rows: vec![vec![
                "张三, \"老张\"".into(),
                Cell::Number(1.5),
                Cell::Date(NaiveDate::from_ymd_opt(2026, 3, 1).expect("a real date")),
            ]],
        }
    }

    #[test]
    fn csv_starts_with_a_bom_and_quotes_what_needs_it() {
        let bytes = to_csv(&table()).unwrap();
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = String::from_utf8(bytes[3..].to_vec()).expect("CSV is UTF-8");
        assert_eq!(
            text,
            "姓名,时长,日期\n\"张三, \"\"老张\"\"\",1.5,2026-03-01\n"
        );
    }

    #[test]
    fn csv_text_that_a_spreadsheet_would_run_is_neutralised_and_numbers_are_not() {
        let table = Table {
            title: "测试",
            headers: vec!["a", "b", "c", "d", "e", "f", "g", "h"],
            rows: vec![vec![
                "=HYPERLINK(\"http://evil.example\",\"x\")".into(),
                "+1".into(),
                "-2+3".into(),
                "@SUM(A1)".into(),
                "\t=1".into(),
                "张三 = 李四".into(),
                Cell::Number(-1.5),
                "\r=1".into(),
            ]],
        };
        let bytes = to_csv(&table).unwrap_or_default();
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap_or_default();
        let row = text.lines().nth(1).unwrap_or_default();
        assert_eq!(
            row,
            "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",'+1,'-2+3,'@SUM(A1),'\t=1,张三 = 李四,-1.5,\"'\r=1\""
        );
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = to_xlsx(&table()).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
