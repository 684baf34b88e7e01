-- spreadsheet_safe: cells a spreadsheet would execute get a leading quote; numbers and ordinary text stay as they are.
with cases (input, expected) as (
    values
    ('=HYPERLINK("http://evil.example","x")', '''=HYPERLINK("http://evil.example","x")'),
    ('+cmd|'' /C calc''!A0', '''+cmd|'' /C calc''!A0'),
    ('-2+3+cmd|'' /C calc''!A0', '''-2+3+cmd|'' /C calc''!A0'),
    ('@SUM(1+1)*cmd|'' /C calc''!A0', '''@SUM(1+1)*cmd|'' /C calc''!A0'),
    (chr(9) || '=1+1', '''' || chr(9) || '=1+1'),
    (chr(13) || '=1+1', '''' || chr(13) || '=1+1'),
    ('-12.5', '-12.5'),
    ('+3', '+3'),
    ('-1e5', '-1e5'),
    ('Ann-Marie', 'Ann-Marie'),
    ('ann@example.com', 'ann@example.com'),
    ('a=b', 'a=b'),
    ('', ''),
    (null, null)
)

select *
from cases
where {{ spreadsheet_safe('input') }} is distinct from expected
