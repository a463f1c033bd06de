//! Bulk import of the association's existing volunteer spreadsheets (`kepu import volunteers`).
//!
//! Every row is validated before anything is written. Rows with a bad value, or with a phone
//! seen earlier in the file or already registered, are rejected with a reason; the rest are
//! imported in one transaction, as `approved` volunteers (they are the association's existing
//! register), with the approved counters moved in the same transaction. With `strict`, one
//! rejected row imports nothing. Importing the same file twice imports nothing new.

use anyhow::{Context, bail};
use calamine::{Data, Reader, open_workbook_auto};
use chrono::{DateTime, Utc};
use kepu_domain::stats::Deltas;
use kepu_domain::value::{IdNumber, PersonName, Phone, Skills, mask_phone};
use kepu_domain::volunteer::VolunteerState;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use uuid::Uuid;

use super::stats;
use crate::db::Db;
use crate::entity::{townships, volunteers};

/// One row as read from the file: its line number (the header is line 1) and cells by field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawRow {
    /// Line in the spreadsheet (1 = headers).
    pub line: usize,
    /// Real name.
    pub real_name: String,
    /// Phone.
    pub phone: String,
    /// Township code or name.
    pub township: String,
    /// Skills.
    pub skills: String,
    /// ID number.
    pub id_number: String,
}

/// The fields a column may hold, by the headers that name them.
const HEADERS: [(&str, &[&str]); 5] = [
    ("real_name", &["姓名", "真实姓名", "real_name", "name"]),
    (
        "phone",
        &["手机号", "手机", "手机号码", "联系电话", "电话", "phone"],
    ),
    (
        "township",
        &["苏木镇", "所属苏木镇", "乡镇", "所在乡镇", "township"],
    ),
    ("skills", &["技能", "技能特长", "专业特长", "skills"]),
    ("id_number", &["身份证号", "身份证号码", "id_number"]),
];

/// Maps the header row to fields; the name, phone and township columns are required.
fn columns(header: &[String]) -> anyhow::Result<HashMap<&'static str, usize>> {
    let mut found = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
        for (field, names) in HEADERS {
            if names.iter().any(|n| n.to_lowercase() == h) {
                found.entry(field).or_insert(i);
            }
        }
    }
    let missing: Vec<&str> = ["real_name", "phone", "township"]
        .into_iter()
        .filter(|f| !found.contains_key(f))
        .collect();
    if !missing.is_empty() {
        bail!(
            "the header row lacks column(s) {}: name them 姓名, 手机号 and 苏木镇",
            missing.join(", ")
        );
    }
    Ok(found)
}

fn to_rows(mut lines: Vec<Vec<String>>) -> anyhow::Result<Vec<RawRow>> {
    if lines.is_empty() {
        bail!("the file is empty");
    }
    let header = lines.remove(0);
    let cols = columns(&header)?;
    let cell = |line: &[String], field: &str| {
        cols.get(field)
            .and_then(|&i| line.get(i))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    Ok(lines
        .into_iter()
        .enumerate()
        .filter(|(_, line)| line.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, line)| RawRow {
            line: i + 2,
            real_name: cell(&line, "real_name"),
            phone: cell(&line, "phone"),
            township: cell(&line, "township"),
            skills: cell(&line, "skills"),
            id_number: cell(&line, "id_number"),
        })
        .collect())
}

/// Text of a spreadsheet cell; whole numbers (phones typed as numbers) without a decimal point.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

/// Reads a `.csv` (UTF-8, with or without a byte-order mark) or an `.xlsx`/`.xls` (first sheet).
pub fn read_file(path: &Path) -> anyhow::Result<Vec<RawRow>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .unwrap_or_default();
    let lines: Vec<Vec<String>> = match ext.as_str() {
        "csv" => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let text = std::str::from_utf8(&bytes)
                .context("the CSV is not UTF-8: save it from Excel as “CSV UTF-8”")?;
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
            reader
                .records()
                .map(|r| r.map(|rec| rec.iter().map(str::to_owned).collect()))
                .collect::<Result<_, _>>()
                .context("reading the CSV")?
        }
        "xlsx" | "xlsm" | "xls" | "ods" => {
            let mut book =
                open_workbook_auto(path).with_context(|| format!("opening {}", path.display()))?;
            let range = book
                .worksheet_range_at(0)
                .context("the workbook has no sheet")?
                .context("reading the first sheet")?;
            range
                .rows()
                .map(|row| row.iter().map(cell_text).collect())
                .collect()
        }
        _ => bail!("unsupported file type .{ext}: use .xlsx or .csv"),
    };
    to_rows(lines)
}

/// A row that passed validation.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidRow {
    /// Line in the file.
    pub line: usize,
    /// Real name.
    pub real_name: String,
    /// Normalised phone.
    pub phone: String,
    /// Township code.
    pub township: String,
    /// Skills.
    pub skills: String,
    /// ID number.
    pub id_number: Option<String>,
}

/// A row that did not, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    /// Line in the file.
    pub line: usize,
    /// The name as given.
    pub real_name: String,
    /// The phone as given (masked when shown).
    pub phone: String,
    /// Every reason, in Chinese.
    pub reasons: Vec<String>,
}

/// Validates rows against the townships (code → name) and the phones already registered.
/// Pure: the caller reads both from the database.
pub fn validate(
    rows: &[RawRow],
    townships: &HashMap<String, String>,
    registered: &HashSet<String>,
) -> (Vec<ValidRow>, Vec<Rejected>) {
    let by_name: HashMap<&str, &str> = townships
        .iter()
        .map(|(code, name)| (name.as_str(), code.as_str()))
        .collect();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let (mut valid, mut rejected) = (Vec::new(), Vec::new());
    for row in rows {
        let mut reasons = Vec::new();
        let name = PersonName::parse(&row.real_name)
            .map_err(|e| reasons.push(format!("姓名：{e}")))
            .ok();
        let phone = Phone::parse(&row.phone)
            .map_err(|e| reasons.push(format!("手机号：{e}")))
            .ok();
        let township = if townships.contains_key(&row.township) {
            Some(row.township.clone())
        } else if let Some(code) = by_name.get(row.township.as_str()) {
            Some((*code).to_owned())
        } else {
            reasons.push(format!("苏木镇：没有“{}”这个苏木镇", row.township));
            None
        };
        let skills = Skills::parse(&row.skills)
            .map(|s| s.into_inner())
            .or_else(|e| {
                if row.skills.is_empty() {
                    Ok(String::new())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| reasons.push(format!("技能：{e}")))
            .ok();
        let id_number = if row.id_number.is_empty() {
            Some(None)
        } else {
            IdNumber::parse(&row.id_number)
                .map(|n| Some(n.as_ref().to_owned()))
                .map_err(|e| reasons.push(format!("身份证号：{e}")))
                .ok()
        };
        if let Some(phone) = &phone {
            let phone = phone.as_ref().to_owned();
            if registered.contains(&phone) {
                reasons.push("手机号已注册为志愿者（重复）".into());
            } else if let Some(first) = first_line.get(&phone) {
                reasons.push(format!("手机号与第{first}行重复"));
            } else {
                first_line.insert(phone, row.line);
            }
        }
        match (name, phone, township, skills, id_number) {
            (Some(name), Some(phone), Some(township), Some(skills), Some(id_number))
                if reasons.is_empty() =>
            {
                valid.push(ValidRow {
                    line: row.line,
                    real_name: name.into_inner(),
                    phone: phone.as_ref().to_owned(),
                    township,
                    skills,
                    id_number,
                });
            }
            _ => rejected.push(Rejected {
                line: row.line,
                real_name: row.real_name.clone(),
                phone: row.phone.clone(),
                reasons,
            }),
        }
    }
    (valid, rejected)
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Data rows read.
    pub read: usize,
    /// Rows imported.
    pub imported: usize,
    /// Rows rejected, with reasons.
    pub rejected: Vec<Rejected>,
    /// Whether nothing was written because `strict` met a rejected row.
    pub aborted: bool,
}

impl ImportReport {
    /// The per-row report as CSV (UTF-8 with BOM): line, name, masked phone, result, reasons.
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::from("\u{feff}".as_bytes());
        {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(["行号", "姓名", "手机号", "结果", "原因"])?;
            for r in &self.rejected {
                w.write_record([
                    r.line.to_string(),
                    r.real_name.clone(),
                    mask_phone(&r.phone),
                    "未导入".into(),
                    r.reasons.join("；"),
                ])?;
            }
            w.flush()?;
        }
        Ok(out)
    }
}

/// Progress callbacks (the CLI draws a bar; tests pass nothing).
pub trait Progress {
    /// `n` more rows done.
    fn advance(&self, n: u64);
}

impl Progress for () {
    fn advance(&self, _: u64) {}
}

/// Imports `rows`: validates all, then writes the valid ones in one transaction (none when
/// `strict` and any row was rejected).
pub async fn import_volunteers(
    db: &Db,
    rows: &[RawRow],
    strict: bool,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> anyhow::Result<ImportReport> {
    let towns: HashMap<String, String> = townships::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.code, t.name_zh))
        .collect();
    let mut registered = HashSet::new();
    let phones: Vec<String> = rows
        .iter()
        .filter_map(|r| Phone::parse(&r.phone).ok())
        .map(|p| p.as_ref().to_owned())
        .collect();
    for chunk in phones.chunks(500) {
        let found: Vec<String> = volunteers::Entity::find()
            .select_only()
            .column(volunteers::Column::Phone)
            .filter(volunteers::Column::Phone.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        registered.extend(found);
    }
    let (valid, rejected) = validate(rows, &towns, &registered);
    progress.advance(rejected.len() as u64);
    let mut report = ImportReport {
        read: rows.len(),
        imported: 0,
        rejected,
        aborted: false,
    };
    if strict && !report.rejected.is_empty() {
        report.aborted = true;
        return Ok(report);
    }
    let txn = db.begin().await?;
    let mut deltas = Deltas::new();
    for chunk in valid.chunks(500) {
        volunteers::Entity::insert_many(chunk.iter().map(|v| {
            deltas.approved(&v.township, 1);
            volunteers::ActiveModel {
                id: Set(Uuid::now_v7()),
                real_name: Set(v.real_name.clone()),
                phone: Set(v.phone.clone()),
                township_code: Set(v.township.clone()),
                skills: Set(v.skills.clone()),
                id_number: Set(v.id_number.clone()),
                state: Set(VolunteerState::Approved.as_str().into()),
                review_reason: Set(Some("批量导入".into())),
                created_at: Set(now),
                updated_at: Set(now),
                confirmed_halves: Set(0),
                pending_halves: Set(0),
                approved_on: Set(None),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
        progress.advance(chunk.len() as u64);
    }
    stats::apply(&txn, &deltas)
        .await
        .map_err(|e| anyhow::anyhow!("moving the totals: {e}"))?;
    txn.commit().await?;
    report.imported = valid.len();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn headers_in_chinese_or_english_in_any_order() {
        let rows = to_rows(vec![
            s(&["\u{feff}手机号", "姓名", "township", "备注"]),
            s(&["13800138000", "张三", "xini", "x"]),
            s(&["", "", "", ""]),
            s(&["13900139000", "李四", "锡尼镇", ""]),
        ])
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].phone, "13800138000");
        assert_eq!(rows[0].real_name, "张三");
        assert_eq!(rows[1].line, 4);
        assert!(to_rows(vec![s(&["姓名", "手机号"])]).is_err());
        assert!(to_rows(vec![]).is_err());
    }

    #[test]
    fn every_bad_value_and_every_duplicate_is_reported() {
        let towns = HashMap::from([("xini".to_owned(), "锡尼镇".to_owned())]);
        let registered = HashSet::from(["13700137000".to_owned()]);
        let row = |line, name: &str, phone: &str, town: &str| RawRow {
            line,
            real_name: name.into(),
            phone: phone.into(),
            township: town.into(),
            ..RawRow::default()
        };
        let rows = [
            row(2, "张三", "13800138000", "xini"),
            row(3, "李四", "138 0013 8000", "锡尼镇"),
            row(4, "", "123", "nowhere"),
            row(5, "王五", "13700137000", "锡尼镇"),
            row(6, "赵六", "13900139000", "锡尼镇"),
        ];
        let (valid, rejected) = validate(&rows, &towns, &registered);
        assert_eq!(valid.iter().map(|v| v.line).collect::<Vec<_>>(), vec![2, 6]);
        assert_eq!(valid[1].township, "xini");
        assert_eq!(rejected.len(), 3);
        assert!(rejected[0].reasons[0].contains("第2行"));
        assert_eq!(rejected[1].reasons.len(), 3);
        assert!(rejected[2].reasons[0].contains("已注册"));
    }
}
