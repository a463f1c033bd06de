//! Bulk import of existing registers (issue 3): every row checked first, each rejected row
//! reported with its line and every reason, duplicates (in the file, or already registered)
//! refused, the valid rows imported as approved volunteers with the approved counters moved, a
//! second run importing nothing, `strict` importing nothing when any row is bad; and the real
//! `kepu import volunteers` and `kepu stats verify` commands.

use crate::helpers::*;
use kepu_api::db::Db;
use kepu_api::service::import::{ImportReport, RawRow, import_volunteers, read_file};
use kepu_api::service::reports::{Cell, Table, to_xlsx};
use kepu_api::service::stats;
use sea_orm::ConnectionTrait;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Reads and imports `path` into the app's database.
async fn import(db: &Db, path: &Path, strict: bool) -> ImportReport {
    let rows: Vec<RawRow> = read_file(path).expect("a readable register");
    import_volunteers(db, &rows, strict, chrono::Utc::now(), &())
        .await
        .expect("the import runs")
}

/// Rejected line → its reasons joined.
fn rejected(report: &ImportReport) -> BTreeMap<usize, String> {
    report
        .rejected
        .iter()
        .map(|r| {
            assert!(!r.reasons.is_empty(), "line {}: a reason", r.line);
            (r.line, r.reasons.join("；"))
        })
        .collect()
}

/// Every volunteer as the association lists them, by phone.
async fn volunteers_by_phone(app: &TestApp) -> BTreeMap<String, Value> {
    let body = app
        .get("/api/v1/volunteers?limit=200", Some(&app.admin().await))
        .await
        .expect(200);
    assert_eq!(body["next_cursor"], Value::Null, "one page holds them all");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["phone"].as_str().unwrap().to_owned(), v.clone()))
        .collect()
}

/// Approved volunteers: in all, and per township.
async fn approved(app: &TestApp) -> (i64, BTreeMap<String, i64>) {
    let body = app
        .get("/api/v1/stats/volunteers", Some(&app.admin().await))
        .await
        .expect(200);
    let by_township = body["by_township"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["township"].as_str().unwrap().to_owned(),
                t["approved"].as_i64().unwrap(),
            )
        })
        .collect();
    (body["approved"].as_i64().unwrap(), by_township)
}

async fn assert_no_drift(db: &Db) {
    let drift = stats::verify(db).await.expect("verify runs");
    assert!(drift.is_empty(), "the totals drifted: {drift}");
}

#[tokio::test]
async fn a_register_of_good_bad_and_duplicate_rows_imports_the_good_ones_once() {
    let app = spawn_app().await;
    let db = app.db().await;
    let (_, registered) = app.register_in("xini").await;
    let (before, before_by) = approved(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let good_id = id_number("15062519900101002");
    let mut bad_id = good_id.clone();
    let last = if bad_id.ends_with('0') { "1" } else { "0" };
    bad_id.replace_range(17.., last);

    // A CSV saved by Excel as "CSV UTF-8": with a byte-order mark. Line 8 is blank.
    let csv = format!(
        "\u{feff}姓名,手机号,苏木镇,技能特长,身份证号\n\
         张伟,13900001111,锡尼镇,摄影,{good_id}\n\
         李娜,13900002222,balagong,,\n\
         王芳,1390000,xini,,\n\
         赵磊,13900003333,火星镇,,\n\
         孙丽,13900004444,xini,,{bad_id}\n\
         ,13900005555,xini,,\n\
         ,,,,\n\
         周杰,139 0000 1111,xini,,\n\
         吴敏,{registered},xini,,\n\
         郑强,13900006666,伊和乌素苏木,,\n"
    );
    let csv_path = dir.path().join("名册.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let report = import(&db, &csv_path, false).await;
    assert_eq!(report.read, 9, "the blank row is skipped");
    assert_eq!(report.imported, 3);
    assert!(!report.aborted);
    let why = rejected(&report);
    assert_eq!(
        why.keys().copied().collect::<Vec<_>>(),
        [4, 5, 6, 7, 9, 10],
        "each rejected row by its line: {why:?}"
    );
    for (line, expected) in [
        (4, "手机号"),
        (5, "火星镇"),
        (6, "身份证号"),
        (7, "姓名"),
        (9, "第2行重复"),
        (10, "已注册"),
    ] {
        assert!(why[&line].contains(expected), "line {line}: {}", why[&line]);
    }
    assert!(!why[&7].contains("手机号"), "only what is wrong");
    let report_csv = String::from_utf8(report.to_csv().unwrap()).unwrap();
    assert!(report_csv.starts_with('\u{feff}'));
    assert!(report_csv.contains("139****4444"), "phones masked");
    assert!(!report_csv.contains("13900004444"), "phones masked");

    let people = volunteers_by_phone(&app).await;
    for (phone, name, township) in [
        ("13900001111", "张伟", "xini"),
        ("13900002222", "李娜", "balagong"),
        ("13900006666", "郑强", "yiheusu"),
    ] {
        let v = people
            .get(phone)
            .unwrap_or_else(|| panic!("{name} imported"));
        assert_eq!(v["real_name"], name);
        assert_eq!(v["state"], "approved", "{name}");
        assert_eq!(v["township"], township, "{name}");
    }
    let zhang = &people["13900001111"];
    assert_eq!(zhang["skills"], "摄影");
    assert_eq!(
        zhang["id_number"],
        format!("{}********{}", &good_id[..6], &good_id[14..])
    );
    for phone in ["13900003333", "13900004444", "13900005555"] {
        assert!(!people.contains_key(phone), "{phone} was rejected");
    }
    assert_eq!(
        people[&registered]["real_name"], "志愿者",
        "the registered volunteer is left as they were"
    );
    let (after, after_by) = approved(&app).await;
    assert_eq!(after, before + 3);
    for (town, moved) in [
        ("xini", 1),
        ("balagong", 1),
        ("yiheusu", 1),
        ("huhemudu", 0),
    ] {
        assert_eq!(after_by[town], before_by[town] + moved, "{town}");
    }
    assert_no_drift(&db).await;

    // The same file again: every row already registered or still bad.
    let again = import(&db, &csv_path, false).await;
    assert_eq!(again.imported, 0, "nothing new");
    assert_eq!(again.rejected.len(), 9);
    for line in [2, 3, 11] {
        assert!(rejected(&again)[&line].contains("已注册"), "line {line}");
    }
    assert_eq!(approved(&app).await.0, after);

    // An xlsx with English headers in another order, phones typed as numbers.
    let book = to_xlsx(&Table {
        title: "Sheet1",
        headers: vec!["phone", "real_name", "id_number", "township", "skills"],
        rows: vec![
            vec![
                Cell::Number(13900007777.0),
                "钱七".into(),
                Cell::Empty,
                "呼和木独镇".into(),
                "农技".into(),
            ],
            vec![
                Cell::Number(13900001111.0),
                "冯八".into(),
                Cell::Empty,
                "xini".into(),
                Cell::Empty,
            ],
            vec![
                "13900008888".into(),
                "陈九".into(),
                id_number("15062519781231004").into(),
                "huhemudu".into(),
                Cell::Empty,
            ],
            vec![
                Cell::Number(13900009999.0),
                "褚十".into(),
                Cell::Empty,
                "不存在镇".into(),
                Cell::Empty,
            ],
        ],
    })
    .unwrap();
    let xlsx_path = dir.path().join("register.xlsx");
    std::fs::write(&xlsx_path, book).unwrap();
    let report = import(&db, &xlsx_path, false).await;
    assert_eq!((report.read, report.imported), (4, 2));
    let why = rejected(&report);
    assert_eq!(why.keys().copied().collect::<Vec<_>>(), [3, 5], "{why:?}");
    assert!(why[&3].contains("已注册"));
    assert!(why[&5].contains("不存在镇"));
    let people = volunteers_by_phone(&app).await;
    assert_eq!(people["13900007777"]["township"], "huhemudu");
    assert_eq!(people["13900007777"]["skills"], "农技");
    assert_eq!(people["13900008888"]["real_name"], "陈九");
    let (after_xlsx, by) = approved(&app).await;
    assert_eq!(after_xlsx, after + 2);
    assert_eq!(by["huhemudu"], after_by["huhemudu"] + 2);

    // Strict: one bad row, nothing imported.
    let strict_path = dir.path().join("strict.csv");
    std::fs::write(
        &strict_path,
        "real_name,phone,township\n卫一,13900010001,xini\n蒋二,12345,xini\n沈三,13900010003,xini\n",
    )
    .unwrap();
    let report = import(&db, &strict_path, true).await;
    assert!(report.aborted);
    assert_eq!(report.imported, 0);
    assert_eq!(rejected(&report).keys().copied().collect::<Vec<_>>(), [3]);
    let people = volunteers_by_phone(&app).await;
    assert!(!people.contains_key("13900010001") && !people.contains_key("13900010003"));
    assert_eq!(approved(&app).await.0, after_xlsx);
    assert_no_drift(&db).await;
    db.close().await.unwrap();
}

/// Runs `kepu` with only `KEPU_DATABASE_URL` set; returns (success, stdout + stderr).
fn kepu(bin: &Path, database_url: &str, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(bin)
        .args(args)
        .env_clear()
        .env("KEPU_DATABASE_URL", database_url)
        .output()
        .expect("run kepu");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn the_kepu_command_imports_reports_rejected_rows_and_verifies_the_totals() {
    let Some(bin) = kepu_binary() else {
        eprintln!("skipped: target/debug/kepu is not built (cargo build --bin kepu)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/kepu.db?mode=rwc", dir.path().display());
    let file = dir.path().join("register.csv");
    std::fs::write(
        &file,
        "\u{feff}姓名,手机号,苏木镇\n白一,13900020001,锡尼镇\n白二,1390002,xini\n白三,13900020001,xini\n",
    )
    .unwrap();
    let report = dir.path().join("rejected.csv");
    let file_arg = file.to_str().unwrap();
    let report_arg = report.to_str().unwrap();
    let (ok, out) = kepu(
        &bin,
        &url,
        &["import", "volunteers", file_arg, "--report", report_arg],
    );
    assert!(ok, "the import succeeds with rejected rows: {out}");
    assert!(out.contains("imported 1, rejected 2"), "{out}");
    assert!(out.contains("第3行") && out.contains("第4行"), "{out}");
    let written = std::fs::read(&report).expect("the report file");
    assert!(written.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 with BOM");
    let mut reader = csv::Reader::from_reader(&written[3..]);
    assert_eq!(
        reader.headers().unwrap(),
        vec!["行号", "姓名", "手机号", "结果", "原因"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!((&rows[0][0], &rows[0][1]), ("3", "白二"));
    assert_eq!((&rows[1][0], &rows[1][2]), ("4", "139****0001"));
    assert!(rows[1][4].contains("第2行"), "{:?}", rows[1]);

    // Strict on the same file: the one valid row is now a duplicate too, nothing imported.
    let (ok, out) = kepu(&bin, &url, &["import", "volunteers", file_arg, "--strict"]);
    assert!(!ok, "--strict with rejected rows exits non-zero: {out}");
    assert!(out.contains("imported 0, rejected 3"), "{out}");

    let (ok, out) = kepu(&bin, &url, &["stats", "verify"]);
    assert!(ok, "no drift after the import: {out}");
    let db: Db = sea_orm::Database::connect(&url).await.unwrap().into();
    db.execute_unprepared(
        "UPDATE stat_totals SET value = value + 1 WHERE metric = 'approved_volunteers' AND township_code = '*'",
    )
    .await
    .unwrap();
    db.close().await.unwrap();
    let (ok, out) = kepu(&bin, &url, &["stats", "verify"]);
    assert!(!ok, "verify exits non-zero on drift: {out}");
    assert!(
        out.contains("approved_volunteers"),
        "names the drift: {out}"
    );
}
