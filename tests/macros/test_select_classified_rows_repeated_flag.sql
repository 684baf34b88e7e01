-- select_classified_rows with repeated_flag (the keys held by more than one row,
-- repeated_keys_cte, joined to the rows beforehand) gives the very rows it gives
-- without: the same reasons, duplicates and raw records, and no flag column (EXCEPT
-- fails on a different column count). Keys alone, repeated, conflicting, null and
-- rejected are all here.
with cases (listed, row_key, version_at, content, rejection_reason) as (
    values
    (1, 'a', 1, 'x', null),
    (2, 'a', 1, 'x', null),
    (3, 'b', 1, 'x', null),
    (4, 'b', 1, 'y', null),
    (5, 'c', 2, 'new', null),
    (6, 'c', 1, 'old', null),
    (7, 'e', 1, 'x', null),
    (8, 'e', 1, 'y', 'invalid_status'),
    (9, 'f', 1, 'x', null),
    (10, 'g', 1, 'x', 'invalid_status'),
    (11, null, 1, 'x', null),
    (12, null, 1, 'y', null),
    (13, 'h', 1, 'x', 'invalid_status'),
    (14, 'h', 1, 'x', 'invalid_status')
),

classified as (
    select
        *,
        listed as raw_hash,
        {{ json_object([('row_key', 'row_key'), ('content', 'content')]) }} as raw_row
    from cases
),

repeated_keys as (
    {{ repeated_keys_cte('cases', 'row_key') }}
),

flagged_rows as (
    select
        classified.*,
        repeated_keys.repeated_key is not null as has_repeated_key
    from classified
    left join repeated_keys
        on classified.row_key = repeated_keys.repeated_key
),

plain as (
    {{ select_classified_rows('classified', 'row_key', 'version_at desc', compare='content', version='version_at') }}
),

flagged as (
    {{ select_classified_rows(
        'flagged_rows', 'row_key', 'version_at desc', compare='content', version='version_at',
        repeated_flag='has_repeated_key',
    ) }}
),

only_flagged as (
    select listed, row_key, rejection_reason, is_duplicate, raw_record from flagged
    except
    select listed, row_key, rejection_reason, is_duplicate, raw_record from plain
),

only_plain as (
    select listed, row_key, rejection_reason, is_duplicate, raw_record from plain
    except
    select listed, row_key, rejection_reason, is_duplicate, raw_record from flagged
),

same_columns as (
    select * from flagged
    except
    select * from plain
)

select 'only with the flag' as side, listed from only_flagged
union all
select 'only without it' as side, listed from only_plain
union all
select 'differs in a column' as side, listed from same_columns
