-- Every erasure request: seeds/erasure_requests.csv plus the var erasure_email_sha256s.
select lower(trim(email_sha256)) as email_sha256
from {{ ref('erasure_requests') }}
{%- for sha in var('erasure_email_sha256s') %}
union all
select lower(trim('{{ sha }}')) as email_sha256
{%- endfor %}
