{#-
    Trigger audiences for list syncs: one row per contactable email and active
    trigger (the latest when a trigger fired twice), with the product the email
    is about; a trigger without a product (welcome) shows the top bestseller.
#}

with

audiences as (
    select * from {{ ref('fct_trigger_audiences') }}
    where is_active
),

emails as (
    select
        customer_id,
        email
    from {{ ref('fct_contactability') }}
    where is_primary_email and is_contactable
),

top_bestseller as (
    select * from {{ ref('dim_products') }}
    where overall_rank = 1
),

latest as (
    select
        emails.email,
        audiences.*
    from audiences
    inner join emails
        on audiences.customer_id = emails.customer_id
    qualify
        row_number() over (
            partition by audiences.customer_id, audiences.trigger_type
            order by audiences.triggered_at desc, audiences.trigger_id desc
        ) = 1
),

content as (
    select
        md5(latest.email || '|' || latest.trigger_type) as audience_member_id,
        latest.email,
        latest.trigger_type as audience,
        latest.triggered_at,
        latest.expires_at,
        left(coalesce(latest.product_name, top_bestseller.product_name), 255) as product_name,
        left(coalesce(latest.product_url, top_bestseller.product_url), 255) as product_url,
        left(coalesce(latest.image_url, top_bestseller.image_url), 255) as product_image_url,
        {{ format_price('coalesce(latest.price, top_bestseller.price)', base_currency_literal()) }}
            as product_price
    from latest
    left join top_bestseller
        on true
)

{{ select_with_change_tracking('content', 'audience_member_id') }}
