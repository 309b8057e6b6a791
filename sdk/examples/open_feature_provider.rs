//! A provider written for the `open-feature` crate, evaluated through this SDK.
//! `cargo run -p openfeature-sdk --features open-feature-compat --example open_feature_provider`

use open_feature::provider::{FeatureProvider, ProviderMetadata, ResolutionDetails};
use open_feature::{EvaluationContext, EvaluationReason, EvaluationResult, StructValue};
use openfeature_sdk::{Api, OpenFeatureProvider, Reason};
use std::sync::Arc;

/// An `open-feature` provider: on for targeting keys that start with "beta-".
struct BetaUsers {
    metadata: ProviderMetadata,
}

#[open_feature::async_trait]
impl FeatureProvider for BetaUsers {
    fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    async fn resolve_bool_value(
        &self,
        _flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<bool>> {
        let beta = context
            .targeting_key
            .as_deref()
            .is_some_and(|key| key.starts_with("beta-"));
        Ok(ResolutionDetails::builder()
            .value(beta)
            .reason(EvaluationReason::TargetingMatch)
            .build())
    }

    async fn resolve_int_value(
        &self,
        _: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<i64>> {
        Ok(ResolutionDetails::new(0))
    }

    async fn resolve_float_value(
        &self,
        _: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<f64>> {
        Ok(ResolutionDetails::new(0.0))
    }

    async fn resolve_string_value(
        &self,
        _: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<String>> {
        Ok(ResolutionDetails::new(String::new()))
    }

    async fn resolve_struct_value(
        &self,
        _: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<StructValue>> {
        Ok(ResolutionDetails::new(StructValue::default()))
    }
}

fn main() {
    let api = Api::new();
    let provider = OpenFeatureProvider::new(BetaUsers {
        metadata: ProviderMetadata::new("beta-users"),
    });
    api.set_provider_and_wait(Arc::new(provider)).unwrap();
    let client = api.client();
    for user in ["beta-ana", "bo"] {
        let context = openfeature_sdk::EvaluationContext::new().with_targeting_key(user);
        let details = client.get_bool_details("new-search", false, Some(&context), None);
        println!("{user}: {} ({:?})", details.value, details.reason);
        assert_eq!(details.value, user.starts_with("beta-"));
        assert_eq!(details.reason, Some(Reason::TargetingMatch));
    }
    println!("provider: {}", api.provider_metadata(None).name);
    api.shutdown();
}
