{{ config(severity='warn', tags=['audit']) }}
{#- A raw table whose share of rejected rows is unusual: most likely a broken
    loader (a column in a new format, epoch integers, a shifted header) rather
    than dirty data. Warns, never fails: the build goes on and the operator sees
    WARN with the table, its share and its top reasons.

    The share leaves out rows rejected only for being at or after as_of
    (after_as_of_date, order_rejected:after_as_of_date): a backtest's choice,
    not a fault. share = other rejected rows / (raw rows - those rows). It warns
    when the share is above var rejected_share_warn_threshold (or the table's
    entry in var rejected_share_warn_table_thresholds) and at least var
    rejected_share_warn_min_rows rows are rejected, so one bad row in a small
    table stays quiet. -#}
{%- set overrides = var('rejected_share_warn_table_thresholds') or {} -%}
{%- if overrides is not mapping -%}
    {{ exceptions.raise_compiler_error(
        "var rejected_share_warn_table_thresholds must be a map of raw table to share, e.g. {order_items: 0.1} (got "
        ~ (overrides | string)[:80] ~ ")"
    ) }}
{%- endif -%}
{%- set known_tables = raw_tables() | map(attribute='source_table') | list -%}
{%- for table, share in overrides.items() -%}
    {%- if table not in known_tables or share is not number or share is boolean -%}
        {{ exceptions.raise_compiler_error(
            "var rejected_share_warn_table_thresholds: '" ~ table ~ "': " ~ (share | string)[:40]
            ~ " must map a raw table (" ~ known_tables | join(', ') ~ ") to a share between 0 and 1"
        ) }}
    {%- endif -%}
{%- endfor -%}

with

row_counts as (
    select
        source_table,
        raw_rows
    from {{ ref('audit_row_counts') }}
),

reasons as (
    select
        source_table,
        rejection_reason,
        rejection_reason in ('after_as_of_date', 'order_rejected:after_as_of_date') as is_after_as_of,
        count(*) as rejected_rows
    from {{ ref('audit_rejected_rows') }}
    group by source_table, rejection_reason
),

ranked_reasons as (
    select
        *,
        row_number() over (
            partition by source_table, is_after_as_of
            order by rejected_rows desc, rejection_reason asc
        ) as reason_rank
    from reasons
),

rejected as (
    select
        source_table,
        coalesce(sum(rejected_rows) filter (where not is_after_as_of), 0) as unusual_rows,
        coalesce(sum(rejected_rows) filter (where is_after_as_of), 0) as after_as_of_rows,
        -- the three most frequent reasons, in rank order (concat_ws skips the missing ones)
        nullif(
            concat_ws(
                ', '
                {%- for rank in [1, 2, 3] %},
                max(
                    case
                        when not is_after_as_of and reason_rank = {{ rank }}
                            then rejection_reason || ' ' || rejected_rows
                    end
                )
                {%- endfor %}
            ),
            ''
        ) as top_reasons
    from ranked_reasons
    group by source_table
),

thresholds (source_table, threshold) as (
    values
    {%- for table in known_tables %}
    (
        '{{ table }}',
        {{ overrides[table] if table in overrides else number_var('rejected_share_warn_threshold') }}
    ){{ ',' if not loop.last }}
    {%- endfor %}
),

shares as (
    select
        row_counts.source_table,
        row_counts.raw_rows,
        rejected.unusual_rows as rejected_rows,
        rejected.after_as_of_rows,
        rejected.unusual_rows / nullif(row_counts.raw_rows - rejected.after_as_of_rows, 0) as rejected_share,
        thresholds.threshold,
        rejected.top_reasons
    from row_counts
    inner join rejected
        on row_counts.source_table = rejected.source_table
    inner join thresholds
        on row_counts.source_table = thresholds.source_table
)

select
    source_table,
    raw_rows,
    rejected_rows,
    after_as_of_rows,
    round(rejected_share, 4) as rejected_share,
    threshold,
    top_reasons,
    'look at audit_rejected_rows for this table: a loader may have changed a column format' as what_to_do
from shares
where rejected_rows >= {{ number_var('rejected_share_warn_min_rows') }}
    and rejected_share > threshold
