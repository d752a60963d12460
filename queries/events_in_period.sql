-- name: events_in_period
-- The context events that touch a period, in the cities asked for (events everywhere, with
-- no city, always), oldest first: drawn on the time charts, listed in briefs and in the
-- downloads' context. No count: the door hides nothing here, but it keeps the rows of the
-- `audience:` column marked internal from donors and from anything public.
-- params: start, end, cities
-- level: city
-- grain: none
-- audience: audience
SELECT event_id, starts, ends, city, kind, label_fr, label_en, audience
FROM context_events
WHERE starts <= $end
  AND coalesce(ends, starts) >= $start
  AND (city IS NULL OR len($cities) = 0 OR city IN $cities)
ORDER BY starts, coalesce(ends, starts), event_id
