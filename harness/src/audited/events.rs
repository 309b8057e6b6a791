//! `_event_support.py` of the audited Python SDK: handler lists behind two `RLock`s, the
//! immediate run of a handler added for the provider's current state, and dispatch to handlers.
//! Part of the audited fixture: a faithful model, not production code; never fix the races here.

use super::{Prov, Py, PyEvent, PyResult, Status};

/// The exception that `list.remove` raises for a handler that is not in the list.
const NOT_IN_LIST: &str = "ValueError: list.remove(x): x not in list";

impl Py {
    /// Runs one handler (user code), with the provider name and event its details carry, and
    /// the number of the test provider's emission that dispatched it (`None` for the SDK's own
    /// events and immediate runs). Python runs handlers synchronously on the dispatching thread,
    /// so a handler is part of the operation or emit that dispatched it and takes no turn of
    /// its own.
    fn run_handler(&self, handler: &str, provider: &str, event: PyEvent, emission: Option<usize>) {
        self.reenter(&format!("handler {handler}"));
        self.world
            .handler_called(handler, provider, event.label(), emission);
    }

    /// Mirrors _event_support.py run_global_handlers.
    fn run_global_handlers(&self, provider: &str, event: PyEvent, emission: Option<usize>) {
        let _lock = self.global_lock.acquire(&self.world);
        let label = format!("for h in _global_handlers[{}]", event.label());
        let handlers = self.stmt(&label, |s| {
            s.global_handlers.get(&event).cloned().unwrap_or_default()
        });
        for handler in &handlers {
            self.run_handler(handler, provider, event, emission);
        }
    }

    /// Mirrors _event_support.py run_client_handlers.
    fn run_client_handlers(
        &self,
        client: &str,
        provider: &str,
        event: PyEvent,
        emission: Option<usize>,
    ) {
        let _lock = self.client_lock.acquire(&self.world);
        let label = format!("for h in _client_handlers[{client}][{}]", event.label());
        let handlers = self.stmt(&label, |s| {
            s.client_handlers
                .iter()
                .find(|(known, _)| known == client)
                .and_then(|(_, events)| events.get(&event).cloned())
                .unwrap_or_default()
        });
        for handler in &handlers {
            self.run_handler(handler, provider, event, emission);
        }
    }

    /// Mirrors _event_support.py run_handlers_for_provider: the global handlers, then under
    /// `_client_lock` the handlers of every client whose `client.provider` is this provider.
    /// Exhibits A12 when it runs between the two halves of `clear`.
    pub(super) fn run_handlers_for_provider(
        &self,
        provider: &Prov,
        event: PyEvent,
        emission: Option<usize>,
    ) {
        self.run_global_handlers(provider.name(), event, emission);
        let _lock = self.client_lock.acquire(&self.world);
        // Iterating the dict under `_client_lock` cannot see a concurrent change: every change
        // takes the same lock, so one statement reads the keys.
        let clients = self.stmt("for client in _client_handlers", |s| {
            s.client_handlers
                .iter()
                .map(|(client, _)| client.clone())
                .collect::<Vec<_>>()
        });
        for client in &clients {
            let domain = self.domain(client);
            let label = format!("if {client}.provider == {}", provider.name());
            if self.stmt(&label, |s| s.get_provider(domain) == *provider) {
                self.run_client_handlers(client, provider.name(), event, emission);
            }
        }
    }

    /// Mirrors _event_support.py add_client_handler. Exhibits A10 and A11: the immediate run for
    /// the provider's current state happens after `_client_lock` is released.
    pub(super) fn add_client_handler(&self, client: &str, event: PyEvent, handler: &str) {
        {
            let _lock = self.client_lock.acquire(&self.world);
            let label = format!(
                "_client_handlers[{client}][{}].append({handler})",
                event.label()
            );
            self.stmt(&label, |s| {
                s.client_entry(client)
                    .entry(event)
                    .or_default()
                    .push(handler.to_owned())
            });
        }
        self.run_immediate_handler(self.domain(client), event, handler);
    }

    /// Mirrors _event_support.py remove_client_handler. A handler that is not registered raises
    /// `ValueError`, as `list.remove` does.
    pub(super) fn remove_client_handler(
        &self,
        client: &str,
        event: PyEvent,
        handler: &str,
    ) -> PyResult {
        let _lock = self.client_lock.acquire(&self.world);
        let label = format!(
            "_client_handlers[{client}][{}].remove({handler})",
            event.label()
        );
        self.stmt(&label, |s| {
            remove_first(s.client_entry(client).entry(event).or_default(), handler)
        })
    }

    /// Mirrors _event_support.py add_global_handler. Exhibits A10 and A11: the immediate run (on
    /// `api.get_client()`, the default domain) happens after `_global_lock` is released.
    pub(super) fn add_global_handler(&self, event: PyEvent, handler: &str) {
        {
            let _lock = self.global_lock.acquire(&self.world);
            let label = format!("_global_handlers[{}].append({handler})", event.label());
            self.stmt(&label, |s| {
                s.global_handlers
                    .entry(event)
                    .or_default()
                    .push(handler.to_owned())
            });
        }
        self.run_immediate_handler(None, event, handler);
    }

    /// Mirrors _event_support.py remove_global_handler.
    pub(super) fn remove_global_handler(&self, event: PyEvent, handler: &str) -> PyResult {
        let _lock = self.global_lock.acquire(&self.world);
        let label = format!("_global_handlers[{}].remove({handler})", event.label());
        self.stmt(&label, |s| {
            remove_first(s.global_handlers.entry(event).or_default(), handler)
        })
    }

    /// Mirrors _event_support.py _run_immediate_handler: runs the handler if its event matches the
    /// client's provider status. Exhibits A10 and A11 (it holds no lock) and reads `client.provider`
    /// again for the details, so the name can be another provider's.
    fn run_immediate_handler(&self, domain: Option<&str>, event: PyEvent, handler: &str) {
        let status_event = match self.client_provider_status(domain) {
            Status::Ready => Some(PyEvent::Ready),
            Status::Error | Status::Fatal => Some(PyEvent::Error),
            Status::Stale => Some(PyEvent::Stale),
            Status::NotReady => None,
        };
        if status_event == Some(event) {
            let name = self.stmt("client.provider.get_metadata().name", |s| {
                s.get_provider(domain).name().to_owned()
            });
            self.run_handler(handler, &name, event, None);
        }
    }

    /// Mirrors _event_support.py clear: the global handlers under `_global_lock`, then the client
    /// handlers under `_client_lock`. Exhibits A12: a dispatch between the two finds the global
    /// handlers gone and the client handlers still there.
    pub(super) fn clear_handlers(&self) {
        {
            let _lock = self.global_lock.acquire(&self.world);
            self.stmt("_global_handlers.clear()", |s| s.global_handlers.clear());
        }
        let _lock = self.client_lock.acquire(&self.world);
        self.stmt("_client_handlers.clear()", |s| s.client_handlers.clear());
    }
}

/// `list.remove(handler)`: removes the first occurrence, or raises `ValueError`.
fn remove_first(handlers: &mut Vec<String>, handler: &str) -> PyResult {
    let index = handlers
        .iter()
        .position(|known| known == handler)
        .ok_or_else(|| NOT_IN_LIST.to_owned())?;
    handlers.remove(index);
    Ok(())
}
