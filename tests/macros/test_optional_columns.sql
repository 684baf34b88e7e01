-- optional_columns: present columns pass through, absent ones are null.
with

selected as (
    select
        {{ optional_columns(ref('exchange_rates'), ['currency_code', 'no_such_column']) }}
    from {{ ref('exchange_rates') }}
)

select *
from selected
where currency_code is null or no_such_column is not null
