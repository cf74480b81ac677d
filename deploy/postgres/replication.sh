#!/bin/sh
# Run once by the postgres image when it creates the primary's data directory
# (docker-entrypoint-initdb.d): let the replica service stream from it. Trust, as the image's
# own rule for the compose network, which nothing outside reaches.
set -e
echo "host replication all all trust" >>"$PGDATA/pg_hba.conf"
