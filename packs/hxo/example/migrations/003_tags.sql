-- Tag search, and tags normalised to lower case.
CREATE INDEX note_tags_by_tag ON note_tags (tag, note_id);
UPDATE note_tags SET tag = lower(tag) WHERE tag <> lower(tag);
