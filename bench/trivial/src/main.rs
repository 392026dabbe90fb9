//! The benchmarks' yardstick: the smallest axum service (`GET /` answers a constant), served by
//! `axum::serve` on `PORT`. `bench/ab.sh` measures it in the same run as Theater, so each figure can be
//! read against what this machine and load generator do with no application at all.
//!
//!   cargo run --release --manifest-path bench/trivial/Cargo.toml   # PORT=8001 by default

use axum::{Router, routing::get};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8001);
    let app = Router::new().route("/", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}
