-- quote_literal: the literal reads back as the original text, apostrophes included.
with cases (actual, expected) as (
    values
    ({{ quote_literal("plain") }}, 'plain'),
    ({{ quote_literal("o'brien data") }}, 'o''brien data'),
    ({{ quote_literal("''") }}, ''''''),
    ({{ quote_literal("x'); select 1; --") }}, 'x''); select 1; --'),
    ({{ quote_literal("") }}, '')
)

select *
from cases
where actual is distinct from expected
