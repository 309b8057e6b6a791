//! Providers written for the `open-feature` crate (0.3), evaluated through this SDK with
//! `OpenFeatureProvider`: the crate's own `NoOpProvider` and its mockall `MockFeatureProvider`,
//! and a provider whose futures need a tokio runtime.

use open_feature::provider::{
    FeatureProvider as OfProvider, MockFeatureProvider, NoOpProvider,
    ProviderMetadata as OfMetadata, ProviderStatus as OfStatus, ResolutionDetails as OfDetails,
};
use open_feature::{
    EvaluationContext as OfContext, EvaluationError as OfError, EvaluationErrorCode,
    EvaluationReason, EvaluationResult, FlagMetadata as OfFlagMetadata, StructValue as OfStruct,
};
use openfeature_sdk::{
    Api, ErrorCode, EvaluationContext, OpenFeatureProvider, ProviderStatus, Reason, Value,
};
use std::sync::Arc;
use std::time::Duration;

/// A mock that is ready after `initialize` (called exactly once) and answers each type.
fn ready_mock() -> MockFeatureProvider {
    let mut mock = MockFeatureProvider::new();
    mock.expect_metadata()
        .return_const(OfMetadata::new("official mock"));
    mock.expect_initialize().times(1).return_const(());
    mock.expect_status().returning(|| OfStatus::Ready);
    mock
}

#[test]
fn the_crates_own_no_op_provider_answers_with_its_error_and_the_default() {
    let api = Api::new();
    let provider = OpenFeatureProvider::new(NoOpProvider::default());
    api.set_provider_and_wait(Arc::new(provider))
        .expect("a no-op provider initializes");
    assert_eq!(api.provider_metadata(None).name, "No-op Provider");
    let details = api.client().get_int_details("any", 7, None, None);
    assert_eq!(details.value, 7);
    assert_eq!(details.error_code, Some(ErrorCode::ProviderNotReady));
    assert_eq!(
        details.error_message.as_deref(),
        Some("No-op provider is never ready")
    );
    assert_eq!(details.reason, Some(Reason::Error));
    api.shutdown();
}

#[test]
fn a_mock_provider_resolves_every_type_with_the_merged_context() {
    let mut mock = ready_mock();
    mock.expect_resolve_bool_value()
        .returning(|key, context: &OfContext| {
            assert_eq!(key, "beta");
            // The API's context and the invocation's, merged by this SDK, reach the provider.
            assert_eq!(context.targeting_key.as_deref(), Some("user-1"));
            assert_eq!(context.custom_fields["region"].as_str(), Some("eu"));
            assert_eq!(context.custom_fields["seats"].as_i64(), Some(3));
            let mut metadata = OfFlagMetadata::default();
            metadata.add_value("owner", "growth");
            Ok(OfDetails::builder()
                .value(true)
                .variant("on")
                .reason(EvaluationReason::TargetingMatch)
                .flag_metadata(metadata)
                .build())
        });
    mock.expect_resolve_int_value()
        .returning(|_, _| Ok(OfDetails::new(42)));
    mock.expect_resolve_float_value()
        .returning(|_, _| Ok(OfDetails::new(0.25)));
    mock.expect_resolve_string_value().returning(|_, _| {
        Ok(OfDetails::builder()
            .value("blue".to_owned())
            .reason(EvaluationReason::Other("VENDOR_RULE".into()))
            .build())
    });
    mock.expect_resolve_struct_value().returning(|_, _| {
        Ok(OfDetails::new(
            OfStruct::default()
                .with_field("limit", 10)
                .with_field("labels", open_feature::Value::Array(vec!["a".into()])),
        ))
    });
    let api = Api::new();
    api.set_provider_and_wait(Arc::new(OpenFeatureProvider::new(mock)))
        .expect("the mock is ready");
    assert_eq!(api.provider_status(None), ProviderStatus::Ready);
    assert_eq!(api.provider_metadata(None).name, "official mock");
    api.set_context(EvaluationContext::new().with("region", "eu"));
    let client = api.client();
    let invocation = EvaluationContext::new()
        .with_targeting_key("user-1")
        .with("seats", 3);

    let details = client.get_bool_details("beta", false, Some(&invocation), None);
    assert!(details.value);
    assert_eq!(details.variant.as_deref(), Some("on"));
    assert_eq!(details.reason, Some(Reason::TargetingMatch));
    assert_eq!(details.error_code, None);
    assert_eq!(
        details.flag_metadata.get("owner"),
        Some(&Value::String("growth".into()))
    );
    assert_eq!(client.get_int_value("n", 0, None, None), 42);
    assert_eq!(client.get_float_value("f", 0.0, None, None), 0.25);
    let details = client.get_string_details("colour", "red", None, None);
    assert_eq!(details.value, "blue");
    assert_eq!(details.reason, Some(Reason::Other("VENDOR_RULE".into())));
    let object = client.get_object_value("limits", Value::Bool(false), None, None);
    assert_eq!(
        object,
        Value::Struct(
            [
                ("labels".to_owned(), Value::Array(vec!["a".into()])),
                ("limit".to_owned(), Value::Int(10)),
            ]
            .into()
        )
    );
    api.shutdown();
}

#[test]
fn a_provider_error_reaches_the_caller_with_its_code_and_message() {
    let mut mock = ready_mock();
    mock.expect_resolve_string_value().returning(|_, _| {
        Err(OfError::builder()
            .code(EvaluationErrorCode::General("backend unavailable".into()))
            .build())
    });
    mock.expect_resolve_bool_value().returning(|_, _| {
        Err(OfError::builder()
            .code(EvaluationErrorCode::FlagNotFound)
            .message("no flag named missing")
            .build())
    });
    let api = Api::new();
    api.set_provider_and_wait(Arc::new(OpenFeatureProvider::new(mock)))
        .unwrap();
    let details = api.client().get_string_details("colour", "red", None, None);
    assert_eq!(details.value, "red");
    assert_eq!(details.error_code, Some(ErrorCode::General));
    assert_eq!(
        details.error_message.as_deref(),
        Some("backend unavailable")
    );
    let details = api.client().get_bool_details("missing", true, None, None);
    assert!(details.value);
    assert_eq!(details.error_code, Some(ErrorCode::FlagNotFound));
    assert_eq!(
        details.error_message.as_deref(),
        Some("no flag named missing")
    );
    api.shutdown();
}

#[test]
fn a_provider_in_error_after_initialize_fails_the_binding() {
    let mut mock = MockFeatureProvider::new();
    mock.expect_metadata()
        .return_const(OfMetadata::new("broken"));
    mock.expect_initialize().times(1).return_const(());
    mock.expect_status().returning(|| OfStatus::Error);
    mock.expect_resolve_bool_value()
        .returning(|_, _| Ok(OfDetails::new(false)));
    let api = Api::new();
    let outcome = api.set_provider_and_wait(Arc::new(OpenFeatureProvider::new(mock)));
    let error = outcome.expect_err("status ERROR after initialize is a failed initialization");
    assert_eq!(error.code, ErrorCode::General);
    assert_eq!(
        error.message.as_deref(),
        Some("provider \"broken\" reports status ERROR after initialize")
    );
    assert_eq!(api.provider_status(None), ProviderStatus::Error);
    // A provider in ERROR is still asked (spec 1.7: only NOT_READY and FATAL short-circuit).
    assert!(!api.client().get_bool_value("flag", true, None, None));
    api.shutdown();
}

/// A provider whose resolution awaits a tokio timer: pending on its first poll, so the adapter
/// must park the evaluating thread and have the runtime's timer wake it.
struct SlowProvider {
    metadata: OfMetadata,
}

#[open_feature::async_trait]
impl OfProvider for SlowProvider {
    fn metadata(&self) -> &OfMetadata {
        &self.metadata
    }

    async fn resolve_bool_value(
        &self,
        _: &str,
        _: &OfContext,
    ) -> EvaluationResult<OfDetails<bool>> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        Ok(OfDetails::new(true))
    }

    async fn resolve_int_value(&self, _: &str, _: &OfContext) -> EvaluationResult<OfDetails<i64>> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        Ok(OfDetails::new(5))
    }

    async fn resolve_float_value(
        &self,
        _: &str,
        _: &OfContext,
    ) -> EvaluationResult<OfDetails<f64>> {
        Ok(OfDetails::new(0.5))
    }

    async fn resolve_string_value(
        &self,
        _: &str,
        _: &OfContext,
    ) -> EvaluationResult<OfDetails<String>> {
        Ok(OfDetails::new("s".to_owned()))
    }

    async fn resolve_struct_value(
        &self,
        _: &str,
        _: &OfContext,
    ) -> EvaluationResult<OfDetails<OfStruct>> {
        Ok(OfDetails::new(OfStruct::default()))
    }
}

fn slow() -> SlowProvider {
    SlowProvider {
        metadata: OfMetadata::new("slow"),
    }
}

#[test]
fn a_provider_that_needs_a_runtime_runs_in_the_one_it_is_given() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let api = Api::new();
    let provider = OpenFeatureProvider::new(slow()).with_runtime(runtime.handle().clone());
    api.set_provider_and_wait(Arc::new(provider)).unwrap();
    // Evaluated from this plain thread and from two more at once.
    assert!(api.client().get_bool_value("flag", false, None, None));
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for _ in 0..5 {
                    assert_eq!(api.client().get_int_value("n", 0, None, None), 5);
                }
            });
        }
    });
    api.shutdown();
}

#[test]
fn inside_a_runtime_the_adapter_uses_the_ambient_one() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let api = Api::new();
    api.set_provider_and_wait(Arc::new(OpenFeatureProvider::new(slow())))
        .unwrap();
    let client = api.client();
    let value = runtime.block_on(async move {
        tokio::spawn(async move { client.get_bool_value("flag", false, None, None) })
            .await
            .unwrap()
    });
    assert!(value);
    api.shutdown();
}
