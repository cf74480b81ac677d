"""notifications_reference_new() without the aggregate: the same reference (16 symbols of
notifications/references.py's alphabet, each uniform and independent: 80 random bits) from
12 random bytes of two v4 UUIDs (the bytes that hold no version or variant bits) in base64,
whose 64 symbols map two to one onto the 32 of the alphabet. About 2.3x faster a call (a
200,000-row test under load: 5.0 s against 11.8 s); campaign builds make one per notice."""

from django.db import migrations

FASTER = """
CREATE OR REPLACE FUNCTION notifications_reference_new() RETURNS text
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT translate(encode(substring(uuid_send(gen_random_uuid()) FROM 1 FOR 6)
                          || substring(uuid_send(gen_random_uuid()) FROM 10 FOR 6), 'base64'),
                   'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
                   '0123456789ABCDEFGHJKMNPQRSTVWXYZ0123456789ABCDEFGHJKMNPQRSTVWXYZ')
$$;
"""

BEFORE = """
CREATE OR REPLACE FUNCTION notifications_reference_new() RETURNS text
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (get_byte(b, i) % 32) + 1, 1), ''
                    ORDER BY i)
  FROM (SELECT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
                      'hex') AS b) AS random_bytes,
       unnest(ARRAY[0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]) AS i
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("notifications", "0018_personal_links_in_notices")]

    operations = [migrations.RunSQL(FASTER, BEFORE)]
