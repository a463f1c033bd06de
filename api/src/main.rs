//! `kepu`: see `kepu --help`.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kepu_api::cli::run().await
}
