//! Chat templates: the model's own Jinja template (`tokenizer.chat_template`)
//! rendered with minijinja the way HF transformers renders it (`trim_blocks`,
//! `lstrip_blocks`, `raise_exception`, `bos_token`/`eos_token` in the context).

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, ErrorKind as JinjaErrorKind, Value};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Upper bound on template instructions per render: a template from a model file
/// is untrusted input and must not loop for ever.
const TEMPLATE_FUEL: u64 = 5_000_000;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl ChatMessage {
    /// A message with the given role.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        ChatMessage {
            role: role.into(),
            content: content.into(),
        }
    }

    /// A `system` message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new("system", content)
    }

    /// A `user` message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new("user", content)
    }

    /// An `assistant` message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new("assistant", content)
    }

    /// The `{role, content}` mapping templates iterate over.
    fn to_value(&self) -> Value {
        minijinja::context! {
            role => self.role.as_str(),
            content => self.content.as_str(),
        }
    }
}

/// A compiled chat template.
#[derive(Debug)]
pub struct ChatTemplate {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

const TEMPLATE_NAME: &str = "chat";

impl ChatTemplate {
    /// Compile `source`. `bos_token`/`eos_token` are the texts templates may
    /// reference as `{{ bos_token }}` / `{{ eos_token }}`.
    pub fn new(source: &str, bos_token: &str, eos_token: &str) -> Result<Self> {
        let mut env = Environment::new();
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| template_error("syntax config", e))?;
        env.set_syntax(syntax);
        env.set_fuel(Some(TEMPLATE_FUEL));
        env.add_function(
            "raise_exception",
            |msg: String| -> std::result::Result<Value, minijinja::Error> {
                Err(minijinja::Error::new(JinjaErrorKind::InvalidOperation, msg))
            },
        );
        env.set_unknown_method_callback(python_string_methods);
        env.add_template_owned(TEMPLATE_NAME, source.to_string())
            .map_err(|e| template_error("cannot compile chat template", e))?;
        Ok(ChatTemplate {
            env,
            bos_token: bos_token.to_string(),
            eos_token: eos_token.to_string(),
        })
    }

    /// Render `messages`; with `add_generation_prompt` the output ends where the
    /// assistant's reply begins.
    pub fn render(&self, messages: &[ChatMessage], add_generation_prompt: bool) -> Result<String> {
        let template = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(|e| template_error("chat template", e))?;
        template
            .render(minijinja::context! {
                messages => messages.iter().map(ChatMessage::to_value).collect::<Vec<_>>(),
                add_generation_prompt => add_generation_prompt,
                bos_token => &self.bos_token,
                eos_token => &self.eos_token,
            })
            .map_err(|e| template_error("cannot render chat template", e))
    }
}

/// The Python `str` methods HF chat templates commonly call (`.strip()`,
/// `.startswith()`, …), which Jinja2 inherits from Python and minijinja lacks.
fn python_string_methods(
    _state: &mut minijinja::State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> std::result::Result<Value, minijinja::Error> {
    let unknown = || minijinja::Error::from(JinjaErrorKind::UnknownMethod);
    let Some(s) = value.as_str() else {
        return Err(unknown());
    };
    let arg = |i: usize| args.get(i).and_then(Value::as_str);
    let chars = |i: usize| arg(i).map(|c| c.chars().collect::<Vec<char>>());
    let out = match (method, args.len()) {
        ("strip", 0) => Value::from(s.trim()),
        ("lstrip", 0) => Value::from(s.trim_start()),
        ("rstrip", 0) => Value::from(s.trim_end()),
        ("strip", 1) => Value::from(s.trim_matches(chars(0).ok_or_else(unknown)?.as_slice())),
        ("lstrip", 1) => {
            Value::from(s.trim_start_matches(chars(0).ok_or_else(unknown)?.as_slice()))
        }
        ("rstrip", 1) => Value::from(s.trim_end_matches(chars(0).ok_or_else(unknown)?.as_slice())),
        ("startswith", 1) => Value::from(s.starts_with(arg(0).ok_or_else(unknown)?)),
        ("endswith", 1) => Value::from(s.ends_with(arg(0).ok_or_else(unknown)?)),
        ("lower", 0) => Value::from(s.to_lowercase()),
        ("upper", 0) => Value::from(s.to_uppercase()),
        ("split", 1) => Value::from(
            s.split(arg(0).ok_or_else(unknown)?)
                .map(str::to_string)
                .collect::<Vec<_>>(),
        ),
        ("replace", 2) => {
            Value::from(s.replace(arg(0).ok_or_else(unknown)?, arg(1).ok_or_else(unknown)?))
        }
        _ => return Err(unknown()),
    };
    Ok(out)
}

fn template_error(what: &str, e: minijinja::Error) -> Error {
    Error::Config(format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHATML: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    #[test]
    fn renders_chatml_with_generation_prompt() {
        let t = ChatTemplate::new(CHATML, "", "").unwrap();
        let out = t
            .render(&[ChatMessage::system("S"), ChatMessage::user("hi")], true)
            .unwrap();
        assert_eq!(
            out,
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
        );
        let no_prompt = t.render(&[ChatMessage::user("hi")], false).unwrap();
        assert_eq!(no_prompt, "<|im_start|>user\nhi<|im_end|>\n");
    }

    #[test]
    fn python_methods_and_raise_exception() {
        let t = ChatTemplate::new(
            "{{ bos_token }}{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('no tools') }}{% endif %}{{ m.content.strip() | upper }}{{ m.content.startswith(' a') }}{% endfor %}",
            "<s>",
            "</s>",
        )
        .unwrap();
        assert_eq!(
            t.render(&[ChatMessage::user(" ab ")], true).unwrap(),
            "<s>ABTrue"
        );
        let err = t
            .render(&[ChatMessage::new("tool", "x")], true)
            .unwrap_err();
        assert!(err.to_string().contains("no tools"), "{err}");
    }

    #[test]
    fn trim_and_lstrip_blocks_like_transformers() {
        let t = ChatTemplate::new("{% for m in messages %}\n  {% if true %}\n{{ m.content }}\n  {% endif %}\n{% endfor %}", "", "").unwrap();
        assert_eq!(t.render(&[ChatMessage::user("x")], true).unwrap(), "x\n");
    }

    #[test]
    fn bad_templates_are_errors() {
        assert!(ChatTemplate::new("{% for %}", "", "").is_err());
        // An endless template runs out of fuel instead of hanging.
        let t = ChatTemplate::new(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "",
            "",
        )
        .unwrap();
        assert!(t.render(&[], true).is_err());
    }
}
