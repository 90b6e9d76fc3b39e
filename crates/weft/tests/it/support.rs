//! Running the `weft` binary as a bounded child process, and temp workflow files.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tests::MockApi;

/// No child process may outlive this; on timeout it is killed and the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// `workflows-examples/<name>` in the workspace.
pub fn example(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../workflows-examples")
        .join(name);
    assert!(path.is_file(), "no example {}", path.display());
    path
}

/// Every example workflow, sorted by name.
pub fn all_examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows-examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// A temp directory holding files written by a test; removed on drop.
pub struct TempFiles {
    dir: tempfile::TempDir,
}

impl TempFiles {
    pub fn new() -> TempFiles {
        TempFiles {
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `name` (relative) with `text` and returns its absolute path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a temp file");
        path
    }
}

/// Writes one workflow to a fresh temp dir; keep the `TempFiles` alive while it is used.
pub fn workflow_file(yaml: &str) -> (TempFiles, PathBuf) {
    let files = TempFiles::new();
    let path = files.write("workflow.yaml", yaml);
    (files, path)
}

/// A `weft` invocation being built.
pub struct Weft {
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    cwd: Option<PathBuf>,
}

/// Starts building `weft ARGS…`.
pub fn weft<I, S>(args: I) -> Weft
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    Weft {
        args: args.into_iter().map(Into::into).collect(),
        envs: Vec::new(),
        cwd: None,
    }
}

/// `weft run FILE --env API_URL=<mock>`.
pub fn run(file: &Path, mock: &MockApi) -> Weft {
    weft([OsString::from("run"), file.as_os_str().to_owned()]).env_var("API_URL", &mock.base_url())
}

impl Weft {
    pub fn arg(mut self, arg: impl Into<OsString>) -> Weft {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Weft
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// `--env NAME=VALUE`: a variable templates see as `env.NAME`.
    pub fn env_var(self, name: &str, value: &str) -> Weft {
        self.arg("--env").arg(format!("{name}={value}"))
    }

    /// `--input JSON`: the trigger body.
    pub fn input(self, body: &Value) -> Weft {
        self.arg("--input").arg(body.to_string())
    }

    /// Sets a variable in the child's process environment.
    pub fn process_env(mut self, name: &str, value: &str) -> Weft {
        self.envs.push((name.into(), value.into()));
        self
    }

    /// Runs the child in `dir` (so that file names in messages are short).
    pub fn current_dir(mut self, dir: &Path) -> Weft {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    /// Runs the child to completion, killing it after [`TIMEOUT`].
    pub async fn output(self) -> Outcome {
        let command = format!(
            "weft {}",
            self.args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_weft"));
        cmd.args(&self.args)
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Outbound calls: the mock the test points `API_URL` at, and only it.
        cmd.env_remove("WEFT_OUTBOUND_ALLOW");
        let api_url = self
            .envs
            .iter()
            .find(|(k, _)| k == "API_URL")
            .map(|(_, v)| v.to_string_lossy().into_owned())
            .or_else(|| {
                self.args.iter().find_map(|a| {
                    let a = a.to_string_lossy();
                    a.strip_prefix("API_URL=").map(str::to_string)
                })
            });
        if let Some(url) = api_url {
            cmd.env("WEFT_OUTBOUND_ALLOW", host_port(&url));
        }
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{command}`: {e}"));
        // On timeout the future, and with it the child, is dropped: kill_on_drop kills it.
        let out = match tokio::time::timeout(TIMEOUT, child.wait_with_output()).await {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => panic!("`{command}` could not be awaited: {e}"),
            Err(_) => panic!("`{command}` did not finish within {TIMEOUT:?} and was killed"),
        };
        Outcome {
            command,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// What a finished `weft` child did.
pub struct Outcome {
    pub command: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Asserts exit code 0.
    #[track_caller]
    pub fn success(&self) -> &Outcome {
        self.exit_code(0)
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn exit_code(&self, expected: i32) -> &Outcome {
        assert_eq!(
            self.code,
            Some(expected),
            "unexpected exit code, expected {expected}\n{self}"
        );
        self
    }

    /// Stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{self}"))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ {}", self.command)?;
        writeln!(f, "exit code: {:?}", self.code)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout.trim_end())?;
        write!(f, "--- stderr ---\n{}", self.stderr.trim_end())
    }
}

/// `host:port` of an `http://host:port/…` URL: the outbound allow entry for a mock.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}
