#!/bin/sh
# Entry point of the db service (scripts/container-db.Containerfile): on
# first start a cluster in $PGDATA whose superuser is $POSTGRES_USER with
# the password $POSTGRES_PASSWORD, and the database $POSTGRES_DB, as the
# official postgres image does; then PostgreSQL 15 in the foreground,
# listening on every address of the container (password logins only).
set -e
bin=/usr/lib/postgresql/15/bin
: "${PGDATA:=/var/lib/postgresql/data/pgdata}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -z "${POSTGRES_PASSWORD:-}" ]; then
		echo "db: POSTGRES_PASSWORD must be set on first start (the superuser's password)" >&2
		exit 2
	fi
	# made aside and renamed when complete: a start stopped half-way leaves
	# no cluster that a later start would take for a finished one
	new="$PGDATA.new"
	rm -rf "$new"
	pw=$(mktemp)
	printf '%s\n' "$POSTGRES_PASSWORD" > "$pw"
	"$bin/initdb" -D "$new" -U "$POSTGRES_USER" --pwfile="$pw" -E UTF8 --locale=C.UTF-8 \
		--auth-local=trust --auth-host=scram-sha-256 >/dev/null
	rm -f "$pw"
	echo "host all all all scram-sha-256" >> "$new/pg_hba.conf"
	cat >> "$new/postgresql.conf" <<-'CONF'
	listen_addresses = '*'
	unix_socket_directories = '/tmp'
	CONF
	if [ "$POSTGRES_DB" != postgres ]; then
		echo "CREATE DATABASE \"$POSTGRES_DB\"" |
			"$bin/postgres" --single -D "$new" -j postgres >/dev/null
	fi
	sync
	mv "$new" "$PGDATA"
	echo "db: cluster made in $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
fi
exec "$bin/postgres" -D "$PGDATA"
