-- select_classified_rows: rows of one key that differ in the compared columns are all
-- rejected as conflicting_duplicate; equal ones are duplicates after the first; with a
-- version column only ties on the latest version are compared; rejected rows are never
-- compared and keep their reason; a row alone with its key is neither.
with cases (listed, row_key, version_at, content, rejection_reason, expected_reason, expected_duplicate) as (
    values
    -- same content: one survivor, one duplicate
    (1, 'a', 1, 'x', null, null, false),
    (2, 'a', 1, 'x', null, null, true),
    -- different content: both rejected, neither a duplicate
    (3, 'b', 1, 'x', null, 'conflicting_duplicate', false),
    (4, 'b', 1, 'y', null, 'conflicting_duplicate', false),
    -- a later version is an update: the latest wins, the older differs but is a duplicate
    (5, 'c', 2, 'new', null, null, false),
    (6, 'c', 1, 'old', null, null, true),
    -- a tie on the latest version conflicts; the older version stays superseded
    (7, 'd', 2, 'x', null, 'conflicting_duplicate', false),
    (8, 'd', 2, 'y', null, 'conflicting_duplicate', false),
    (9, 'd', 1, 'x', null, null, true),
    -- a rejected row does not make its key conflict
    (10, 'e', 1, 'x', null, null, false),
    (11, 'e', 1, 'y', 'invalid_status', 'invalid_status', false),
    -- a key of one row, accepted or rejected: neither duplicate nor conflicting
    (12, 'f', 1, 'x', null, null, false),
    (13, 'g', 1, 'x', 'invalid_status', 'invalid_status', false)
),

classified as (
    select
        *,
        -- the raw hash breaks ties: here the first row listed survives
        listed as raw_hash,
        {{ json_object([('row_key', 'row_key'), ('content', 'content')]) }} as raw_row
    from cases
),

selected as (
    {{ select_classified_rows('classified', 'row_key', 'version_at desc', compare='content', version='version_at') }}
)

select *
from selected
where rejection_reason is distinct from expected_reason
    or is_duplicate is distinct from expected_duplicate
    or (rejection_reason is not null) != (raw_record is not null)
