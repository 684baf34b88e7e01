-- safe_url: only absolute http(s) URLs pass; every scheme a client could execute or inline is null.
with cases (input, expected) as (
    values
    ('https://shop.example.com/p/1?utm=x#top', 'https://shop.example.com/p/1?utm=x#top'),
    ('  HTTP://Shop.Example.com/img.png ', 'HTTP://Shop.Example.com/img.png'),
    ('https://cdn.example.com', 'https://cdn.example.com'),
    ('javascript:alert(1)', null),
    ('JavaScript:alert(document.cookie)//https://x.com', null),
    ('data:text/html;base64,PHNjcmlwdD4=', null),
    ('data:image/png;base64,iVBORw0KGgo=', null),
    ('vbscript:msgbox(1)', null),
    ('//evil.example.com/x', null),
    ('/p/1', null),
    ('ftp://files.example.com/a', null),
    ('https://', null),
    ('https://x.com/a b', null),
    ('https://x.com/"onmouseover="alert(1)', null),
    (' ', null),
    (null, null)
)

select *
from cases
where {{ safe_url('input') }} is distinct from expected
