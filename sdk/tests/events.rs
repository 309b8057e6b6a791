//! Provider events and handlers on the production locks: status before handlers, immediate runs
//! exactly once, client scoping by domain, removal, containment and re-entrancy.

mod common;

use common::{CountingProvider, Init};
use openfeature_sdk::{Api, ErrorCode, ProviderEvent, ProviderEventDetails, ProviderStatus};
use std::sync::{Arc, Mutex};

type Seen = Arc<Mutex<Vec<String>>>;

fn recorder(
    seen: &Seen,
    label: &'static str,
) -> impl Fn(&openfeature_sdk::EventDetails) + Send + Sync {
    let seen = Arc::clone(seen);
    move |details| {
        seen.lock().expect("seen").push(format!(
            "{label}:{}:{}",
            details.provider_name, details.event
        ))
    }
}

fn seen(seen: &Seen) -> Vec<String> {
    seen.lock().expect("seen").clone()
}

#[test]
fn ready_handlers_run_after_initialize_and_see_ready_status() {
    let api = Api::new();
    let log: Seen = Arc::default();
    let status_seen = Arc::new(Mutex::new(None));
    let (api_for_handler, status_for_handler) = (api.clone(), Arc::clone(&status_seen));
    api.add_handler(ProviderEvent::Ready, move |_| {
        *status_for_handler.lock().expect("status") = Some(api_for_handler.provider_status(None));
    });
    api.add_handler(ProviderEvent::Ready, recorder(&log, "api"));
    // The no-op default is ready, so both handlers ran once right away.
    assert_eq!(seen(&log), ["api:No-op Provider:PROVIDER_READY"]);
    api.set_provider_and_wait(CountingProvider::new("p0", Init::Succeeds))
        .expect("p0");
    assert_eq!(
        seen(&log),
        ["api:No-op Provider:PROVIDER_READY", "api:p0:PROVIDER_READY"]
    );
    assert_eq!(
        *status_seen.lock().expect("status"),
        Some(ProviderStatus::Ready)
    );
}

#[test]
fn a_handler_added_in_the_matching_state_runs_exactly_once() {
    let api = Api::new();
    let p0 = CountingProvider::new("p0", Init::Succeeds);
    api.set_provider_and_wait(p0.clone()).expect("p0");
    let log: Seen = Arc::default();
    let client = api.client();
    client.add_handler(ProviderEvent::Ready, recorder(&log, "client"));
    client.add_handler(ProviderEvent::Error, recorder(&log, "client-error"));
    assert_eq!(seen(&log), ["client:p0:PROVIDER_READY"]);
}

#[test]
fn client_handlers_run_only_for_their_domains_provider() {
    let api = Api::new();
    let a = CountingProvider::new("a", Init::Succeeds);
    let b = CountingProvider::new("b", Init::Succeeds);
    api.set_domain_provider_and_wait("a", a.clone()).expect("a");
    api.set_domain_provider_and_wait("b", b.clone()).expect("b");
    let log: Seen = Arc::default();
    api.domain_client("a").add_handler(
        ProviderEvent::ConfigurationChanged,
        recorder(&log, "client-a"),
    );
    api.add_handler(ProviderEvent::ConfigurationChanged, recorder(&log, "api"));
    let changed = ProviderEventDetails::default();
    assert!(b
        .emitter()
        .expect("b")
        .emit(ProviderEvent::ConfigurationChanged, changed.clone()));
    assert!(a
        .emitter()
        .expect("a")
        .emit(ProviderEvent::ConfigurationChanged, changed));
    assert_eq!(
        seen(&log),
        [
            "api:b:PROVIDER_CONFIGURATION_CHANGED",
            "client-a:a:PROVIDER_CONFIGURATION_CHANGED",
            "api:a:PROVIDER_CONFIGURATION_CHANGED",
        ]
    );
}

#[test]
fn error_events_set_error_or_fatal_status_and_stale_sets_stale() {
    let api = Api::new();
    let p0 = CountingProvider::new("p0", Init::Succeeds);
    api.set_provider_and_wait(p0.clone()).expect("p0");
    let emitter = p0.emitter().expect("attached");
    emitter.emit(ProviderEvent::Stale, ProviderEventDetails::default());
    assert_eq!(api.provider_status(None), ProviderStatus::Stale);
    emitter.emit(
        ProviderEvent::Error,
        ProviderEventDetails::default().with_message("down"),
    );
    assert_eq!(api.provider_status(None), ProviderStatus::Error);
    emitter.emit(
        ProviderEvent::Error,
        ProviderEventDetails::default().with_error_code(ErrorCode::ProviderFatal),
    );
    assert_eq!(api.client().provider_status(), ProviderStatus::Fatal);
    emitter.emit(
        ProviderEvent::ConfigurationChanged,
        ProviderEventDetails::default(),
    );
    assert_eq!(api.provider_status(None), ProviderStatus::Fatal);
}

#[test]
fn removed_handlers_no_longer_run_and_panicking_handlers_do_not_stop_others() {
    let api = Api::new();
    let p0 = CountingProvider::new("p0", Init::Succeeds);
    api.set_provider_and_wait(p0.clone()).expect("p0");
    let log: Seen = Arc::default();
    let removed = api.add_handler(ProviderEvent::Stale, recorder(&log, "removed"));
    api.add_handler(ProviderEvent::Stale, |_| {
        panic!("handler panics on purpose")
    });
    api.add_handler(ProviderEvent::Stale, recorder(&log, "kept"));
    assert!(api.remove_handler(removed));
    assert!(!api.remove_handler(removed), "removing twice reports false");
    p0.emitter()
        .expect("attached")
        .emit(ProviderEvent::Stale, ProviderEventDetails::default());
    assert_eq!(seen(&log), ["kept:p0:PROVIDER_STALE"]);
}

#[test]
fn handlers_may_call_back_into_the_sdk() {
    let api = Api::new();
    let p0 = CountingProvider::new("p0", Init::Succeeds);
    let p1 = CountingProvider::new("p1", Init::Succeeds);
    let log: Seen = Arc::default();
    let (inner_api, inner_p1, inner_log) = (api.clone(), p1.clone(), Arc::clone(&log));
    api.add_handler(ProviderEvent::Stale, move |_| {
        // Set a provider and add a handler from inside a handler: neither may deadlock.
        inner_api
            .set_domain_provider_and_wait("inner", inner_p1.clone())
            .expect("p1");
        inner_api.add_handler(ProviderEvent::Ready, recorder(&inner_log, "inner"));
    });
    api.set_provider_and_wait(p0.clone()).expect("p0");
    p0.emitter()
        .expect("attached")
        .emit(ProviderEvent::Stale, ProviderEventDetails::default());
    assert_eq!(CountingProvider::count(&p1.inits), 1);
    // The inner handler's immediate runs: the default p0 is stale, p1 is ready.
    assert_eq!(seen(&log), ["inner:p1:PROVIDER_READY"]);
}

#[test]
fn shutdown_removes_handlers_atomically() {
    let api = Api::new();
    let log: Seen = Arc::default();
    api.add_handler(ProviderEvent::Ready, recorder(&log, "before-shutdown"));
    api.shutdown();
    api.set_provider_and_wait(CountingProvider::new("p0", Init::Succeeds))
        .expect("p0");
    assert_eq!(
        seen(&log),
        ["before-shutdown:No-op Provider:PROVIDER_READY"]
    );
}

#[test]
fn set_provider_and_wait_returns_after_its_ready_handlers_ran_on_another_drainer() {
    // Another thread is the drainer, stuck in a handler: the READY of the provider set below is
    // queued behind that delivery, and `set_provider_and_wait` must wait until the drainer has
    // run its handlers (spec 1.1.8: the lifecycle event is processed before it returns).
    let api = Api::new();
    let first = CountingProvider::new("first", Init::Succeeds);
    api.set_provider_and_wait(first.clone()).expect("first");
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (entered, entering) = std::sync::mpsc::channel::<()>();
    let (released, entered) = (Mutex::new(released), Mutex::new(entered));
    api.add_handler(ProviderEvent::ConfigurationChanged, move |_| {
        let _ = entered.lock().expect("entered").send(());
        let _ = released.lock().expect("released").recv();
    });
    let ready_ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ready_flag = Arc::clone(&ready_ran);
    api.add_handler(ProviderEvent::Ready, move |details| {
        if details.provider_name == "second" {
            ready_flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let emitter = first.emitter().expect("attached");
    let drainer = std::thread::spawn(move || {
        emitter.emit(
            ProviderEvent::ConfigurationChanged,
            ProviderEventDetails::default(),
        )
    });
    // The drainer is inside the handler, so the first provider's emission was accepted.
    entering.recv().expect("the drainer entered its handler");
    let (api_for_setter, ready_seen) = (api.clone(), Arc::clone(&ready_ran));
    let setter = std::thread::spawn(move || {
        let second = CountingProvider::new("second", Init::Succeeds);
        api_for_setter
            .set_provider_and_wait(second)
            .expect("second");
        ready_seen.load(std::sync::atomic::Ordering::SeqCst)
    });
    // Give the setter time to queue its READY behind the stuck delivery. Were it slower, the
    // drainer would be idle by then and the setter would run its handlers itself: the
    // assertion below holds either way on a correct SDK.
    std::thread::sleep(std::time::Duration::from_millis(100));
    release.send(()).expect("release");
    assert!(drainer.join().expect("drainer"));
    assert!(
        setter.join().expect("setter"),
        "set_provider_and_wait returned before its READY handlers ran"
    );
}

#[test]
fn an_emitter_the_provider_detaches_itself_delivers_nothing_more() {
    let api = Api::new();
    let provider = CountingProvider::new("p", Init::Succeeds);
    api.set_provider_and_wait(provider.clone()).expect("ready");
    let log: Seen = Arc::default();
    api.add_handler(ProviderEvent::Stale, recorder(&log, "api"));
    let emitter = provider.emitter().expect("attached");
    assert!(emitter.is_attached());
    assert_eq!(format!("{emitter:?}"), "EventEmitter { attached: true }");
    emitter.detach();
    assert!(!emitter.is_attached());
    assert_eq!(format!("{emitter:?}"), "EventEmitter { attached: false }");
    assert!(!emitter.emit(ProviderEvent::Stale, ProviderEventDetails::default()));
    assert!(seen(&log).is_empty());
    assert_eq!(api.provider_status(None), ProviderStatus::Ready);
}

#[test]
fn an_emitter_outliving_its_api_is_no_longer_attached() {
    let provider = CountingProvider::new("p", Init::Succeeds);
    {
        let api = Api::new();
        api.set_provider_and_wait(provider.clone()).expect("ready");
    }
    // The API went away without a shutdown: nothing detached the emitter, but its registration
    // no longer exists.
    let emitter = provider.emitter().expect("was attached");
    assert!(!emitter.is_attached());
    assert!(!emitter.emit(ProviderEvent::Stale, ProviderEventDetails::default()));
}
