//! The keys credentials are sealed with: AES-256-GCM, a random 96-bit nonce per value, the
//! credential id and the field name bound as associated data (a value copied to another
//! credential or field does not open).
//!
//! A sealed value is text: `v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`. The key id
//! (16 hex digits of SHA-256 over the key) says which key of the keyring opens it, so that a
//! rotation can re-seal values one by one while the server runs, and a wrong key is named
//! as such instead of yielding garbage.
//!
//! Where the keys come from ([`KeySource`]):
//! - `WEFT_SECRET_KEY`: one key, or several separated by commas (the first seals, all open);
//!   each 32 bytes as base64 (standard or URL-safe) or 64 hex digits;
//! - else the key file `secret.key` in the data directory, one key per line (the first
//!   seals), created with mode 0600 on first start. `weft credentials rotate-key` adds a new
//!   first line; a running server reads the file again when it meets a key id it does not
//!   know, or before sealing when the file changed.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// The name of the key file in the data directory.
pub const KEY_FILE: &str = "secret.key";
const PREFIX: &str = "v1";

/// One key: its id and its cipher. `Debug` shows only the id.
#[derive(Clone)]
pub struct SecretKey {
    id: String,
    bytes: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.id)
    }
}

impl SecretKey {
    /// A new random key.
    pub fn generate() -> Result<SecretKey, String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a key: {e}"))?;
        Ok(SecretKey::from_bytes(bytes))
    }

    fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        let digest = Sha256::digest([b"weft key id:".as_slice(), &bytes].concat());
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        SecretKey { id, bytes }
    }

    /// Parses base64 (standard or URL-safe, padded or not) or 64 hex digits of 32 bytes.
    /// The message never repeats the text.
    pub fn parse(text: &str) -> Result<SecretKey, String> {
        let t = text.trim();
        let decoded = if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .ok()
        } else {
            STANDARD
                .decode(t)
                .ok()
                .or_else(|| URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')).ok())
        };
        match decoded.map(<[u8; 32]>::try_from) {
            Some(Ok(bytes)) => Ok(SecretKey::from_bytes(bytes)),
            _ => Err(
                "a secret key is 32 bytes written as base64 or as 64 hex digits \
                 (make one with `weft credentials generate-key`)"
                    .to_string(),
            ),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key as the key file and `WEFT_SECRET_KEY` hold it (base64url).
    pub fn to_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&Key::<Aes256Gcm>::from(self.bytes))
    }
}

/// Where the keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `WEFT_SECRET_KEY`.
    Env,
    /// A key file.
    File(PathBuf),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Env => f.write_str("WEFT_SECRET_KEY"),
            KeySource::File(p) => write!(f, "the key file {}", p.display()),
        }
    }
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("it was sealed with key {0}, which {1} does not hold")]
    UnknownKey(String, String),
    #[error("it does not open under key {0}: the key or the stored value was changed")]
    Mismatch(String),
    #[error("it is not a sealed value")]
    Malformed,
}

/// The keys: the first seals, every one opens. Shared by the vault; reloads from its file.
#[derive(Debug)]
pub struct Keyring {
    source: KeySource,
    state: RwLock<State>,
}

#[derive(Debug, Clone)]
struct State {
    keys: Vec<SecretKey>,
    /// The key file's modification time when it was read.
    modified: Option<SystemTime>,
}

impl Keyring {
    /// A keyring of these keys (tests, `WEFT_SECRET_KEY`); the first seals.
    pub fn from_keys(keys: Vec<SecretKey>) -> Result<Keyring, String> {
        if keys.is_empty() {
            return Err("no secret key given".into());
        }
        Ok(Keyring {
            source: KeySource::Env,
            state: RwLock::new(State {
                keys,
                modified: None,
            }),
        })
    }

    /// The keys from `env` (the value of `WEFT_SECRET_KEY`) if set, else from the key file in
    /// `data_dir`, created (mode 0600) with a new key when missing and `create` is set.
    pub fn load(env: Option<&str>, data_dir: &Path, create: bool) -> Result<Keyring, String> {
        if let Some(text) = env.filter(|t| !t.trim().is_empty()) {
            let keys = text
                .split(',')
                .enumerate()
                .map(|(i, k)| {
                    SecretKey::parse(k).map_err(|e| format!("WEFT_SECRET_KEY (key {}): {e}", i + 1))
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Keyring::from_keys(keys);
        }
        let path = data_dir.join(KEY_FILE);
        if !path.exists() {
            if !create {
                return Err(format!(
                    "no secret key: set WEFT_SECRET_KEY or create {} (`weft serve` does on first start)",
                    path.display()
                ));
            }
            write_key_file(&path, &[SecretKey::generate()?])?;
        }
        let state = read_key_file(&path)?;
        Ok(Keyring {
            source: KeySource::File(path),
            state: RwLock::new(state),
        })
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> String {
        self.state().keys[0].id.clone()
    }

    /// The ids of every key, the sealing one first.
    pub fn ids(&self) -> Vec<String> {
        self.state().keys.iter().map(|k| k.id.clone()).collect()
    }

    fn state(&self) -> State {
        self.state.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads the key file again if it changed since (no-op for `WEFT_SECRET_KEY`).
    fn refresh(&self, force: bool) -> Result<(), String> {
        let KeySource::File(path) = &self.source else {
            return Ok(());
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if !force && modified == self.state().modified {
            return Ok(());
        }
        let state = read_key_file(path)?;
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = state;
        Ok(())
    }

    /// Seals `plain` for field `aad` (`<credential id>/<field>`) under the current key.
    pub fn seal(&self, aad: &str, plain: &[u8]) -> Result<String, String> {
        self.refresh(false)?;
        let key = self.state().keys[0].clone();
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| format!("no randomness for a nonce: {e}"))?;
        let sealed = key
            .cipher()
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| "the value could not be sealed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{PREFIX}.{}.{}",
            key.id,
            URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// Opens a value [`Keyring::seal`] made for the same `aad`.
    pub fn open(&self, aad: &str, sealed: &str) -> Result<Vec<u8>, OpenError> {
        let (id, data) = parse_sealed(sealed)?;
        let key = match self.key(id) {
            Some(k) => k,
            None => {
                let _ = self.refresh(true);
                self.key(id)
                    .ok_or_else(|| OpenError::UnknownKey(id.to_string(), self.source.to_string()))?
            }
        };
        if data.len() < 12 + 16 {
            return Err(OpenError::Malformed);
        }
        let (nonce, body) = data.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| OpenError::Malformed)?;
        key.cipher()
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Mismatch(id.to_string()))
    }

    fn key(&self, id: &str) -> Option<SecretKey> {
        self.state().keys.into_iter().find(|k| k.id == id)
    }

    /// Makes `key` the sealing key, keeping the others for opening (written to the key file
    /// when the keys come from one).
    pub fn promote(&self, key: SecretKey) -> Result<(), String> {
        self.refresh(false)?;
        let mut keys = self.state().keys;
        keys.retain(|k| k.id != key.id);
        keys.insert(0, key);
        self.replace(keys)
    }

    /// Keeps only the keys with these ids (the sealing key always stays).
    pub fn retain(&self, ids: &[String]) -> Result<(), String> {
        self.refresh(false)?;
        let keys: Vec<SecretKey> = self
            .state()
            .keys
            .into_iter()
            .enumerate()
            .filter(|(i, k)| *i == 0 || ids.contains(&k.id))
            .map(|(_, k)| k)
            .collect();
        self.replace(keys)
    }

    fn replace(&self, keys: Vec<SecretKey>) -> Result<(), String> {
        if let KeySource::File(path) = &self.source {
            write_key_file(path, &keys)?;
            let state = read_key_file(path)?;
            *self.state.write().unwrap_or_else(|e| e.into_inner()) = state;
        } else {
            self.state.write().unwrap_or_else(|e| e.into_inner()).keys = keys;
        }
        Ok(())
    }
}

/// The key id of a sealed value, without opening it.
pub fn key_id(sealed: &str) -> Option<&str> {
    parse_sealed(sealed).ok().map(|(id, _)| id)
}

fn parse_sealed(sealed: &str) -> Result<(&str, Vec<u8>), OpenError> {
    let mut parts = sealed.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(PREFIX), Some(id), Some(data)) => Ok((
            id,
            URL_SAFE_NO_PAD
                .decode(data)
                .map_err(|_| OpenError::Malformed)?,
        )),
        _ => Err(OpenError::Malformed),
    }
}

fn read_key_file(path: &Path) -> Result<State, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the key file {}: {e}", path.display()))?;
    let keys = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
        .map(|(i, l)| {
            SecretKey::parse(l)
                .map_err(|e| format!("the key file {} (key {}): {e}", path.display(), i + 1))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(format!("the key file {} holds no key", path.display()));
    }
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    Ok(State { keys, modified })
}

/// Writes the key file (mode 0600) through a temporary file and a rename, so that a reader
/// never sees half of it.
fn write_key_file(path: &Path, keys: &[SecretKey]) -> Result<(), String> {
    let err = |e: std::io::Error| format!("cannot write the key file {}: {e}", path.display());
    let mut text = String::from(
        "# Weft's credential keys: the first seals, all open. Keep this file secret and backed up:\n\
         # without it the stored credentials cannot be read.\n",
    );
    for k in keys {
        text.push_str(&k.to_text());
        text.push('\n');
    }
    // On PostgreSQL nothing else makes the data directory: the first key file does (0700).
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir).map_err(err)?;
    }
    let tmp = path.with_extension("key.tmp");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp).map_err(err)?;
        f.write_all(text.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_its_field() {
        let ring = Keyring::from_keys(vec![SecretKey::generate().unwrap()]).unwrap();
        let a = ring.seal("id1/token", b"s3cret-value").unwrap();
        let b = ring.seal("id1/token", b"s3cret-value").unwrap();
        assert_ne!(a, b, "a random nonce per value");
        assert!(!a.contains("s3cret"));
        assert_eq!(ring.open("id1/token", &a).unwrap(), b"s3cret-value");
        assert!(matches!(
            ring.open("id2/token", &a),
            Err(OpenError::Mismatch(_))
        ));
        let other = Keyring::from_keys(vec![SecretKey::generate().unwrap()]).unwrap();
        assert!(matches!(
            other.open("id1/token", &a),
            Err(OpenError::UnknownKey(..))
        ));
        assert_eq!(ring.open("id1/token", "garbage"), Err(OpenError::Malformed));
        let mut tampered = a.clone();
        tampered.pop();
        tampered.push(if a.ends_with('A') { 'B' } else { 'A' });
        assert!(ring.open("id1/token", &tampered).is_err());
    }

    #[test]
    fn the_key_file_is_created_private_and_rotation_keeps_old_keys_for_opening() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Keyring::load(None, dir.path(), true).unwrap();
        let path = dir.path().join(KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let old = ring.seal("x/v", b"one").unwrap();
        // A second process (the rotate command) rotates the file; this one follows.
        let other = Keyring::load(None, dir.path(), false).unwrap();
        let new = SecretKey::generate().unwrap();
        other.promote(new.clone()).unwrap();
        let sealed = other.seal("x/v", b"two").unwrap();
        assert_eq!(key_id(&sealed), Some(new.id()));
        assert_eq!(ring.open("x/v", &sealed).unwrap(), b"two");
        assert_eq!(ring.open("x/v", &old).unwrap(), b"one");
        assert_eq!(key_id(&ring.seal("x/v", b"3").unwrap()), Some(new.id()));
        other.retain(&[]).unwrap();
        assert_eq!(other.ids(), vec![new.id().to_string()]);
        assert!(Keyring::load(None, &dir.path().join("none"), false).is_err());
    }

    #[test]
    fn a_missing_data_dir_is_made_private_for_the_first_key_file() {
        // With PostgreSQL nothing else creates the data directory.
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("not-yet").join("data");
        Keyring::load(None, &data, true).unwrap();
        assert!(data.join(KEY_FILE).is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&data).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }

    #[test]
    fn keys_parse_from_base64_or_hex_and_errors_do_not_echo_them() {
        let k = SecretKey::generate().unwrap();
        assert_eq!(SecretKey::parse(&k.to_text()).unwrap().id(), k.id());
        let hex: String = k.bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(SecretKey::parse(&hex).unwrap().id(), k.id());
        assert_eq!(
            SecretKey::parse(&STANDARD.encode(k.bytes)).unwrap().id(),
            k.id()
        );
        let e = SecretKey::parse("not-a-key-at-all-hunter2").unwrap_err();
        assert!(!e.contains("hunter2"));
        let two = format!(
            "{},{}",
            SecretKey::generate().unwrap().to_text(),
            k.to_text()
        );
        let ring = Keyring::load(Some(&two), Path::new("/nonexistent"), false).unwrap();
        assert_eq!(ring.ids().len(), 2);
        assert_eq!(format!("{k:?}"), format!("SecretKey({})", k.id()));
    }
}
