-- number_var: numeric vars come back as the same number.
with cases (actual, expected) as (
    values
    ({{ number_var('max_line_amount') }}::double, 1e12),
    ({{ number_var('lifecycle_at_risk_days') }}::double, {{ var('lifecycle_at_risk_days') }})
)

select *
from cases
where actual is distinct from expected
