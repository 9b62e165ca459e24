//! Checks request and response bodies against Discord's own OpenAPI
//! description, kept beside this file (`discord-api-spec/openapi.json`, MIT
//! licensed; see its README for where it came from).
//!
//! Two documented errata, and nothing else, are tolerated: the spec types
//! `default_member_permissions` in command *requests* as an integer where
//! Discord's docs, its responses and serenity use a string, and serenity sends a new upload's attachment `id`
//! as the integer index of its `files[n]` part where the spec wants a
//! snowflake string.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

pub struct Spec {
    document: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

fn spec_path() -> PathBuf {
    if let Some(path) = std::env::var_os("UPRIGHT_DISCORD_OPENAPI") {
        return PathBuf::from(path);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/discord_fake/discord-api-spec/openapi.json")
}

/// Which body of an operation to check.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    Request,
    Response(u16),
}

impl Spec {
    pub fn load() -> Spec {
        let path = spec_path();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("Discord's OpenAPI description at {}: {e}", path.display()));
        Spec {
            document: serde_json::from_str(&text).expect("openapi.json is JSON"),
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// The spec's path template matching `path` (e.g. `/channels/1/messages`
    /// → `/channels/{channel_id}/messages`), for `method`.
    pub fn operation(&self, method: &str, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let paths = self.document["paths"].as_object()?;
        let method = method.to_ascii_lowercase();
        paths
            .iter()
            .filter(|(_, item)| item.get(&method).is_some())
            .map(|(template, _)| template)
            .filter(|template| {
                let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
                parts.len() == segments.len()
                    && parts
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| (t.starts_with('{') && t.ends_with('}')) || t == s)
            })
            // Literal segments win over placeholders (`/users/@me` over `/users/{user_id}`).
            .max_by_key(|template| template.split('/').filter(|p| !p.starts_with('{')).count())
            .cloned()
    }

    /// The spec's response object for `status` (exact, then `4XX`-style,
    /// then `default`), references followed.
    fn response(&self, method: &str, template: &str, status: u16) -> Option<&Value> {
        let operation = &self.document["paths"][template][method.to_ascii_lowercase()];
        let responses = &operation["responses"];
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get(format!("{}XX", status / 100)))
            .or_else(|| responses.get("default"))?;
        self.resolve(response)
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> Option<&'a Value> {
        match value.get("$ref").and_then(Value::as_str) {
            Some(pointer) => self.document.pointer(pointer.trim_start_matches('#')),
            None => Some(value),
        }
    }

    fn schema_for(&self, method: &str, template: &str, body: Body) -> Option<Value> {
        let operation = &self.document["paths"][template][method.to_ascii_lowercase()];
        let schema = match body {
            Body::Request => &operation["requestBody"]["content"]["application/json"]["schema"],
            Body::Response(status) => {
                &self.response(method, template, status)?["content"]["application/json"]["schema"]
            }
        };
        (!schema.is_null()).then(|| schema.clone())
    }

    /// Every response header the spec declares for this answer whose value
    /// does not have the declared type (`X-RateLimit-Remaining: soon`).
    /// Header names match case-insensitively; headers the spec does not
    /// declare (`Retry-After`, `X-RateLimit-Scope`) are not checked here.
    pub fn header_violations(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: &[(&str, String)],
    ) -> Vec<String> {
        if headers.is_empty() {
            return Vec::new();
        }
        let Some(template) = self.operation(method, path) else {
            return vec![format!("{method} {path} is not in Discord's API")];
        };
        let Some(declared) = self
            .response(method, &template, status)
            .and_then(|response| response.get("headers"))
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        for (name, header) in declared {
            let Some((_, value)) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))
            else {
                continue;
            };
            let kind = self
                .resolve(header)
                .and_then(|header| header["schema"]["type"].as_str())
                .unwrap_or("string");
            let fits = match kind {
                "integer" => value.parse::<i64>().is_ok(),
                "number" => value.parse::<f64>().is_ok_and(f64::is_finite),
                "boolean" => matches!(value.as_str(), "true" | "false"),
                _ => true,
            };
            if !fits {
                problems.push(format!(
                    "{method} {template} ({status}): header {name}: `{value}` is not {kind}"
                ));
            }
        }
        problems
    }

    fn validator(&self, key: String, schema: Value) -> Arc<jsonschema::Validator> {
        let mut cache = self.validators.lock().unwrap();
        if let Some(validator) = cache.get(&key) {
            return Arc::clone(validator);
        }
        // One document: the target schema plus the spec's components, so
        // `#/components/schemas/...` references resolve inside it.
        let mut root = json!({ "$schema": "https://json-schema.org/draft/2020-12/schema" });
        root["components"] = self.document["components"].clone();
        match schema {
            Value::Object(fields) => {
                for (k, v) in fields {
                    root[k] = v;
                }
            }
            other => root["allOf"] = json!([other]),
        }
        let validator = Arc::new(
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&root)
                .unwrap_or_else(|e| panic!("schema for {key}: {e}")),
        );
        cache.insert(key, Arc::clone(&validator));
        validator
    }

    /// Every way `instance` breaks the spec for this body; empty when valid.
    pub fn violations(
        &self,
        method: &str,
        path: &str,
        body: Body,
        instance: &Value,
    ) -> Vec<String> {
        let Some(template) = self.operation(method, path) else {
            return vec![format!("{method} {path} is not in Discord's API")];
        };
        let Some(schema) = self.schema_for(method, &template, body) else {
            return match (body, instance) {
                (_, Value::Null) => Vec::new(),
                (Body::Response(204), _) | (Body::Request, _)
                    if instance.as_object().is_some_and(|o| o.is_empty()) =>
                {
                    Vec::new()
                }
                _ => vec![format!(
                    "{method} {template} ({body:?}) has no JSON body in the spec, got {instance}"
                )],
            };
        };
        let mut instance = instance.clone();
        apply_errata(&mut instance, matches!(body, Body::Request));
        let validator = self.validator(format!("{method} {template} {body:?}"), schema);
        validator
            .iter_errors(&instance)
            .map(|error| {
                format!(
                    "{method} {template} ({body:?}): {error} at {}",
                    error.instance_path()
                )
            })
            .collect()
    }
}

/// The two documented differences between the spec and what Discord (and
/// serenity) actually use; see the module docs.
fn apply_errata(instance: &mut Value, request: bool) {
    match instance {
        Value::Object(fields) => {
            if request
                && let Some(Value::String(permissions)) = fields.get("default_member_permissions")
                && let Ok(number) = permissions.parse::<u64>()
            {
                fields.insert("default_member_permissions".into(), json!(number));
            }
            if let Some(Value::Array(attachments)) = fields.get_mut("attachments") {
                for attachment in attachments {
                    if let Some(index) = attachment.get("id").and_then(Value::as_u64) {
                        attachment["id"] = json!(index.to_string());
                    }
                }
            }
            for value in fields.values_mut() {
                apply_errata(value, request);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| apply_errata(item, request)),
        _ => {}
    }
}
