//! The logging hook (feature `log`): the stages, levels and fields the specification's appendix
//! asks for, with the evaluation context only when asked for. One test: a process has one
//! logger.

use openfeature_sdk::{Api, EvaluationContext, Flag, Hook, InMemoryProvider, LoggingHook};
use std::sync::{Arc, Mutex};

struct Captured(Mutex<Vec<(log::Level, String, String)>>);

impl log::Log for Captured {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().unwrap().push((
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        ));
    }

    fn flush(&self) {}
}

static CAPTURED: Captured = Captured(Mutex::new(Vec::new()));

fn take() -> Vec<(log::Level, String, String)> {
    std::mem::take(&mut *CAPTURED.0.lock().unwrap())
}

#[test]
fn the_logging_hook_logs_before_after_and_error_with_the_context_only_on_request() {
    log::set_logger(&CAPTURED).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let api = Api::new();
    let flags = [("beta".to_owned(), Flag::new([("on", true)], "on"))];
    api.set_provider_and_wait(Arc::new(InMemoryProvider::new(flags)))
        .unwrap();
    let client = api.domain_client("shop");
    client.add_hooks([Arc::new(LoggingHook::new()) as Arc<dyn Hook>]);
    let context = EvaluationContext::new().with_targeting_key("user-1");
    take();

    assert!(client.get_bool_value("beta", false, Some(&context), None));
    let records = take();
    let target = "openfeature_sdk::logging".to_owned();
    assert_eq!(
        records,
        [
            (
                log::Level::Debug,
                target.clone(),
                "before stage: domain=shop, provider_name=in-memory, flag_key=beta, \
                 default_value=false"
                    .to_owned()
            ),
            (
                log::Level::Debug,
                target.clone(),
                "after stage: domain=shop, provider_name=in-memory, flag_key=beta, \
                 default_value=false, reason=STATIC, variant=on, value=true"
                    .to_owned()
            ),
        ]
    );

    client.clear_hooks();
    client.add_hooks([Arc::new(LoggingHook::new().with_evaluation_context(true)) as Arc<dyn Hook>]);
    assert_eq!(client.get_int_value("missing", 4, Some(&context), None), 4);
    let records = take();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].0, log::Level::Error);
    assert_eq!(
        records[1].2,
        "error stage: domain=shop, provider_name=in-memory, flag_key=missing, default_value=4, \
         error_code=FLAG_NOT_FOUND, error_message=flag \"missing\" not found, \
         evaluation_context={targeting_key: \"user-1\", attributes: {}}"
    );
    api.shutdown();
}
