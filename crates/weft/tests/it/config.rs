//! The server settings as the binary reads them: file < `WEFT_*` < flags, seen through where
//! `weft migrate` puts the SQLite database, and a bad value in each layer ending the command
//! with status 2 and the setting's name (no server is started, nothing listens).

use crate::support::{TempFiles, weft};

/// `weft migrate` in `files`' dir with `args`, the environment's `WEFT_DATA_DIR` and
/// `WEFT_CONFIG` given or removed explicitly.
fn migrate(files: &TempFiles, args: &[&str], env: &[(&str, &str)]) -> crate::support::Weft {
    let mut cmd = weft(["migrate"])
        .args(args)
        .current_dir(files.dir())
        .process_env("WEFT_DATA_DIR", "")
        .process_env("WEFT_CONFIG", "")
        .process_env("WEFT_DATABASE_URL", "");
    for (k, v) in env {
        cmd = cmd.process_env(k, v);
    }
    cmd
}

#[tokio::test]
async fn the_environment_overrides_the_file_and_a_flag_the_environment() {
    let files = TempFiles::new();
    files.write("weft.yaml", "data_dir: from-file\n");
    let db = |dir: &str| files.dir().join(dir).join("weft.db");

    migrate(&files, &["--config", "weft.yaml"], &[])
        .output()
        .await
        .success();
    assert!(db("from-file").is_file());

    migrate(
        &files,
        &[],
        &[("WEFT_CONFIG", "weft.yaml"), ("WEFT_DATA_DIR", "from-env")],
    )
    .output()
    .await
    .success();
    assert!(db("from-env").is_file());

    let out = migrate(
        &files,
        &["--config", "weft.yaml", "--data-dir", "from-flag"],
        &[("WEFT_DATA_DIR", "from-env-2")],
    )
    .output()
    .await;
    out.success();
    assert!(db("from-flag").is_file(), "{out}");
    assert!(!files.dir().join("from-env-2").exists(), "{out}");
}

#[tokio::test]
async fn a_bad_setting_is_named_where_it_was_given() {
    let files = TempFiles::new();
    files.write("weft.yaml", "sync_wait: soon\n");
    files.write("typo.yaml", "bodylimit: 1MiB\n");
    // (arguments, environment, the start of stderr)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            &["--config", "weft.yaml"],
            &[],
            "error: weft.yaml: sync_wait: `soon` is not a duration",
        ),
        (
            &["--config", "typo.yaml"],
            &[],
            "error: the config file typo.yaml: unknown setting `bodylimit`",
        ),
        (
            &[],
            &[("WEFT_BODY_LIMIT", "12 parsecs")],
            "error: WEFT_BODY_LIMIT: `12 parsecs` is not a size (e.g. 10MiB, 512KiB, 1000)",
        ),
        (
            &["--bind", "localhost"],
            &[],
            "error: --bind: `localhost` is not of the form IP:PORT",
        ),
        (
            &["--config", "missing.yaml"],
            &[],
            "error: cannot read the config file missing.yaml: ",
        ),
    ];
    for (args, env, want) in cases {
        let out = migrate(&files, args, env).output().await;
        out.exit_code(2);
        assert!(out.stderr.starts_with(want), "want {want:?}\n{out}");
    }
    // Nothing was created: the settings are checked before anything starts.
    assert!(!files.dir().join("weft-data").exists());
}

#[tokio::test]
async fn serve_lists_the_same_flags() {
    let out = weft(["serve", "--help"]).output().await;
    out.success();
    for flag in [
        "--bind <BIND>",
        "--data-dir <DATA_DIR>",
        "--database-url <DATABASE_URL>",
        "--config <CONFIG>",
        "--outbound-allow <LIST>",
        "[default: 127.0.0.1:8080; env WEFT_BIND]",
        "[env WEFT_CONFIG]",
    ] {
        assert!(out.stdout.contains(flag), "{flag}\n{out}");
    }
}
