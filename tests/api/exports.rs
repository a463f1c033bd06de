//! The association's exports (issue 3): `/reports/{volunteers|hours|indicators}.{csv|xlsx}`
//! are for the association only, and the files read back: CSV in UTF-8 with a byte-order mark,
//! Chinese headers, phones and ID numbers masked; xlsx with numbers as numbers and dates as
//! dates, holding the same rows as the CSV.

use crate::helpers::*;
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use std::io::Cursor;

const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
const CSV_TYPE: &str = "text/csv; charset=utf-8";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const VOLUNTEER_HEADERS: [&str; 10] = [
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
];
const HOURS_HEADERS: [&str; 10] = [
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
];
const INDICATOR_HEADERS: [&str; 7] = [
    "指标代码",
    "指标名称",
    "单位",
    "统计周期",
    "目标值",
    "当前值",
    "完成率",
];

/// A downloaded export: its bytes, after checking the status and the file headers.
async fn download(app: &TestApp, report: &str, ext: &str, query: &str) -> Vec<u8> {
    let reply = app
        .get_raw(
            &format!("/api/v1/reports/{report}.{ext}{query}"),
            Some(&app.admin().await),
            None,
        )
        .await;
    assert_eq!(
        reply.status,
        200,
        "{report}.{ext}{query}: {}",
        String::from_utf8_lossy(&reply.bytes)
    );
    let content_type = if ext == "csv" { CSV_TYPE } else { XLSX_TYPE };
    assert_eq!(reply.header("content-type"), content_type, "{report}.{ext}");
    let day = today().format("%Y%m%d");
    assert_eq!(
        reply.header("content-disposition"),
        format!("attachment; filename=\"kepu-{report}-{day}.{ext}\""),
        "{report}.{ext}"
    );
    assert_eq!(reply.header("cache-control"), "no-store", "{report}.{ext}");
    reply.bytes
}

/// A CSV export: starts with the BOM, parses, and has exactly `headers`. Returns the rows.
fn read_csv(bytes: &[u8], headers: &[&str]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(BOM), "UTF-8 with a byte-order mark");
    assert!(!bytes[3..].starts_with(BOM), "one byte-order mark, not two");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let got: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(got, headers, "Chinese headers");
    reader
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_owned).collect())
        .collect()
}

/// The date of an Excel serial day number (1900 date system).
fn excel_day(serial: f64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap() + Duration::days(serial.floor() as i64)
}

/// An xlsx export: one sheet named `title` with `headers` in its first row; every cell of a
/// `numbers` column is a number, of a `dates` column a date, of the others text or empty.
/// Returns the data rows as the CSV writes them, for comparison.
fn read_xlsx(
    bytes: &[u8],
    title: &str,
    headers: &[&str],
    numbers: &[usize],
    dates: &[usize],
) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"PK"), "a zip container");
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("an xlsx");
    assert_eq!(book.sheet_names(), [title], "one sheet named {title}");
    let range = book.worksheet_range_at(0).expect("a sheet").expect("cells");
    let mut rows = range.rows();
    let header: Vec<Data> = rows.next().expect("a header row").to_vec();
    assert_eq!(
        header,
        headers
            .iter()
            .map(|h| Data::String((*h).to_owned()))
            .collect::<Vec<_>>(),
        "Chinese headers in {title}"
    );
    rows.enumerate()
        .map(|(r, row)| {
            assert_eq!(row.len(), headers.len(), "{title} row {r}: every column");
            row.iter()
                .enumerate()
                .map(|(c, cell)| {
                    let case = format!("{title} row {r} column {}: {cell:?}", headers[c]);
                    if numbers.contains(&c) {
                        match cell {
                            Data::Float(f) => f.to_string(),
                            _ => panic!("{case}: a number cell expected"),
                        }
                    } else if dates.contains(&c) {
                        match cell {
                            Data::DateTime(d) if d.is_datetime() => {
                                excel_day(d.as_f64()).format("%Y-%m-%d").to_string()
                            }
                            _ => panic!("{case}: a date cell expected"),
                        }
                    } else {
                        match cell {
                            Data::String(s) => s.clone(),
                            Data::Empty => String::new(),
                            _ => panic!("{case}: a text cell expected"),
                        }
                    }
                })
                .collect()
        })
        .collect()
}

/// The row whose `column` equals `value`.
fn row_where<'a>(rows: &'a [Vec<String>], column: usize, value: &str) -> &'a [String] {
    let found: Vec<&Vec<String>> = rows.iter().filter(|r| r[column] == value).collect();
    assert_eq!(found.len(), 1, "one row with {value} in {rows:?}");
    found[0]
}

/// The tracking code of order `id`.
async fn tracking_code(app: &TestApp, id: &str) -> String {
    let order = app
        .get(&format!("/api/v1/orders/{id}"), Some(&app.admin().await))
        .await
        .expect(200);
    order["tracking_code"].as_str().unwrap().to_owned()
}

/// `138****5678` for `13812345678`.
fn masked_phone(phone: &str) -> String {
    format!("{}****{}", &phone[..3], &phone[7..])
}

#[tokio::test]
async fn exports_are_for_the_association_and_unknown_ones_are_404() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let volunteer = app
        .user("volunteer", Some(("volunteer_id", &cast.volunteer)))
        .await;
    for report in ["volunteers", "hours", "indicators"] {
        for ext in ["csv", "xlsx"] {
            let path = format!("/api/v1/reports/{report}.{ext}");
            let reply = app.get(&path, None).await;
            assert_eq!(reply.status, 401, "{path} anonymous: {}", reply.body);
            for (who, token) in [
                ("station staff", &cast.station),
                ("department staff", &cast.department),
                ("a team leader", &cast.leader),
                ("a volunteer", &volunteer),
            ] {
                let reply = app.get(&path, Some(token)).await;
                assert_eq!(reply.status, 403, "{path} as {who}: {}", reply.body);
                assert_eq!(reply.body["status"], 403, "{path} as {who}: a problem");
            }
        }
    }
    for path in [
        "/api/v1/reports/orders.csv",
        "/api/v1/reports/hours.pdf",
        "/api/v1/reports/hours.xls",
        "/api/v1/reports/hours.CSV",
        "/api/v1/reports/hours",
    ] {
        let reply = app.get(path, Some(&admin)).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.body);
    }
    let reply = app
        .get(
            "/api/v1/reports/indicators.csv?township=atlantis&year=1800",
            Some(&admin),
        )
        .await;
    assert_eq!(reply.status, 422, "filters are checked: {}", reply.body);
    assert_eq!(reply.body["errors"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn exports_read_back_masked_with_typed_cells_and_the_same_rows_in_both_formats() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let phone = "13698765432";
    let id = id_number("15062519900307123");
    let wuyun = app
        .member_with(&cast.team_id, "乌云其木格", phone, Some(&id))
        .await;
    let day = today();
    // Order A: both confirmed, then half an hour of the cast's volunteer taken back.
    let a = cast
        .complete_with(
            &app,
            json!({}),
            day,
            20,
            &[(&cast.volunteer, 2.0), (&wuyun, 1.5)],
        )
        .await;
    let records = app.records_of(&a).await;
    let cast_record = service_record_of(&records, &cast.volunteer);
    app.ledger_as_admin(&cast_record, "confirm", json!({}), 200)
        .await;
    app.ledger_as_admin(
        &service_record_of(&records, &wuyun),
        "confirm",
        json!({}),
        200,
    )
    .await;
    let reversal = app
        .ledger_as_admin(
            &cast_record,
            "reverse",
            json!({"reason": "多记了半小时", "hours": 0.5}),
            201,
        )
        .await;
    // Order B: pending.
    let b = cast
        .complete_with(&app, json!({}), day, 30, &[(&wuyun, 1.0)])
        .await;
    let (code_a, code_b) = (tracking_code(&app, &a).await, tracking_code(&app, &b).await);
    let listed = app
        .get("/api/v1/volunteers?limit=200", Some(&admin))
        .await
        .expect(200);
    let volunteers = listed["items"].as_array().unwrap().clone();
    let raw_phones: Vec<String> = volunteers
        .iter()
        .map(|v| v["phone"].as_str().unwrap().to_owned())
        .collect();
    assert!(raw_phones.contains(&phone.to_owned()));
    let cast_phone = volunteers
        .iter()
        .find(|v| v["id"] == cast.volunteer.as_str())
        .and_then(|v| v["phone"].as_str())
        .unwrap()
        .to_owned();
    let no_personal_numbers = |bytes: &[u8], what: &str| {
        let text = String::from_utf8_lossy(bytes);
        for p in &raw_phones {
            assert!(!text.contains(p.as_str()), "{what} holds the phone {p}");
        }
        assert!(!text.contains(&id), "{what} holds the ID number");
        assert!(
            !text.contains("13812345678"),
            "{what} holds a contact phone"
        );
    };

    // Volunteers.
    let csv_bytes = download(&app, "volunteers", "csv", "").await;
    no_personal_numbers(&csv_bytes, "volunteers.csv");
    let csv_rows = read_csv(&csv_bytes, &VOLUNTEER_HEADERS);
    assert_eq!(csv_rows.len(), volunteers.len(), "one row per volunteer");
    let today_text = day.format("%Y-%m-%d").to_string();
    let row = row_where(&csv_rows, 0, "乌云其木格");
    assert_eq!(
        row,
        [
            "乌云其木格",
            "136****5432",
            &format!("{}********{}", &id[..6], &id[14..]),
            "锡尼镇",
            "已通过",
            "",
            "1.5",
            "1",
            "0",
            today_text.as_str(),
        ]
    );
    let row = row_where(&csv_rows, 1, &masked_phone(&cast_phone));
    assert_eq!(row[2], "", "no ID number given");
    assert_eq!((row[6].as_str(), row[7].as_str()), ("1.5", "0"), "2 − 0.5");
    let xlsx_bytes = download(&app, "volunteers", "xlsx", "").await;
    let xlsx_rows = read_xlsx(&xlsx_bytes, "志愿者", &VOLUNTEER_HEADERS, &[6, 7, 8], &[9]);
    assert_eq!(xlsx_rows, csv_rows, "the same rows in both formats");
    // The xlsx is compressed; its text is checked through the cells.
    for cell in xlsx_rows.iter().flatten() {
        no_personal_numbers(cell.as_bytes(), "volunteers.xlsx");
    }

    // Hours: every record, the reversal with negative hours.
    let csv_bytes = download(&app, "hours", "csv", "").await;
    no_personal_numbers(&csv_bytes, "hours.csv");
    let csv_rows = read_csv(&csv_bytes, &HOURS_HEADERS);
    assert_eq!(csv_rows.len(), 4, "three services and one reversal");
    let reversal_row = row_where(&csv_rows, 0, reversal["id"].as_str().unwrap());
    assert_eq!(
        reversal_row[1..],
        [
            "志愿者",
            masked_phone(&cast_phone).as_str(),
            "锡尼镇",
            code_a.as_str(),
            today_text.as_str(),
            "-0.5",
            "已确认",
            "冲正",
            "多记了半小时",
        ]
    );
    let original = row_where(&csv_rows, 0, &cast_record);
    assert_eq!(
        (
            original[6].as_str(),
            original[7].as_str(),
            original[8].as_str()
        ),
        ("2", "已确认", "服务"),
        "the original stays as it was"
    );
    let pending: Vec<&Vec<String>> = csv_rows.iter().filter(|r| r[4] == code_b).collect();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0][1..9],
        [
            "乌云其木格",
            "136****5432",
            "锡尼镇",
            code_b.as_str(),
            today_text.as_str(),
            "1",
            "待确认",
            "服务",
        ]
    );
    let total: f64 = csv_rows
        .iter()
        .filter(|r| r[7] == "已确认")
        .map(|r| r[6].parse::<f64>().unwrap())
        .sum();
    assert_eq!(total, 3.0, "confirmed hours, the reversal deducted");
    let xlsx_bytes = download(&app, "hours", "xlsx", "").await;
    let xlsx_rows = read_xlsx(&xlsx_bytes, "服务时长", &HOURS_HEADERS, &[6], &[5]);
    assert_eq!(xlsx_rows, csv_rows, "the same rows in both formats");

    // Indicators: the values of /stats/indicators, with and without filters.
    for query in ["", "?township=xini", "?township=balagong&year=2024"] {
        let stats = app
            .get(&format!("/api/v1/stats/indicators{query}"), Some(&admin))
            .await
            .expect(200);
        let items = stats["items"].as_array().unwrap();
        let csv_bytes = download(&app, "indicators", "csv", query).await;
        let csv_rows = read_csv(&csv_bytes, &INDICATOR_HEADERS);
        assert_eq!(csv_rows.len(), items.len(), "every indicator{query}");
        for (row, item) in csv_rows.iter().zip(items) {
            let case = format!("{}{query}", item["code"]);
            assert_eq!(row[0], item["code"].as_str().unwrap(), "{case}");
            assert_eq!(row[1], item["name_zh"].as_str().unwrap(), "{case}");
            let number = |s: &str| s.parse::<f64>().unwrap();
            assert_eq!(number(&row[4]), item["target"].as_f64().unwrap(), "{case}");
            assert_eq!(number(&row[5]), item["value"].as_f64().unwrap(), "{case}");
            assert_eq!(
                number(&row[6]),
                item["progress"].as_f64().unwrap(),
                "{case}"
            );
        }
        let xlsx_bytes = download(&app, "indicators", "xlsx", query).await;
        let xlsx_rows = read_xlsx(&xlsx_bytes, "指标", &INDICATOR_HEADERS, &[4, 5, 6], &[]);
        assert_eq!(xlsx_rows, csv_rows, "the same rows in both formats{query}");
        if query.is_empty() {
            let value = |code: &str| -> Value {
                let row = row_where(&csv_rows, 0, code);
                json!([row[2], row[5]])
            };
            assert_eq!(
                value("farmer_training_sessions"),
                json!(["场次", "2"]),
                "both orders count"
            );
            assert_eq!(value("registered_volunteers"), json!(["人（志愿者）", "2"]));
        }
    }
}

#[tokio::test]
async fn the_registration_date_is_the_deployments_date() {
    let app = spawn_app().await;
    // Registered at 01:30 in Beijing on 2 March, when it is still 1 March in UTC.
    let at = chrono::DateTime::parse_from_rfc3339("2026-03-01T17:30:00Z")
        .unwrap()
        .to_utc();
    let row = kepu_api::service::import::RawRow {
        line: 2,
        real_name: "阿拉坦".into(),
        phone: "13600001234".into(),
        township: "xini".into(),
        ..Default::default()
    };
    let db = app.db().await;
    let report = kepu_api::service::import::import_volunteers(&db, &[row], true, at, &())
        .await
        .unwrap();
    db.close().await.unwrap();
    assert_eq!(report.imported, 1);
    let csv_rows = read_csv(
        &download(&app, "volunteers", "csv", "").await,
        &VOLUNTEER_HEADERS,
    );
    let xlsx_rows = read_xlsx(
        &download(&app, "volunteers", "xlsx", "").await,
        "志愿者",
        &VOLUNTEER_HEADERS,
        &[6, 7, 8],
        &[9],
    );
    for (format, rows) in [("csv", &csv_rows), ("xlsx", &xlsx_rows)] {
        assert_eq!(
            row_where(rows, 0, "阿拉坦")[9],
            "2026-03-02",
            "{format}: 注册日期 is the day in Beijing (KEPU_TIMEZONE), not in UTC"
        );
    }
}
