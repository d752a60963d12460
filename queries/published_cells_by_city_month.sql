-- name: published_cells_by_city_month
-- The cells of an audience's published set (terrain/disclosure/publication.py) for some
-- measures and breakdowns, per city and month of a period: what the door reads, in place of
-- the rows, for donors and public outputs (terrain/disclosure/views.py shapes them as the
-- page's query).
-- A hidden cell has no value, only its status.
-- params: audience, measures, breakdowns, start, end, cities
-- level: city
-- grain: month
SELECT measure, breakdown, category, city, month AS period, value, status
FROM published_cells
WHERE audience = $audience
  AND measure IN $measures
  AND breakdown IN $breakdowns
  AND city <> '*'
  AND month BETWEEN $start AND $end
  AND (len($cities) = 0 OR city IN $cities)
ORDER BY period, city, measure, breakdown, category
