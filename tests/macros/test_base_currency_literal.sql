-- base_currency_literal: the var base_currency as a string literal, equal to the var.
select {{ base_currency_literal() }} as got
where {{ base_currency_literal() }} is distinct from {{ quote_literal(var('base_currency')) }}
