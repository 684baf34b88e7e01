-- band_reached: the highest band whose minimum the value reaches (inclusive); null below every band or for null.
with bands (label, floor_value) as (
    values
    ('low', 0.0),
    ('mid', 0.5),
    ('high', 0.8)
),

cases (value, expected) as (
    values
    (0.0, 'low'),
    (0.49, 'low'),
    (0.5, 'mid'),
    (0.8, 'high'),
    (1.0, 'high'),
    (-0.1, null),
    (null, null)
),

placed as (
    select
        value,
        expected,
        {{ band_reached('bands', 'label', 'floor_value', 'cases.value') }} as got
    from cases
)

select
    value,
    expected,
    got
from placed
where got is distinct from expected
