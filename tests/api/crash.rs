//! `kill -9` of the real `kepu` binary in the middle of a load of submits loses no order it
//! acknowledged, and leaves every event chain whole. On SQLite this runs the group commit: an
//! answer is sent only once its commit is in the log and the log is flushed.

use kepu_api::db::Db;
use sea_orm::{ConnectionTrait, Database, Statement};
use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::helpers::{FreshDatabase, TestApp, kepu_binary};

fn serve(bin: &Path, database_url: &str, port: u16) -> Child {
    Command::new(bin)
        .arg("serve")
        .env_clear()
        .env("KEPU_DATABASE_URL", database_url)
        .env("KEPU_LISTEN", format!("127.0.0.1:{port}"))
        .env("KEPU_ENV", "dev")
        .env("KEPU_RATE_LIMIT", "0")
        .env("KEPU_ADMIN_PASSWORD", "crash-admin-password-1")
        .env("KEPU_JWT_SECRET", "crash-test-secret-long-enough-for-hs256")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kepu serve")
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("kepu did not become ready at {base}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn kill_9_during_submits_loses_no_acknowledged_order() {
    let Some(bin) = kepu_binary() else {
        eprintln!("skipped: target/debug/kepu is not built (cargo build --bin kepu)");
        return;
    };
    let database = FreshDatabase::new().await;
    let url = database.url.clone();
    let port = free_port();
    let mut server = serve(&bin, &url, port);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_ready(&client, &base).await;

    // Eight clients submit until the server dies under them; the ids of the 201s are kept.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let clients = (0..8).map(|_| {
        let (client, base, acknowledged) = (client.clone(), base.clone(), acknowledged.clone());
        tokio::spawn(async move {
            loop {
                let sent = client
                    .post(format!("{base}/api/v1/orders"))
                    .json(&TestApp::order_body())
                    .send()
                    .await;
                let Ok(response) = sent else { break };
                if response.status() != 201 {
                    break;
                }
                let Ok(body) = response.json::<serde_json::Value>().await else {
                    break;
                };
                let id = body["id"].as_str().expect("the order's id").to_owned();
                acknowledged.lock().unwrap().push(id);
            }
        })
    });
    let clients: Vec<_> = clients.collect();
    // Kill once a good number have been answered, mid-stream.
    for _ in 0..600 {
        if acknowledged.lock().unwrap().len() >= 60 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill().expect("SIGKILL the server");
    server.wait().unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let acknowledged: HashSet<String> = acknowledged.lock().unwrap().iter().cloned().collect();
    assert!(
        acknowledged.len() >= 60,
        "the load ran: {}",
        acknowledged.len()
    );

    // Every acknowledged order is there after the crash, with its first event.
    let db: Db = Database::connect(&url).await.unwrap().into();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT o.id FROM orders o JOIN order_events e ON e.order_id = o.id AND e.seq = 1",
        ))
        .await
        .unwrap();
    let stored: HashSet<uuid::Uuid> = rows
        .iter()
        .map(|r| r.try_get::<uuid::Uuid>("", "id").unwrap())
        .collect();
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|id| !stored.contains(&id.parse::<uuid::Uuid>().unwrap()))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    db.close().await.unwrap();

    // The service starts again on the same database, and every event chain verifies.
    let out = Command::new(&bin)
        .arg("verify-events")
        .env_clear()
        .env("KEPU_DATABASE_URL", &url)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "verify-events: {text}");
    assert!(text.contains("0 broken"), "{text}");
    let port = free_port();
    let mut again = serve(&bin, &url, port);
    wait_ready(&client, &format!("http://127.0.0.1:{port}")).await;
    again.kill().ok();
    again.wait().ok();
}
