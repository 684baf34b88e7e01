{{ customer_features_at("select " ~ as_of_timestamp() ~ " as cutoff_at") }}
