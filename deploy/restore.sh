#!/usr/bin/env bash
# Restore a yoyaku backup (deploy/backup.sh) into a fresh database and data directory:
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/yoyaku_restored \
#   YOYAKU_DATA_DIR=/var/lib/yoyaku-restored deploy/restore.sh yoyaku-20260601T023000Z.tar
# Checks the archive's checksums first. Creates the database when it does not exist (through
# the server's `postgres` database, with the same user) and refuses one that has tables, or a
# data directory whose private/ is not empty: a restore never mixes with live data. Then run
# `manage.py migrate` (a newer release's migrations) and start the site.
# Needs bash, pg_restore and psql (the dump's major version or newer), tar and sha256sum.
set -euo pipefail

die() { echo "restore: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: restore.sh ARCHIVE.tar"
archive=$1
: "${DATABASE_URL:?DATABASE_URL is not set}"
: "${YOYAKU_DATA_DIR:?YOYAKU_DATA_DIR is not set}"
[ -f "$archive" ] || die "no such archive: $archive"
[ -f "$archive.sha256" ] || die "no checksum beside the archive: $archive.sha256"

(cd "$(dirname "$archive")" && sha256sum --check --quiet "$(basename "$archive").sha256") \
  || die "checksum mismatch: $archive is damaged"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xf "$archive"
inner=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'yoyaku-*' | head -n 1)
[ -n "$inner" ] || die "not a yoyaku backup: $archive"
(cd "$inner" && sha256sum --check --quiet SHA256SUMS) || die "checksum mismatch inside $archive"

private="$YOYAKU_DATA_DIR/private"
if [ -d "$private" ] && [ -n "$(ls -A "$private")" ]; then
  die "$private is not empty"
fi

# postgres://user:password@host:port/name?options → name, and the same URL for `postgres`.
path=${DATABASE_URL%%\?*}
query=${DATABASE_URL#"$path"}
dbname=${path##*/}
[[ $dbname =~ ^[A-Za-z0-9_]+$ ]] || die "unexpected database name: $dbname"
admin_url="${path%/*}/postgres$query"

exists=$(psql "$admin_url" -XtAc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")
if [ -z "$exists" ]; then
  psql "$admin_url" -Xqc "CREATE DATABASE \"$dbname\""
fi
tables=$(psql "$DATABASE_URL" -XtAc \
  "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
[ "$tables" = 0 ] || die "database $dbname is not empty ($tables tables)"

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname "$DATABASE_URL" "$inner/database.dump"

mkdir -p "$YOYAKU_DATA_DIR"
tar -C "$YOYAKU_DATA_DIR" -xf "$inner/private.tar"
echo "restored $archive into database $dbname and $YOYAKU_DATA_DIR"
