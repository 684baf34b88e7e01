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
    or sums.n_units is distinct from expected.n_units
    or sums.sum_y is distinct from expected.sum_y
    or sums.sum_y2 is distinct from expected.sum_y2
    or sums.sum_x is distinct from expected.sum_x
    or sums.sum_x2 is distinct from expected.sum_x2
    or sums.sum_xy is distinct from expected.sum_xy
