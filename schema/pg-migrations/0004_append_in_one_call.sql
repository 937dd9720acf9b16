-- The group commit in one round trip (ROOM-3, CLUSTER-2, CLUSTER-41): the fencing check of every fenced
-- room and the rows of every document of one event-loop turn, in one call that runs as one statement, so
-- one transaction. Rows come as flat arrays (row_docs points into doc_names); a document's base seq comes
-- from the caller's cache of what it last wrote or loaded; a null base (nothing cached) is read here, and
-- only for those documents the head is answered. A stored fence above the caller's fails the whole call
-- with SQLSTATE SR409 before anything is written.
CREATE OR REPLACE FUNCTION "public"."sparkroom_append"(
	fence_rooms text[],
	fence_numbers int8[],
	doc_names text[],
	doc_bases int8[],
	row_docs int4[],
	row_offsets int8[],
	row_data bytea[],
	row_crcs int8[]
) RETURNS TABLE (doc_index int4, last_seq int8, through_seq int8, log_bytes int8)
LANGUAGE plpgsql AS $$
DECLARE
	held text[];
	bases int8[] := doc_bases;
	i int4;
BEGIN
	IF coalesce(array_length(fence_rooms, 1), 0) > 0 THEN
		-- In room order, so two nodes' calls lock fence rows in the same order.
		WITH raised AS (
			INSERT INTO room_fences AS f (room_id, fence)
			SELECT r, n FROM unnest(fence_rooms, fence_numbers) AS u(r, n) ORDER BY r
			ON CONFLICT (room_id) DO UPDATE SET fence = excluded.fence WHERE f.fence <= excluded.fence
			RETURNING f.room_id
		)
		SELECT coalesce(array_agg(room_id), '{}') INTO held FROM raised;
		IF coalesce(array_length(held, 1), 0) < array_length(fence_rooms, 1) THEN
			RAISE EXCEPTION USING ERRCODE = 'SR409',
				MESSAGE = 'a newer owner holds room ' || (
					SELECT string_agg(r, ', ') FROM unnest(fence_rooms) AS r WHERE r <> ALL (held)
				);
		END IF;
	END IF;
	FOR i IN 1 .. coalesce(array_length(doc_names, 1), 0) LOOP
		IF bases[i] IS NULL THEN
			bases[i] := greatest(
				coalesce((SELECT max(u.seq) FROM doc_updates u WHERE u.doc_name = doc_names[i]), 0),
				coalesce((SELECT s.through_seq FROM doc_snapshots s WHERE s.doc_name = doc_names[i]), 0)
			);
		END IF;
	END LOOP;
	INSERT INTO doc_updates (doc_name, seq, data, crc32)
	SELECT doc_names[r.d], bases[r.d] + r.o, r.data, r.crc
	FROM unnest(row_docs, row_offsets, row_data, row_crcs) AS r(d, o, data, crc);
	RETURN QUERY
	SELECT d.i, bases[d.i] + (SELECT count(*) FROM unnest(row_docs) AS x WHERE x = d.i), s.through_seq,
		(SELECT coalesce(sum(octet_length(u.data)), 0)::int8 FROM doc_updates u
		 WHERE u.doc_name = doc_names[d.i] AND u.seq > s.through_seq)
	FROM generate_subscripts(doc_names, 1) AS d(i),
		LATERAL (SELECT coalesce((SELECT sn.through_seq FROM doc_snapshots sn WHERE sn.doc_name = doc_names[d.i]), 0)
			AS through_seq) AS s
	WHERE doc_bases[d.i] IS NULL;
END
$$;
