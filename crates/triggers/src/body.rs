//! A webhook request body → the JSON value templates read as `trigger.body`, chosen by the
//! request's `Content-Type`.
//!
//! | Content-Type | `trigger.body` |
//! |---|---|
//! | (empty body, any type) | `null` |
//! | `application/json`, `*/*+json` | the parsed JSON; malformed → [`BodyError::MalformedJson`] |
//! | `application/x-www-form-urlencoded` | an object of strings; a repeated key → an array of its values in order |
//! | `text/*`, `application/xml`, `*/*+xml` | a string (UTF-8, US-ASCII or ISO-8859-1) |
//! | `application/octet-stream`, `image/*`, `audio/*`, `video/*`, `font/*`, `application/pdf`, archives, … ([`is_binary`]), or no `Content-Type` at all | `{"base64", "content_type", "size"}` |
//! | anything else, `multipart/*` included | [`BodyError::UnsupportedContentType`] (415) |
//!
//! Parsing never changes the bytes: signature checks use the raw body the server keeps.

use std::borrow::Cow;

use base64::Engine as _;
use http::StatusCode;
use serde_json::{Map, Value};

/// Why a request body cannot become a trigger event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The body claims to be JSON but is not. `line` and `column` are 1-based.
    #[error("the body is not valid JSON: {message} at line {line}, column {column}")]
    MalformedJson {
        line: usize,
        column: usize,
        message: String,
    },
    /// A text or form body whose bytes are not valid UTF-8 (`offset`: of the first bad byte, in
    /// the body for text, in the percent-decoded field for a form).
    #[error("the {content_type} body is not valid UTF-8 (byte {offset})")]
    NotUtf8 { content_type: String, offset: usize },
    /// A content type Weft does not turn into a trigger body (named as the request sent it).
    #[error(
        "content type `{0}` is not supported; send JSON, a URL-encoded form, text or binary data"
    )]
    UnsupportedContentType(String),
}

impl BodyError {
    /// 415 for an unsupported content type, 400 for a body that does not match its type.
    pub fn status(&self) -> StatusCode {
        match self {
            BodyError::UnsupportedContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            BodyError::MalformedJson { .. } | BodyError::NotUtf8 { .. } => StatusCode::BAD_REQUEST,
        }
    }
}

/// Parses a request body by its `Content-Type` header value (`None`: no header). See the module
/// documentation for the rules.
pub fn parse_body(content_type: Option<&str>, body: &[u8]) -> Result<Value, BodyError> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    let Some(content_type) = content_type.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(binary("application/octet-stream", body));
    };
    let media = MediaType::parse(content_type);
    let essence = media.essence.as_str();
    if essence == "application/json" || essence.ends_with("+json") {
        json(body)
    } else if essence == "application/x-www-form-urlencoded" {
        form(body)
    } else if essence.starts_with("text/")
        || essence == "application/xml"
        || essence.ends_with("+xml")
    {
        text(content_type, media.charset.as_deref(), body)
    } else if is_binary(essence) {
        Ok(binary(content_type, body))
    } else {
        Err(BodyError::UnsupportedContentType(content_type.to_string()))
    }
}

/// The essence of a `Content-Type` value (`type/subtype`, lower-case, without parameters),
/// as [`parse_body`] reads it.
pub fn essence(content_type: &str) -> String {
    MediaType::parse(content_type.trim()).essence
}

/// Whether a media type (lower-case, without parameters) is one Weft keeps as base64 bytes.
pub fn is_binary(essence: &str) -> bool {
    const TYPES: &[&str] = &[
        "application/octet-stream",
        "application/pdf",
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/x-tar",
        "application/x-bzip2",
        "application/x-7z-compressed",
        "application/zstd",
        "application/wasm",
        "application/cbor",
        "application/msgpack",
        "application/x-msgpack",
        "application/vnd.msgpack",
        "application/protobuf",
        "application/x-protobuf",
        "application/vnd.google.protobuf",
    ];
    const FAMILIES: &[&str] = &["image/", "audio/", "video/", "font/"];
    TYPES.contains(&essence) || FAMILIES.iter().any(|f| essence.starts_with(f))
}

/// A `Content-Type` value split into its lower-case essence (`type/subtype`) and charset.
struct MediaType {
    essence: String,
    charset: Option<String>,
}

impl MediaType {
    fn parse(value: &str) -> MediaType {
        let mut parts = value.split(';');
        let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let charset = parts.find_map(|p| {
            let (name, value) = p.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
        });
        MediaType { essence, charset }
    }
}

fn json(body: &[u8]) -> Result<Value, BodyError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice(body).map_err(|e| {
        let full = e.to_string();
        // serde_json appends " at line L column C" itself; keep the short message.
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_string(),
            None => full,
        };
        BodyError::MalformedJson {
            line: e.line(),
            column: e.column(),
            message,
        }
    })
}

fn text(content_type: &str, charset: Option<&str>, body: &[u8]) -> Result<Value, BodyError> {
    match charset {
        None | Some("utf-8" | "utf8" | "us-ascii" | "ascii") => {
            let s = std::str::from_utf8(body).map_err(|e| BodyError::NotUtf8 {
                content_type: content_type.to_string(),
                offset: e.valid_up_to(),
            })?;
            Ok(Value::String(s.to_string()))
        }
        Some("iso-8859-1" | "latin1" | "latin-1" | "l1") => {
            Ok(Value::String(body.iter().map(|&b| char::from(b)).collect()))
        }
        Some(_) => Err(BodyError::UnsupportedContentType(content_type.to_string())),
    }
}

fn binary(content_type: &str, body: &[u8]) -> Value {
    serde_json::json!({
        "base64": base64::engine::general_purpose::STANDARD.encode(body),
        "content_type": content_type,
        "size": body.len(),
    })
}

fn form(body: &[u8]) -> Result<Value, BodyError> {
    let mut object = Map::new();
    for (key, value) in form_pairs(body) {
        let utf8 = |bytes: Cow<'_, [u8]>| {
            String::from_utf8(bytes.into_owned()).map_err(|e| BodyError::NotUtf8 {
                content_type: "application/x-www-form-urlencoded".into(),
                offset: e.utf8_error().valid_up_to(),
            })
        };
        let (key, value) = (utf8(key)?, Value::String(utf8(value)?));
        match object.get_mut(&key) {
            None => {
                object.insert(key, value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    Ok(Value::Object(object))
}

/// The decoded `name=value` pairs of `application/x-www-form-urlencoded` data (also the syntax
/// of a query string): `&`-separated, empty pairs skipped, `+` is a space, `%XX` a byte, a pair
/// without `=` has an empty value.
pub(crate) fn form_pairs(input: &[u8]) -> impl Iterator<Item = (Cow<'_, [u8]>, Cow<'_, [u8]>)> {
    input
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(i) => (decode(&pair[..i]), decode(&pair[i + 1..])),
            None => (decode(pair), Cow::Borrowed(&[][..])),
        })
}

fn decode(bytes: &[u8]) -> Cow<'_, [u8]> {
    let plus_free: Cow<'_, [u8]> = if bytes.contains(&b'+') {
        Cow::Owned(
            bytes
                .iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect(),
        )
    } else {
        Cow::Borrowed(bytes)
    };
    match Cow::<[u8]>::from(percent_encoding::percent_decode(&plus_free)) {
        Cow::Borrowed(_) => plus_free,
        Cow::Owned(decoded) => Cow::Owned(decoded),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_empty_body_is_null_whatever_its_content_type() {
        assert_eq!(parse_body(None, b""), Ok(Value::Null));
        assert_eq!(parse_body(Some("application/json"), b""), Ok(Value::Null));
        assert_eq!(
            parse_body(Some("multipart/form-data"), b""),
            Ok(Value::Null)
        );
    }

    #[test]
    fn json_bodies_parse_with_or_without_parameters_and_with_json_suffix_types() {
        let body = br#"{"email":"a@b.c","amount":1200,"tags":["x"]}"#;
        let expected = json!({"email": "a@b.c", "amount": 1200, "tags": ["x"]});
        assert_eq!(
            parse_body(Some("application/json"), body),
            Ok(expected.clone())
        );
        assert_eq!(
            parse_body(Some("Application/JSON; charset=UTF-8"), body),
            Ok(expected.clone())
        );
        assert_eq!(
            parse_body(Some("application/vnd.api+json"), body),
            Ok(expected.clone())
        );
        assert_eq!(
            parse_body(Some("application/cloudevents+json"), b"[1, 2]"),
            Ok(json!([1, 2]))
        );
        assert_eq!(
            parse_body(Some("application/json"), b"\xEF\xBB\xBF{\"a\":1}"),
            Ok(json!({"a": 1}))
        );
    }

    #[test]
    fn malformed_json_says_where_and_what() {
        let body = b"{\n  \"email\": \"a@b.c\",\n  \"amount\": 12x\n}";
        let err = parse_body(Some("application/json"), body).unwrap_err();
        let BodyError::MalformedJson {
            line,
            column,
            message,
        } = &err
        else {
            panic!("expected MalformedJson, got {err:?}");
        };
        assert_eq!((*line, *column), (3, 15));
        assert_eq!(message, "expected `,` or `}`");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            err.to_string(),
            "the body is not valid JSON: expected `,` or `}` at line 3, column 15"
        );
    }

    #[test]
    fn truncated_json_is_malformed_at_its_end() {
        let err = parse_body(Some("application/json"), b"{\"a\": [1, 2").unwrap_err();
        assert!(
            matches!(err, BodyError::MalformedJson { line: 1, column: 11, ref message } if message == "EOF while parsing a list"),
            "{err:?}"
        );
    }

    #[test]
    fn a_form_becomes_an_object_of_strings_and_repeated_keys_become_arrays() {
        let body = b"email=a%40b.c&name=Ada+Lovelace&tag=x&tag=y&tag=z&empty=&flag&&plus=%2B";
        assert_eq!(
            parse_body(Some("application/x-www-form-urlencoded"), body),
            Ok(json!({
                "email": "a@b.c",
                "name": "Ada Lovelace",
                "tag": ["x", "y", "z"],
                "empty": "",
                "flag": "",
                "plus": "+",
            }))
        );
    }

    #[test]
    fn a_form_with_invalid_utf8_after_decoding_is_rejected() {
        let err = parse_body(Some("application/x-www-form-urlencoded"), b"a=ok&b=%FF").unwrap_err();
        assert!(
            matches!(err, BodyError::NotUtf8 { offset: 0, .. }),
            "{err:?}"
        );
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn text_and_xml_bodies_become_strings() {
        assert_eq!(
            parse_body(Some("text/plain"), "héllo".as_bytes()),
            Ok(json!("héllo"))
        );
        assert_eq!(
            parse_body(Some("text/csv; charset=utf-8"), b"a,b\n1,2\n"),
            Ok(json!("a,b\n1,2\n"))
        );
        assert_eq!(
            parse_body(Some("application/xml"), b"<a>1</a>"),
            Ok(json!("<a>1</a>"))
        );
        assert_eq!(
            parse_body(Some("text/xml"), b"<a>1</a>"),
            Ok(json!("<a>1</a>"))
        );
        assert_eq!(
            parse_body(Some("application/atom+xml"), b"<feed/>"),
            Ok(json!("<feed/>"))
        );
        assert_eq!(
            parse_body(Some("text/plain; charset=ISO-8859-1"), b"caf\xE9"),
            Ok(json!("café"))
        );
    }

    #[test]
    fn text_that_is_not_utf8_is_rejected_with_the_offset_of_the_bad_byte() {
        let err = parse_body(Some("text/plain"), b"abc\xFFdef").unwrap_err();
        assert_eq!(
            err,
            BodyError::NotUtf8 {
                content_type: "text/plain".into(),
                offset: 3
            }
        );
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn text_in_an_unknown_charset_is_unsupported() {
        let err = parse_body(Some("text/plain; charset=shift_jis"), b"abc").unwrap_err();
        assert_eq!(
            err,
            BodyError::UnsupportedContentType("text/plain; charset=shift_jis".into())
        );
    }

    #[test]
    fn binary_bodies_become_base64_with_their_type_and_size() {
        let bytes = [0u8, 159, 146, 150, 255];
        assert_eq!(
            parse_body(Some("application/octet-stream"), &bytes),
            Ok(
                json!({"base64": "AJ+Slv8=", "content_type": "application/octet-stream", "size": 5})
            )
        );
        assert_eq!(
            parse_body(Some("image/png"), &bytes),
            Ok(json!({"base64": "AJ+Slv8=", "content_type": "image/png", "size": 5}))
        );
        assert_eq!(
            parse_body(Some("application/pdf"), b"%PDF"),
            Ok(json!({"base64": "JVBERg==", "content_type": "application/pdf", "size": 4}))
        );
    }

    #[test]
    fn a_body_without_content_type_is_kept_as_binary() {
        assert_eq!(
            parse_body(None, b"hi"),
            Ok(json!({"base64": "aGk=", "content_type": "application/octet-stream", "size": 2}))
        );
    }

    #[test]
    fn multipart_and_unknown_types_are_unsupported_and_named() {
        let err = parse_body(Some("multipart/form-data; boundary=x"), b"--x--").unwrap_err();
        assert_eq!(
            err,
            BodyError::UnsupportedContentType("multipart/form-data; boundary=x".into())
        );
        assert_eq!(err.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(
            err.to_string()
                .contains("`multipart/form-data; boundary=x`")
        );
        let err = parse_body(Some("application/x-custom"), b"x").unwrap_err();
        assert_eq!(err.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}
