{% macro raw_tables() %}
    {#- The raw contract's tables, each with the base model that classifies its
        rows and the staging model that holds the accepted ones, and the
        project's own files counted the same way: the HTTP API's exposure log
        (not a raw contract table), whose well-formed rows are then resolved to
        customers and experiments by a later model ('resolved': it keeps the
        accepted rows and rejects the others with a reason). One list, used by
        the audit models. -#}
    {{ return([
        {'source_name': 'crm', 'source_table': 'crm_contacts', 'base': 'base_crm__contacts', 'staging': 'stg_crm__contacts'},
        {'source_name': 'shop', 'source_table': 'products', 'base': 'base_shop__products', 'staging': 'stg_shop__products'},
        {'source_name': 'shop', 'source_table': 'orders', 'base': 'base_shop__orders', 'staging': 'stg_shop__orders'},
        {'source_name': 'shop', 'source_table': 'order_items', 'base': 'base_shop__order_items', 'staging': 'stg_shop__order_items'},
        {'source_name': 'web', 'source_table': 'web_events', 'base': 'base_web__events', 'staging': 'stg_web__events'},
        {'source_name': 'esp', 'source_table': 'email_events', 'base': 'base_esp__email_events', 'staging': 'stg_esp__email_events'},
        {'source_name': 'esp', 'source_table': 'email_subscriptions', 'base': 'base_esp__subscriptions', 'staging': 'stg_esp__subscriptions'},
        {'source_name': 'esp', 'source_table': 'campaigns', 'base': 'base_esp__campaigns', 'staging': 'stg_esp__campaigns'},
        {'source_name': 'experiments', 'source_table': 'experiment_assignments', 'base': 'base_experiments__assignments', 'staging': 'stg_experiments__assignments'},
        {'source_name': 'api', 'source_table': 'api_exposures', 'base': 'base_api__exposures', 'staging': 'stg_api__exposures', 'resolved': 'int_experiment_exposures_resolved'},
    ]) }}
{% endmacro %}
