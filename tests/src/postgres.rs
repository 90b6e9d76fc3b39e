//! A throwaway PostgreSQL server for tests: `initdb` + `pg_ctl` in a temp dir, on a free port
//! of 127.0.0.1, with `fsync=off`. It needs Debian's `postgresql` package (the binaries in
//! `/usr/lib/postgresql/*/bin`, or the directory in `WEFT_PG_BIN`). As root the server runs
//! as the `postgres` user (PostgreSQL refuses root).
//!
//! [`TempPostgres::start`] gives a server that stops when dropped; [`TempPostgres::shared`]
//! gives one per test process, stopped by a watchdog when the process ends (statics are never
//! dropped), with [`TempPostgres::fresh_database`] giving each test its own database.

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// A running PostgreSQL server in a temp dir.
#[derive(Debug)]
pub struct TempPostgres {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub url: String,
    pub port: u16,
    bin: PathBuf,
    /// The temp dir: `data/` (the cluster), the socket and `server.log`.
    root: PathBuf,
    /// `Some(uid, gid)` of `postgres` when we run as root.
    run_as: Option<(u32, u32)>,
    next_db: AtomicU32,
    /// `fsync` and `synchronous_commit` on.
    durable: bool,
}

impl TempPostgres {
    /// Starts a new server (`fsync` and `synchronous_commit` off: fast, and a crash of the
    /// server may lose its last commits). Panics with the reason (and the server log) if it
    /// cannot.
    pub fn start() -> TempPostgres {
        TempPostgres::start_with(false)
    }

    /// Starts a new server that keeps every commit through a crash of its own (`fsync`,
    /// `synchronous_commit` and `full_page_writes` on), for tests that stop it abruptly.
    pub fn start_durable() -> TempPostgres {
        TempPostgres::start_with(true)
    }

    fn start_with(durable: bool) -> TempPostgres {
        let bin = find_bin().unwrap_or_else(|| {
            panic!(
                "PostgreSQL is not installed: no initdb in /usr/lib/postgresql/*/bin \
                 (apt-get install postgresql, or set WEFT_PG_BIN)"
            )
        });
        let root = tempfile::Builder::new()
            .prefix("weft-pg-")
            .tempdir()
            .expect("a temp dir for PostgreSQL")
            .keep();
        let run_as = if is_root() {
            let ids = postgres_user().expect("a `postgres` user in /etc/passwd (as root)");
            std::os::unix::fs::chown(&root, Some(ids.0), Some(ids.1))
                .expect("chown the PostgreSQL temp dir");
            Some(ids)
        } else {
            None
        };
        let port = free_port();
        let pg = TempPostgres {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            port,
            bin,
            root,
            run_as,
            next_db: AtomicU32::new(0),
            durable,
        };
        let data = pg.data_dir();
        pg.run(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        pg.pg_start();
        pg
    }

    /// `pg_ctl start` on the cluster (waits until it accepts connections).
    fn pg_start(&self) {
        let data = self.data_dir();
        let durability = if self.durable {
            "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
        } else {
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        };
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 {durability} -c max_connections=300",
            self.port,
            path_str(&self.root)
        );
        let log = self.root.join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&data),
                "-o",
                &options,
                "-l",
                path_str(&log),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stops the server as an outage would (`pg_ctl stop -m immediate`: connections cut, no
    /// checkpoint); [`TempPostgres::start_again`] brings it back with its data.
    pub fn stop(&self) {
        let data = self.data_dir();
        self.run(
            "pg_ctl",
            &["-D", path_str(&data), "-m", "immediate", "-w", "stop"],
        );
    }

    /// Starts a server stopped by [`TempPostgres::stop`] again, on the same port.
    pub fn start_again(&self) {
        self.pg_start();
    }

    /// One server for the whole test process, started on first use. A watchdog process stops
    /// it and removes its files when this process exits, however it exits.
    pub fn shared() -> &'static TempPostgres {
        static SHARED: OnceLock<TempPostgres> = OnceLock::new();
        SHARED.get_or_init(|| {
            let pg = TempPostgres::start();
            pg.spawn_watchdog();
            pg
        })
    }

    /// Creates database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        let port = self.port.to_string();
        let out = Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name])
            .output()
            .expect("run createdb");
        assert!(
            out.status.success(),
            "createdb {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// A new, empty database (`t_<n>`) and its URL.
    pub fn fresh_database(&self) -> String {
        let n = self.next_db.fetch_add(1, Ordering::Relaxed);
        self.create_database(&format!("t_{n}"))
    }

    /// The server's data directory (tests search its files for secrets).
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Runs a PostgreSQL binary (as `postgres` when we are root); panics on failure.
    fn run(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program);
        let mut cmd = match self.run_as {
            Some(_) => {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let out = cmd
            .args(args)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
        if !out.status.success() {
            let log = std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
            panic!(
                "{program} failed ({}):\n{}\n{}\nserver log:\n{log}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn stop_command(&self) -> String {
        let pg_ctl = format!(
            "{} -D {} -m immediate -w stop",
            self.bin.join("pg_ctl").display(),
            self.data_dir().display()
        );
        match self.run_as {
            Some(_) => format!("runuser -u postgres -- {pg_ctl}"),
            None => pg_ctl,
        }
    }

    /// The watchdog outlives this process on purpose: nobody waits for it.
    #[allow(clippy::zombie_processes)]
    fn spawn_watchdog(&self) {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{root}'",
            pid = std::process::id(),
            stop = self.stop_command(),
            root = self.root.display(),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the PostgreSQL watchdog");
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .args(["-c", &self.stop_command()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// `initdb`'s directory: `WEFT_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`.
fn find_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WEFT_PG_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("initdb").exists().then_some(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The uid and gid of the `postgres` user.
fn postgres_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.first() == Some(&"postgres") && fields.len() > 3 {
            Some((fields[2].parse().ok()?, fields[3].parse().ok()?))
        } else {
            None
        }
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}
