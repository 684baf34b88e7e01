-- experiment_moment_sums: counts, sums, squares and cross-products per group.
with cases (grp, y, x) as (
    values
    ('a', 1.0, 2.0),
    ('a', 3.0, 0.0),
    ('b', 0.0, 5.0)
),

sums as (
    select
        grp,
        {{ experiment_moment_sums('y', 'x') }}
    from cases
    group by grp
),

expected (grp, n_units, sum_y, sum_y2, sum_x, sum_x2, sum_xy) as (
    values
    ('a', 2, 4.0, 10.0, 2.0, 4.0, 2.0),
    ('b', 1, 0.0, 0.0, 5.0, 25.0, 0.0)
)

select expected.grp
from expected
left join sums
    on expected.grp = sums.grp
where sums.grp is null
    or (sums.n_units, sums.sum_y, sums.sum_y2, sums.sum_x, sums.sum_x2, sums.sum_xy)
    is distinct from (expected.n_units, expected.sum_y, expected.sum_y2, expected.sum_x, expected.sum_x2, expected.sum_xy)
