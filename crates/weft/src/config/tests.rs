//! The layers (defaults < file < environment < flags), located errors, and the defaults table
//! against the docs. The environment is handed in, never the process's.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// Loads with `env` as the whole environment.
fn load(flags: &Flags, env: &[(&str, &str)]) -> Result<Settings, String> {
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::load(flags, &|name| env.get(name).cloned())
}

/// A config file in a temp dir (kept alive by the returned guard) and the flags naming it.
fn file(yaml: &str) -> (tempfile::TempDir, String, Flags) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.yaml");
    std::fs::write(&path, yaml).unwrap();
    let flags = Flags {
        config: Some(path.clone()),
        ..Flags::default()
    };
    (dir, path.display().to_string(), flags)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn nothing_given_is_the_defaults() {
    let settings = load(&Flags::default(), &[]).unwrap();
    assert_eq!(settings, Settings::default());
    println!("{settings:#?}");
    let config = settings.resolve();
    assert_eq!(config.bind, addr("127.0.0.1:8080"));
    assert_eq!(config.body_limit, 10 * 1024 * 1024);
    assert_eq!(config.intake_budget, 16 * 1024 * 1024);
    assert_eq!(config.max_claims, 5);
    let db = std::path::absolute("weft-data/weft.db").unwrap();
    assert_eq!(
        config.database_url,
        format!("sqlite://{}?mode=rwc", db.display())
    );
}

#[test]
fn each_layer_overrides_the_one_before() {
    let (_dir, _, file_flags) = file(
        "bind: 127.0.0.1:1001\nbody_limit: 1MiB\nconcurrency: 2\ndata_dir: from-file\nlease: 5s\n",
    );
    // The file over the defaults.
    let s = load(&file_flags, &[]).unwrap();
    assert_eq!(s.bind, addr("127.0.0.1:1001"));
    assert_eq!(s.body_limit, 1 << 20);
    assert_eq!(s.concurrency, 2);
    assert_eq!(s.data_dir, PathBuf::from("from-file"));
    assert_eq!(s.sync_wait, Duration::from_secs(30));

    // The environment over the file.
    let env = [
        ("WEFT_BIND", "127.0.0.1:1002"),
        ("WEFT_BODY_LIMIT", "2MiB"),
        ("WEFT_DATA_DIR", "from-env"),
        ("WEFT_LEASE", "1m"),
    ];
    let s = load(&file_flags, &env).unwrap();
    assert_eq!(s.bind, addr("127.0.0.1:1002"));
    assert_eq!(s.body_limit, 2 << 20);
    assert_eq!(s.concurrency, 2, "from the file");
    assert_eq!(s.data_dir, PathBuf::from("from-env"));
    assert_eq!(s.lease, Duration::from_secs(60));

    // Flags over the environment.
    let flags = Flags {
        bind: Some("127.0.0.1:1003".into()),
        data_dir: Some("from-flag".into()),
        database_url: Some("postgres://weft@db/weft".into()),
        ..file_flags.clone()
    };
    let env = [("WEFT_DATABASE_URL", "sqlite://other.db"), env[0], env[2]];
    let s = load(&flags, &env).unwrap();
    assert_eq!(s.bind, addr("127.0.0.1:1003"));
    assert_eq!(s.data_dir, PathBuf::from("from-flag"));
    assert_eq!(s.database_url.as_deref(), Some("postgres://weft@db/weft"));
    assert_eq!(s.body_limit, 1 << 20, "from the file");
}

#[test]
fn lists_from_the_environment_extend_the_file_but_outbound_allow_is_replaced() {
    let (_dir, _, flags) =
        file("allow_env: [A]\nredact_headers: [X-One]\noutbound_allow: [10.0.0.0/8]\n");
    let s = load(&flags, &[]).unwrap();
    assert_eq!(s.allow_env, ["A"]);
    assert_eq!(s.outbound_allow, Policy::parse("10.0.0.0/8").unwrap());

    let env = [
        ("WEFT_ALLOW_ENV", "B, C,"),
        ("WEFT_REDACT_HEADERS", "X-Two"),
        ("WEFT_OUTBOUND_ALLOW", "127.0.0.1:4010"),
    ];
    let s = load(&flags, &env).unwrap();
    assert_eq!(s.allow_env, ["A", "B", "C"]);
    assert_eq!(s.redact_headers, ["X-One", "X-Two"]);
    assert_eq!(s.outbound_allow, Policy::parse("127.0.0.1:4010").unwrap());

    let flags = Flags {
        outbound_allow: Some("192.168.0.0/16,example.test:8443".into()),
        ..flags
    };
    let s = load(&flags, &env).unwrap();
    assert_eq!(
        s.outbound_allow,
        Policy::parse("192.168.0.0/16,example.test:8443").unwrap()
    );
}

#[test]
fn empty_variables_are_unset() {
    let s = load(
        &Flags::default(),
        &[
            ("WEFT_BIND", ""),
            ("WEFT_ALLOW_ENV", ""),
            ("WEFT_CONFIG", ""),
        ],
    )
    .unwrap();
    assert_eq!(s, Settings::default());
}

#[test]
fn a_bad_value_is_named_where_it_was_given() {
    let not_a_size = "`12 parsecs` is not a size (e.g. 10MiB, 512KiB, 1000)";
    let (_dir, path, flags) = file("body_limit: 12 parsecs\n");
    assert_eq!(
        load(&flags, &[]).unwrap_err(),
        format!("{path}: body_limit: {not_a_size}")
    );
    // A bad value in the file is an error even where the environment overrides it.
    assert_eq!(
        load(&flags, &[("WEFT_BODY_LIMIT", "1MiB")]).unwrap_err(),
        format!("{path}: body_limit: {not_a_size}")
    );
    assert_eq!(
        load(&Flags::default(), &[("WEFT_BODY_LIMIT", "12 parsecs")]).unwrap_err(),
        format!("WEFT_BODY_LIMIT: {not_a_size}")
    );
    let bind = Flags {
        bind: Some("localhost".into()),
        ..Flags::default()
    };
    assert_eq!(
        load(&bind, &[]).unwrap_err(),
        "--bind: `localhost` is not of the form IP:PORT"
    );

    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("WEFT_CONCURRENCY", "many")],
            "WEFT_CONCURRENCY: `many` is not a whole number",
        ),
        (
            &[("WEFT_MAX_CLAIMS", "-")],
            "WEFT_MAX_CLAIMS: `-` is not a whole number",
        ),
        (
            &[("WEFT_SYNC_WAIT", "30")],
            "WEFT_SYNC_WAIT: `30` is not a duration: the number needs a unit (ms, s, m, h or d)",
        ),
        (
            &[("WEFT_INTAKE_BUDGET", "0")],
            "WEFT_INTAKE_BUDGET: `0`: a size must be more than 0",
        ),
        (
            &[("WEFT_DATABASE_URL", "mysql://root:hunter2@db/weft")],
            "WEFT_DATABASE_URL: the database URL must start with sqlite: or postgres://",
        ),
    ];
    for (env, want) in cases {
        assert_eq!(load(&Flags::default(), env).unwrap_err(), *want);
    }
    let err = load(&Flags::default(), &[("WEFT_OUTBOUND_ALLOW", "10.0.0.0/99")]).unwrap_err();
    assert!(err.starts_with("WEFT_OUTBOUND_ALLOW: "), "{err}");
    assert!(err.contains("10.0.0.0/99"), "{err}");
    let flag = Flags {
        outbound_allow: Some("10.0.0.0/99".into()),
        ..Flags::default()
    };
    let err = load(&flag, &[]).unwrap_err();
    assert!(err.starts_with("--outbound-allow: "), "{err}");

    let (_dir, path, flags) = file("concurrency: [1]\nlease: forever\n");
    let err = load(&flags, &[]).unwrap_err();
    assert!(err.starts_with(&format!("{path}: ")), "{err}");
}

#[test]
fn the_file_must_exist_parse_and_name_only_settings() {
    let (_dir, path, flags) = file("bind: 127.0.0.1:9000\nbody_limt: 1MiB\n");
    let err = load(&flags, &[]).unwrap_err();
    assert!(
        err.starts_with(&format!(
            "the config file {path}: unknown setting `body_limt`; the settings are bind, data_dir"
        )),
        "{err}"
    );

    let (_dir, path, flags) = file("bind: [\n");
    let err = load(&flags, &[]).unwrap_err();
    assert!(
        err.starts_with(&format!("the config file {path} is not valid: ")),
        "{err}"
    );

    let (dir, path, flags) = file("");
    assert_eq!(
        load(&flags, &[]).unwrap(),
        Settings::default(),
        "an empty file sets nothing"
    );
    std::fs::write(&path, "# nothing yet\n").unwrap();
    assert_eq!(load(&flags, &[]).unwrap(), Settings::default());
    drop(dir);
    let err = load(&flags, &[]).unwrap_err();
    assert!(
        err.starts_with(&format!("cannot read the config file {path}: ")),
        "{err}"
    );

    // WEFT_CONFIG names the file when --config does not.
    let (_dir, path, _) = file("concurrency: 3\n");
    let s = load(&Flags::default(), &[("WEFT_CONFIG", &path)]).unwrap();
    assert_eq!(s.concurrency, 3);
}

#[test]
fn resolving_applies_the_derived_defaults_and_the_lower_bounds() {
    let env = [
        ("WEFT_DATA_DIR", "/srv/weft"),
        ("WEFT_CONCURRENCY", "0"),
        ("WEFT_MAX_CONNECTIONS", "0"),
        ("WEFT_MAX_CLAIMS", "0"),
        ("WEFT_BODY_LIMIT", "4MiB"),
        ("WEFT_INTAKE_BUDGET", "1000"),
        ("WEFT_ADMIN_API_KEY", "wk_secret"),
    ];
    let c = load(&Flags::default(), &env).unwrap().resolve();
    assert_eq!(c.database_url, "sqlite:///srv/weft/weft.db?mode=rwc");
    assert_eq!((c.concurrency, c.max_connections, c.max_claims), (1, 1, 1));
    assert_eq!(c.intake_budget, 1 << 20, "at least body_limit, up to 1 MiB");
    assert_eq!(c.admin_api_key.as_deref(), Some("wk_secret"));
}

#[test]
fn sizes_follow_one_rule() {
    let cases: &[(&str, usize)] = &[
        ("1000", 1000),
        ("1000B", 1000),
        ("512KiB", 512 << 10),
        ("10MiB", 10 << 20),
        ("16MiB", 16 << 20),
        ("10 MiB", 10 << 20),
        ("16mib", 16 << 20),
        ("1GiB", 1 << 30),
        ("2KB", 2000),
        ("16MB", 16_000_000),
        ("1GB", 1_000_000_000),
    ];
    for (text, want) in cases {
        assert_eq!(parse_size(text), Ok(*want), "{text}");
    }
    for bad in ["ten", "", "MiB", "1.5MiB", "-1", "0", "0KiB", "10 parsecs"] {
        assert!(parse_size(bad).is_err(), "{bad}");
    }
    // From the file, a bare number is bytes.
    let (_dir, _, flags) = file("body_limit: 65536\nintake_budget: 64KiB\n");
    let s = load(&flags, &[]).unwrap();
    assert_eq!((s.body_limit, s.intake_budget), (65536, 65536));
}

/// The cells of the table rows starting with "| `" in `doc`'s section `heading`.
fn table(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("no section {heading}"));
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// `` `x` `` → `x`, when the whole cell is one code span.
fn code(cell: &str) -> Option<&str> {
    cell.strip_prefix('`')?
        .strip_suffix('`')
        .filter(|c| !c.contains('`'))
}

#[test]
fn docs_list_every_setting_with_its_default() {
    let doc = include_str!("../../../../docs/configuration.md");
    let rows = table(doc, "Settings");
    let keys: BTreeSet<&str> = rows.iter().map(|r| code(&r[0]).expect("`key`")).collect();
    let names: BTreeSet<&str> = Settings::names().iter().copied().collect();
    assert_eq!(
        keys, names,
        "docs/configuration.md lists every setting, once"
    );

    let command = <Flags as clap::Args>::augment_args(clap::Command::new("weft"));
    let mut flags: BTreeSet<String> = command
        .get_arguments()
        .filter_map(|a| a.get_long())
        .map(|l| format!("--{l}"))
        .collect();
    assert!(flags.remove("--config"));

    let mut documented = Vec::new();
    let mut documented_flags = BTreeSet::new();
    for row in &rows {
        let key = code(&row[0]).unwrap();
        assert_eq!(code(&row[1]), Some(env_name(key).as_str()), "{key}");
        if !row[2].is_empty() {
            let flag = code(&row[2]).expect("`--flag`");
            assert_eq!(flag, format!("--{}", key.replace('_', "-")), "{key}");
            documented_flags.insert(flag.to_string());
        }
        // A default written as a value, given explicitly, is the default.
        if let Some(value) = code(&row[3]) {
            documented.push((env_name(key), value.to_string()));
        }
    }
    assert_eq!(documented_flags, flags, "the flags of `weft serve`");
    assert!(documented.len() >= 11, "{documented:?}");
    let env: Vec<(&str, &str)> = documented
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(load(&Flags::default(), &env).unwrap(), Settings::default());
}

#[test]
fn security_md_states_the_defaults() {
    let doc = include_str!("../../../../docs/security.md");
    let rows = table(doc, "Settings that loosen a default");
    let mut env = Vec::new();
    for row in &rows {
        let Some(name) = code(&row[0]).filter(|n| n.starts_with("WEFT_")) else {
            continue;
        };
        let key = name.trim_start_matches("WEFT_").to_ascii_lowercase();
        assert!(Settings::names().contains(&key.as_str()), "{name}");
        if !(row[1].starts_with("none") || row[1].starts_with("unset")) {
            env.push((name.to_string(), row[1].clone()));
        }
    }
    assert!(env.len() >= 6, "{env:?}");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(load(&Flags::default(), &env).unwrap(), Settings::default());
}
