//! The credential types and their `data`: what each holds, which fields are secret, the
//! JSON Schema the editor draws its form from, and how a stored credential becomes the
//! [`engine::credentials::Credential`] an action applies.

use std::collections::BTreeMap;

use engine::credentials::Credential;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A credential type as `GET /credential-types` lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KindInfo {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// The JSON Schema of `data`.
    #[schema(value_type = Object)]
    pub schema: Value,
    /// The fields of `data` that are secret: write-only, never returned.
    pub secret_fields: Vec<&'static str>,
    /// Whether `allowed_hosts` is required (every type that is sent with requests).
    pub hosts_required: bool,
}

/// `bearer`: `Authorization: Bearer <token>`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BearerData {
    /// The token.
    pub token: String,
}

/// `basic`: `Authorization: Basic base64(username:password)`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BasicData {
    pub username: String,
    pub password: String,
}

/// `api_key`: a key in a header (default `x-api-key`) or a query parameter.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyData {
    /// The header that carries the key (default `x-api-key` when `query` is not set).
    #[serde(default)]
    pub header: Option<String>,
    /// The query parameter that carries the key instead.
    #[serde(default)]
    pub query: Option<String>,
    /// The key.
    pub value: String,
}

/// `header`: any custom header.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderData {
    /// The header's name, e.g. `X-Auth-Token`.
    pub name: String,
    pub value: String,
}

/// `secret`: a shared secret for webhook HMAC signatures (signing and checking).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretData {
    /// The secret (a `whsec_…` secret or any text of at least 16 characters).
    pub value: String,
}

/// How an OAuth2 credential gets its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// A person signs in at the provider ("Connect" in the editor); refresh tokens keep it.
    AuthorizationCode,
    /// The client's own id and secret, no person involved.
    ClientCredentials,
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body (the default).
    #[default]
    Body,
    /// HTTP Basic with `client_id:client_secret`.
    Basic,
}

/// `oauth2`: tokens from an OAuth2 provider, kept renewed; sent as `Authorization: Bearer`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuth2Data {
    pub grant: Grant,
    /// The provider's authorization page (`authorization_code` only).
    #[serde(default)]
    pub authorize_url: Option<String>,
    /// The provider's token endpoint.
    pub token_url: String,
    pub client_id: String,
    /// The client secret (optional for a public client with `authorization_code`: PKCE).
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub audience: Option<String>,
    /// More parameters for the authorization and token requests.
    #[serde(default)]
    pub extra_params: BTreeMap<String, String>,
    #[serde(default)]
    pub client_auth: ClientAuth,
}

/// A credential's `data`, parsed by its type.
#[derive(Debug)]
pub enum Data {
    Bearer(BearerData),
    Basic(BasicData),
    ApiKey(ApiKeyData),
    Header(HeaderData),
    Secret(SecretData),
    OAuth2(OAuth2Data),
}

struct Kind {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    secret_fields: &'static [&'static str],
    schema: fn() -> Value,
}

fn schema_of<T: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null)
}

const KINDS: &[Kind] = &[
    Kind {
        name: "bearer",
        title: "Bearer token",
        description: "Sent as `Authorization: Bearer <token>`.",
        secret_fields: &["token"],
        schema: schema_of::<BearerData>,
    },
    Kind {
        name: "basic",
        title: "Basic auth",
        description: "A user name and password, sent as `Authorization: Basic …`.",
        secret_fields: &["password"],
        schema: schema_of::<BasicData>,
    },
    Kind {
        name: "api_key",
        title: "API key",
        description: "A key in a header (default `x-api-key`) or a query parameter.",
        secret_fields: &["value"],
        schema: schema_of::<ApiKeyData>,
    },
    Kind {
        name: "header",
        title: "Custom header",
        description: "Any header, such as `X-Auth-Token: …`.",
        secret_fields: &["value"],
        schema: schema_of::<HeaderData>,
    },
    Kind {
        name: "secret",
        title: "Webhook secret",
        description: "A shared secret for HMAC signatures: checking incoming webhooks, and signing outgoing ones to the hosts in allowed_hosts (without hosts it only checks incoming ones).",
        secret_fields: &["value"],
        schema: schema_of::<SecretData>,
    },
    Kind {
        name: "oauth2",
        title: "OAuth2",
        description: "Tokens from an OAuth2 provider (authorization code with PKCE, or client credentials), renewed before they expire.",
        secret_fields: &["client_secret"],
        schema: schema_of::<OAuth2Data>,
    },
];

/// Every credential type.
pub fn infos() -> Vec<KindInfo> {
    KINDS
        .iter()
        .map(|k| KindInfo {
            kind: k.name,
            title: k.title,
            description: k.description,
            schema: (k.schema)(),
            secret_fields: k.secret_fields.to_vec(),
            hosts_required: k.name != "secret",
        })
        .collect()
}

/// The secret fields of a type (`None`: no such type).
pub fn secret_fields(kind: &str) -> Option<&'static [&'static str]> {
    KINDS
        .iter()
        .find(|k| k.name == kind)
        .map(|k| k.secret_fields)
}

/// Whether a type needs `allowed_hosts` when it is created through the API.
pub fn hosts_required(kind: &str) -> bool {
    kind != "secret"
}

/// The longest value a field may hold (a token, a key): 16 KiB.
pub const MAX_VALUE_BYTES: usize = 16 * 1024;

/// The shortest webhook secret (as the `webhook` step's signing rule).
pub const MIN_SIGNING_SECRET: usize = 16;

/// A problem with `data`: the field (`data.token`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataProblem {
    pub field: String,
    pub message: String,
}

impl DataProblem {
    fn new(field: impl Into<String>, message: impl Into<String>) -> DataProblem {
        DataProblem {
            field: field.into(),
            message: message.into(),
        }
    }
}

fn typed<T: DeserializeOwned>(data: &Value) -> Result<T, DataProblem> {
    serde_path_to_error::deserialize::<_, T>(data).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() {
            "data".to_string()
        } else {
            format!("data.{path}")
        };
        // serde quotes the value it met (`invalid type: integer `1234`, expected …`): a
        // secret sent with the wrong type must not come back, so keep only what was expected.
        let message = e.into_inner().to_string();
        let message = match message.split_once(", expected ") {
            Some((what, expected)) if what.starts_with("invalid ") => {
                let what = what.split(':').next().unwrap_or(what);
                format!("{what}: expected {expected}")
            }
            _ => message,
        };
        DataProblem::new(field, message)
    })
}

impl Data {
    /// Parses and checks `data` of type `kind`.
    pub fn parse(kind: &str, data: &Value) -> Result<Data, DataProblem> {
        if !data.is_object() {
            return Err(DataProblem::new("data", "must be an object"));
        }
        let parsed = match kind {
            "bearer" => Data::Bearer(typed(data)?),
            "basic" => Data::Basic(typed(data)?),
            "api_key" => Data::ApiKey(typed(data)?),
            "header" => Data::Header(typed(data)?),
            "secret" => Data::Secret(typed(data)?),
            "oauth2" => Data::OAuth2(typed(data)?),
            other => {
                return Err(DataProblem::new(
                    "type",
                    format!(
                        "`{other}` is not a credential type; use one of {}",
                        KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        };
        parsed.check()?;
        Ok(parsed)
    }

    fn check(&self) -> Result<(), DataProblem> {
        let nonempty = |field: &str, v: &str| {
            if v.is_empty() {
                Err(DataProblem::new(
                    format!("data.{field}"),
                    "must not be empty",
                ))
            } else if v.chars().any(char::is_control) {
                // It travels in a header: a line break would end it and start another.
                Err(DataProblem::new(
                    format!("data.{field}"),
                    "must not hold line breaks or other control characters",
                ))
            } else if v.len() > MAX_VALUE_BYTES {
                Err(DataProblem::new(
                    format!("data.{field}"),
                    format!("is longer than {MAX_VALUE_BYTES} bytes"),
                ))
            } else {
                Ok(())
            }
        };
        let header = |field: &str, v: &str| {
            http_header_name(v).then_some(()).ok_or_else(|| {
                DataProblem::new(
                    format!("data.{field}"),
                    format!("`{v}` is not a header name"),
                )
            })
        };
        match self {
            Data::Bearer(d) => nonempty("token", &d.token),
            Data::Basic(d) => {
                nonempty("username", &d.username)?;
                nonempty("password", &d.password)
            }
            Data::ApiKey(d) => {
                if let Some(h) = &d.header {
                    header("header", h)?;
                }
                if let Some(q) = &d.query {
                    nonempty("query", q)?;
                }
                nonempty("value", &d.value)
            }
            Data::Header(d) => {
                header("name", &d.name)?;
                nonempty("value", &d.value)
            }
            Data::Secret(d) => {
                nonempty("value", &d.value)?;
                if d.value.len() < MIN_SIGNING_SECRET {
                    return Err(DataProblem::new(
                        "data.value",
                        format!(
                            "is shorter than {MIN_SIGNING_SECRET} characters: too easy to guess for an HMAC key"
                        ),
                    ));
                }
                Ok(())
            }
            Data::OAuth2(d) => {
                web_url("token_url", &d.token_url)?;
                nonempty("client_id", &d.client_id)?;
                if let Some(secret) = d.client_secret.as_deref().filter(|s| !s.is_empty()) {
                    nonempty("client_secret", secret)?;
                }
                match d.grant {
                    Grant::AuthorizationCode => match &d.authorize_url {
                        Some(u) => web_url("authorize_url", u),
                        None => Err(DataProblem::new(
                            "data.authorize_url",
                            "the authorization_code grant needs the provider's authorization page",
                        )),
                    },
                    Grant::ClientCredentials => match d.client_secret.as_deref() {
                        Some(s) if !s.is_empty() => Ok(()),
                        _ => Err(DataProblem::new(
                            "data.client_secret",
                            "the client_credentials grant needs the client secret",
                        )),
                    },
                }
            }
        }
    }

    /// The credential an action applies; an OAuth2 one needs its access token (the vault
    /// passes it).
    pub fn credential(self, access_token: Option<String>) -> Option<Credential> {
        Some(match self {
            Data::Bearer(d) => Credential::Bearer { token: d.token },
            Data::Basic(d) => Credential::Basic {
                username: d.username,
                password: d.password,
            },
            Data::ApiKey(d) => Credential::ApiKey {
                header: d.header,
                query: d.query,
                value: d.value,
            },
            Data::Header(d) => Credential::Header {
                name: d.name,
                value: d.value,
            },
            Data::Secret(d) => Credential::Secret { value: d.value },
            Data::OAuth2(_) => Credential::Bearer {
                token: access_token?,
            },
        })
    }
}

fn http_header_name(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn web_url(field: &str, v: &str) -> Result<(), DataProblem> {
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(DataProblem::new(
            format!("data.{field}"),
            "must be an http(s) URL",
        )),
    }
}

/// Splits `data` into what is shown (every non-secret field) and the names of the secret
/// fields that hold a value.
pub fn shown(kind: &str, data: &Map<String, Value>) -> (Map<String, Value>, Vec<String>) {
    let secret = secret_fields(kind).unwrap_or(&[]);
    let mut public = Map::new();
    let mut set = Vec::new();
    for (k, v) in data {
        if secret.contains(&k.as_str()) {
            if !v.is_null() {
                set.push(k.clone());
            }
        } else {
            public.insert(k.clone(), v.clone());
        }
    }
    (public, set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn data_is_checked_by_type_with_the_field_named_and_never_the_value() {
        assert!(Data::parse("bearer", &json!({"token": "abc"})).is_ok());
        let e = Data::parse("bearer", &json!({"token": "abc", "x": 1})).unwrap_err();
        assert_eq!(e.field, "data.x");
        assert!(e.message.contains("`x`"), "{e:?}");
        let e = Data::parse("basic", &json!({"username": "u", "password": 5})).unwrap_err();
        assert_eq!(e.field, "data.password");
        let e = Data::parse("bearer", &json!({"token": ""})).unwrap_err();
        assert_eq!(e.field, "data.token");
        let e = Data::parse("nope", &json!({})).unwrap_err();
        assert_eq!(e.field, "type");
        let e = Data::parse(
            "oauth2",
            &json!({"grant": "authorization_code", "token_url": "https://p/token", "client_id": "c"}),
        )
        .unwrap_err();
        assert_eq!(e.field, "data.authorize_url");
        let e = Data::parse(
            "oauth2",
            &json!({"grant": "client_credentials", "token_url": "ftp://p", "client_id": "c"}),
        )
        .unwrap_err();
        assert_eq!(e.field, "data.token_url");
        let e = Data::parse(
            "header",
            &json!({"name": "bad header", "value": "supersecret"}),
        )
        .unwrap_err();
        assert!(!e.message.contains("supersecret"));
    }

    #[test]
    fn every_type_has_a_schema_and_secret_fields_are_never_shown() {
        for info in infos() {
            assert!(info.schema["properties"].is_object(), "{}", info.kind);
            for f in &info.secret_fields {
                assert!(
                    info.schema["properties"][f].is_object(),
                    "{} {f}",
                    info.kind
                );
            }
        }
        let data = json!({"username": "ada", "password": "pw"});
        let (public, set) = shown("basic", data.as_object().unwrap());
        assert_eq!(Value::Object(public), json!({"username": "ada"}));
        assert_eq!(set, vec!["password"]);
    }
}
