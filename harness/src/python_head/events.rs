//! `_event_support.py` of the Python SDK's head: handler lists behind two `RLock`s, snapshots
//! of them taken under the lock and submitted to the module's `ThreadPoolExecutor` after it is
//! released, the immediate run of a handler added for the provider's current state, and the
//! executor itself (see the module doc of `python_head` for how its workers are modelled). Part
//! of the python-head fixture: a faithful model, not production code; never fix the races here.

use super::{Exc, Prov, Py, PyEvent, PyResult, Status, WorkItem, MAX_WORKERS};
use std::sync::Arc;

/// The exception that `list.remove` raises for a handler that is not in the list.
const NOT_IN_LIST: &str = "ValueError: list.remove(x): x not in list";

impl Py {
    /// Mirrors _event_support.py run_client_handlers (lines 35-46): the client's handlers for
    /// the event are copied under `_client_lock`, then submitted after it is released.
    fn run_client_handlers(
        self: &Arc<Self>,
        client: &str,
        provider: &str,
        event: PyEvent,
        emission: Option<usize>,
    ) {
        let handlers = {
            let _lock = self.client_lock.acquire(&self.world);
            let known = self.stmt(
                &format!("_event_support.py:39 handlers_by_event = _client_handlers.get({client})"),
                |s| s.client_handlers.iter().any(|(known, _)| known == client),
            );
            if !known {
                return;
            }
            let label = format!(
                "_event_support.py:43 handlers = tuple(handlers_by_event.get({}, ()))",
                event.label()
            );
            self.stmt(&label, |s| {
                s.client_handlers
                    .iter()
                    .find(|(known, _)| known == client)
                    .and_then(|(_, events)| events.get(&event).cloned())
                    .unwrap_or_default()
            })
        };
        for handler in handlers {
            self.submit_handler(WorkItem {
                handler,
                provider: provider.to_owned(),
                event,
                emission,
            });
        }
    }

    /// Mirrors _event_support.py run_global_handlers (lines 49-54): copied under
    /// `_global_lock`, submitted after it is released.
    fn run_global_handlers(
        self: &Arc<Self>,
        provider: &str,
        event: PyEvent,
        emission: Option<usize>,
    ) {
        let handlers = {
            let _lock = self.global_lock.acquire(&self.world);
            let label = format!(
                "_event_support.py:51 handlers = tuple(_global_handlers.get({}, ()))",
                event.label()
            );
            self.stmt(&label, |s| {
                s.global_handlers.get(&event).cloned().unwrap_or_default()
            })
        };
        for handler in handlers {
            self.submit_handler(WorkItem {
                handler,
                provider: provider.to_owned(),
                event,
                emission,
            });
        }
    }

    /// Mirrors _event_support.py add_client_handler (lines 57-64): the append under
    /// `_client_lock` (lines 61 and 62 are two statements), then the immediate run after the
    /// lock is released (A10, A11).
    pub(super) fn add_client_handler(
        self: &Arc<Self>,
        client: &str,
        event: PyEvent,
        handler: &str,
    ) {
        {
            let _lock = self.client_lock.acquire(&self.world);
            let label = format!(
                "_event_support.py:61 handlers = _client_handlers[{client}][{}]",
                event.label()
            );
            self.stmt(&label, |s| {
                s.client_entry(client).entry(event).or_default();
            });
            self.stmt(
                &format!("_event_support.py:62 handlers.append({handler})"),
                |s| {
                    s.client_entry(client)
                        .entry(event)
                        .or_default()
                        .push(handler.to_owned())
                },
            );
        }
        self.run_immediate_handler(self.domain(client), event, handler);
    }

    /// Mirrors _event_support.py remove_client_handler (lines 67-72). A handler that is not
    /// registered raises `ValueError`, as `list.remove` does. A run of it already submitted to
    /// the executor still happens after this returns.
    pub(super) fn remove_client_handler(
        &self,
        client: &str,
        event: PyEvent,
        handler: &str,
    ) -> PyResult {
        let _lock = self.client_lock.acquire(&self.world);
        let label = format!(
            "_event_support.py:71 handlers = _client_handlers[{client}][{}]",
            event.label()
        );
        self.stmt(&label, |s| {
            s.client_entry(client).entry(event).or_default();
        });
        self.stmt(
            &format!("_event_support.py:72 handlers.remove({handler})"),
            |s| remove_first(s.client_entry(client).entry(event).or_default(), handler),
        )
    }

    /// Mirrors _event_support.py add_global_handler (lines 75-81): the append under
    /// `_global_lock`, then the immediate run on `get_client()` (the default domain) after the
    /// lock is released (A10, A11).
    pub(super) fn add_global_handler(self: &Arc<Self>, event: PyEvent, handler: &str) {
        {
            let _lock = self.global_lock.acquire(&self.world);
            let label = format!(
                "_event_support.py:77 _global_handlers[{}].append({handler})",
                event.label()
            );
            self.stmt(&label, |s| {
                s.global_handlers
                    .entry(event)
                    .or_default()
                    .push(handler.to_owned())
            });
        }
        self.run_immediate_handler(None, event, handler);
    }

    /// Mirrors _event_support.py remove_global_handler (lines 84-86).
    pub(super) fn remove_global_handler(&self, event: PyEvent, handler: &str) -> PyResult {
        let _lock = self.global_lock.acquire(&self.world);
        let label = format!(
            "_event_support.py:86 _global_handlers[{}].remove({handler})",
            event.label()
        );
        self.stmt(&label, |s| {
            remove_first(s.global_handlers.entry(event).or_default(), handler)
        })
    }

    /// Mirrors _event_support.py run_handlers_for_provider (lines 89-106): the global handlers,
    /// then the clients whose `client.provider` is this provider, chosen in one statement under
    /// `_client_lock` (it reads the registry without its lock), then each client's handlers.
    /// `provider.get_metadata().name` (line 95) is user code that, as in `audited`, is not
    /// modelled as a step.
    pub(super) fn run_handlers_for_provider(
        self: &Arc<Self>,
        provider: &Prov,
        event: PyEvent,
        emission: Option<usize>,
    ) {
        let name = provider.name();
        self.run_global_handlers(name, event, emission);
        let clients = {
            let _lock = self.client_lock.acquire(&self.world);
            let label = format!(
                "_event_support.py:101 clients = tuple(c for c in _client_handlers if \
                 c.provider == {name})"
            );
            self.stmt(&label, |s| {
                s.client_handlers
                    .iter()
                    .filter(|(client, _)| s.get_provider(self.domain(client)) == *provider)
                    .map(|(client, _)| client.clone())
                    .collect::<Vec<_>>()
            })
        };
        for client in &clients {
            self.run_client_handlers(client, name, event, emission);
        }
    }

    /// Mirrors _event_support.py _run_immediate_handler (lines 109-121): submits the handler if
    /// its event matches the client's provider status. It holds no lock (A10, A11), and reads
    /// `client.provider` again for the details (line 120), so the name can be another
    /// provider's.
    fn run_immediate_handler(
        self: &Arc<Self>,
        domain: Option<&str>,
        event: PyEvent,
        handler: &str,
    ) {
        let status_event = match self.client_get_provider_status(domain, "_event_support.py:118") {
            Status::Ready => Some(PyEvent::Ready),
            Status::Error | Status::Fatal => Some(PyEvent::Error),
            Status::Stale => Some(PyEvent::Stale),
            Status::NotReady => None,
        };
        if status_event == Some(event) {
            let provider = self.client_provider(
                domain,
                "_event_support.py:120 client.provider.get_metadata().name",
            );
            self.submit_handler(WorkItem {
                handler: handler.to_owned(),
                provider: provider.name().to_owned(),
                event,
                emission: None,
            });
        }
    }

    /// Mirrors _event_support.py _submit_handler (lines 124-125), with the executor's `submit`
    /// and `_adjust_thread_count` (concurrent/futures/thread.py): in one statement, the work
    /// item joins the queue and, when fewer than [`MAX_WORKERS`] workers are alive, a worker is
    /// counted in; it is started right after.
    fn submit_handler(self: &Arc<Self>, item: WorkItem) {
        let label = format!(
            "_event_support.py:125 _event_executor.submit(_run_handler, {}, {}:{})",
            item.handler,
            item.provider,
            item.event.label()
        );
        let worker = self.stmt(&label, |s| {
            s.work_queue.push_back(item);
            (s.workers_alive < MAX_WORKERS).then(|| {
                s.workers_alive += 1;
                s.workers_made += 1;
                s.workers_made
            })
        });
        if let Some(number) = worker {
            let thread = format!("executor.worker{number}");
            self.world.trace(format!(
                "thread.py _adjust_thread_count: t.start() -> {thread}"
            ));
            let py = Arc::clone(self);
            self.world
                .spawn_background(&thread, move || py.executor_worker());
        }
    }

    /// Mirrors concurrent/futures/thread.py `_worker` and `_WorkItem.run`, modelled to exit when
    /// the queue is empty ([`Self::next_work_item`]): a popped item runs as the background step
    /// `handler h`, after the statement that marks its future running, and the worker then pops
    /// the next one (or leaves) within that step. Two items submitted in order can so run their
    /// handlers in either order.
    fn executor_worker(&self) {
        // The worker's first step begins at its start; each later step begins when it has an
        // item to run. Popping the next item (or counting the worker out) ends the previous
        // handler's step, so an idle worker's exit is no step of its own: the oracle's
        // sequential orders then interleave the handler runs, not the exits.
        let mut turn = self.world.turn();
        let Some(mut item) = self.next_work_item() else {
            return;
        };
        loop {
            self.world.begin_step(&format!("handler {}", item.handler));
            // `_WorkItem.run` first moves the item's future to RUNNING, under the future's own
            // condition lock: a statement on shared state between the pop and the handler, where
            // the other worker can pop the next item and run its handler first.
            self.stmt(
                "thread.py _WorkItem.run: if not self.future.set_running_or_notify_cancel()",
                |_| (),
            );
            self.run_handler(&item);
            let Some(next) = self.next_work_item() else {
                return;
            };
            drop(turn);
            turn = self.world.turn();
            item = next;
        }
    }

    /// The worker's `work_item = work_queue.get()`, modelled to exit when the queue is empty:
    /// pops the front item in one statement or, the queue being empty, counts the worker out in
    /// the same statement (so a submit never counts on a worker that is leaving).
    fn next_work_item(&self) -> Option<WorkItem> {
        let item = self.stmt(
            "thread.py _worker: work_item = work_queue.get() (model: exit when empty)",
            |s| {
                let item = s.work_queue.pop_front();
                if item.is_none() {
                    s.workers_alive -= 1;
                }
                item
            },
        );
        if item.is_none() {
            self.world
                .trace("thread.py _worker: queue empty, worker exits");
        }
        item
    }

    /// Mirrors _event_support.py _run_handler (lines 128-132): runs one handler (user code) on
    /// an executor worker, with the provider name and event its details carry. An exception
    /// would be logged and never escape; the test handlers do not raise.
    fn run_handler(&self, item: &WorkItem) {
        self.reenter(&format!("handler {}", item.handler));
        self.world.handler_called(
            &item.handler,
            &item.provider,
            item.event.label(),
            item.emission,
        );
    }

    /// Mirrors _event_support.py clear (lines 135-139): the global handlers under
    /// `_global_lock`, then the client handlers under `_client_lock` (A12). Runs already
    /// submitted to the executor still happen.
    pub(super) fn clear_handlers(&self) {
        {
            let _lock = self.global_lock.acquire(&self.world);
            self.stmt("_event_support.py:137 _global_handlers.clear()", |s| {
                s.global_handlers.clear()
            });
        }
        let _lock = self.client_lock.acquire(&self.world);
        self.stmt("_event_support.py:139 _client_handlers.clear()", |s| {
            s.client_handlers.clear()
        });
    }
}

/// `list.remove(handler)`: removes the first occurrence, or raises `ValueError`.
fn remove_first(handlers: &mut Vec<String>, handler: &str) -> PyResult {
    let index = handlers
        .iter()
        .position(|known| known == handler)
        .ok_or_else(|| Exc::Raised(NOT_IN_LIST.to_owned()))?;
    handlers.remove(index);
    Ok(())
}
