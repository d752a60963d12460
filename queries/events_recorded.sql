-- name: events_recorded
-- Every context event as recorded, internal ones too, newest first: the managers' page and
-- `python -m terrain events list`. No figure: context for the charts (terrain/events.py).
-- params:
-- level: programme
-- grain: none
SELECT event_id, starts, ends, city, kind, label_fr, label_en, audience, recorded_by, recorded_at
FROM context_events
ORDER BY starts DESC, event_id
