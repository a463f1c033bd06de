//! The real migrations run up, down and up again on the test database.

use crate::helpers::*;
use kepu_migration::{Migrator, MigratorTrait};
use sea_orm::Database;

#[tokio::test]
async fn migrations_go_down_and_up_again() {
    let app = spawn_app().await;
    let db = Database::connect(&app.database_url).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty(),
        "start-up applied everything"
    );
    Migrator::down(&db, None).await.unwrap();
    assert_eq!(
        Migrator::get_applied_migrations(&db).await.unwrap().len(),
        0
    );
    Migrator::up(&db, None).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    db.close().await.unwrap();
}
