-- ROOM-13, SAFE-173: the clientID bindings a turn introduced go in the group commit's own call, so a first
-- edit costs one transaction (one WAL flush), not two, and a binding is durable exactly when the updates that
-- use it are. The 8-argument sparkroom_append (0004) stays for nodes not yet upgraded; this overload adds the
-- bindings as flat arrays (bind_docs points into doc_names) and answers, besides the heads, a row for each
-- clientID another user had bound first (first come, first served: ON CONFLICT DO NOTHING, then read the
-- owner in a new statement, which sees a concurrent node's committed row).
CREATE OR REPLACE FUNCTION "public"."sparkroom_append"(
	fence_rooms text[],
	fence_numbers int8[],
	doc_names text[],
	doc_bases int8[],
	row_docs int4[],
	row_offsets int8[],
	row_data bytea[],
	row_crcs int8[],
	bind_docs int4[],
	bind_clients int8[],
	bind_users text[]
) RETURNS TABLE (doc_index int4, last_seq int8, through_seq int8, log_bytes int8, client_id int8, owner text)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY
	SELECT a.doc_index, a.last_seq, a.through_seq, a.log_bytes, NULL::int8, NULL::text
	FROM "public"."sparkroom_append"(fence_rooms, fence_numbers, doc_names, doc_bases, row_docs, row_offsets,
		row_data, row_crcs) AS a;
	IF coalesce(array_length(bind_docs, 1), 0) = 0 THEN
		RETURN;
	END IF;
	INSERT INTO client_bindings (doc_name, client_id, user_id)
	SELECT doc_names[b.d], b.c, b.u FROM unnest(bind_docs, bind_clients, bind_users) AS b(d, c, u)
	ON CONFLICT DO NOTHING;
	RETURN QUERY
	SELECT b.d, NULL::int8, NULL::int8, NULL::int8, cb.client_id, cb.user_id
	FROM unnest(bind_docs, bind_clients, bind_users) AS b(d, c, u)
	JOIN client_bindings cb ON cb.doc_name = doc_names[b.d] AND cb.client_id = b.c
	WHERE cb.user_id <> b.u;
END
$$;
