-- parse_boolean: common spellings of true and false; anything else is null.
with cases (input, expected) as (
    values
    ('true', true), ('TRUE', true), (' t ', true), ('yes', true), ('Y', true), ('1', true),
    ('false', false), ('F', false), ('no', false), ('n', false), ('0', false),
    ('maybe', null), ('', null), (null, null)
)

select *
from cases
where {{ parse_boolean('input') }} is distinct from expected
