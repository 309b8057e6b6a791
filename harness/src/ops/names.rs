//! The names a scenario declares (providers, hooks, handlers, clients), against which each
//! operation checks the names it refers to while the file is parsed.

/// The names a scenario declares.
#[derive(Clone, Debug, Default)]
pub struct Names {
    pub providers: Vec<String>,
    pub hooks: Vec<String>,
    pub handlers: Vec<String>,
    pub clients: Vec<String>,
}

impl Names {
    /// `name` is a declared provider.
    pub fn provider(&self, name: &str) -> Result<(), String> {
        known("provider", name, &self.providers)
    }

    /// Every one of `names` is a declared hook.
    pub fn hooks(&self, names: &[String]) -> Result<(), String> {
        names
            .iter()
            .try_for_each(|name| known("hook", name, &self.hooks))
    }

    /// `name` is a declared handler.
    pub fn handler(&self, name: &str) -> Result<(), String> {
        known("handler", name, &self.handlers)
    }

    /// `name`, when given, is a declared client (`default` always is).
    pub fn client(&self, name: &Option<String>) -> Result<(), String> {
        name.as_deref()
            .map_or(Ok(()), |name| known("client", name, &self.clients))
    }
}

fn known(kind: &str, name: &str, declared: &[String]) -> Result<(), String> {
    if declared.iter().any(|d| d == name) {
        Ok(())
    } else if declared.is_empty() {
        Err(format!(
            "unknown {kind} `{name}`: the scenario declares no {kind}s"
        ))
    } else {
        Err(format!(
            "unknown {kind} `{name}`, expected one of {}",
            declared.join(", ")
        ))
    }
}
