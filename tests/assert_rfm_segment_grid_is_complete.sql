-- Every one of the 25 (recency, frequency-monetary) cells must name a segment,
-- or some buyers would get no segment.
with

grid as (
    select
        recency_scores.recency_score,
        frequency_monetary_scores.frequency_monetary_score
    from range(1, 6) as recency_scores (recency_score)
    cross join range(1, 6) as frequency_monetary_scores (frequency_monetary_score)
)

select grid.*
from grid
left join {{ ref('rfm_segments') }} as segments
    on grid.recency_score = segments.recency_score
    and grid.frequency_monetary_score = segments.frequency_monetary_score
where segments.rfm_segment is null
