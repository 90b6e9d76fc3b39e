//! Runs the test mock API on a fixed port, for demos and benchmarks:
//! `cargo run -p tests --bin mock-api -- --port 4010`.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use tests::MockApi;

const USAGE: &str = "usage: mock-api [--port PORT]   (default 4010; listens on 127.0.0.1)";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut port: u16 = 4010;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" | "-p" => {
                let value = args.next().context("--port needs a value")?;
                port = value
                    .parse()
                    .with_context(|| format!("`{value}` is not a port number"))?;
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => match other.strip_prefix("--port=") {
                Some(value) => {
                    port = value
                        .parse()
                        .with_context(|| format!("`{value}` is not a port number"))?
                }
                None => bail!("unknown argument `{other}`\n{USAGE}"),
            },
        }
    }
    let mock = MockApi::start_on(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    println!("{}", mock.base_url());
    eprintln!("mock API listening on {}; Ctrl-C stops it", mock.base_url());
    tokio::signal::ctrl_c().await?;
    drop(mock);
    Ok(())
}
