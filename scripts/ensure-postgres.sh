# Sourced by `make test`: make sure a PostgreSQL server answers and export its URL.
# On the development and CI machines one runs on 127.0.0.1:5432 with trust auth. Elsewhere
# install Debian's postgresql and start a throwaway cluster owned by this checkout.
: "${OPSBOT_TEST_PG_HOST:=127.0.0.1}"
: "${OPSBOT_TEST_PG_PORT:=5432}"
_pg_up() { pg_isready -q -h "$OPSBOT_TEST_PG_HOST" -p "$OPSBOT_TEST_PG_PORT" 2>/dev/null \
  || (exec 3<>/dev/tcp/$OPSBOT_TEST_PG_HOST/$OPSBOT_TEST_PG_PORT) 2>/dev/null; }
if ! _pg_up && ! OPSBOT_TEST_PG_PORT=55432 _pg_up; then
  echo "no PostgreSQL on $OPSBOT_TEST_PG_HOST:$OPSBOT_TEST_PG_PORT: starting a throwaway cluster"
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  fi
  _bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  _dir="${TMPDIR:-/tmp}/opsbot-pgcluster"  # outside the checkout: the postgres user must reach it
  OPSBOT_TEST_PG_PORT=55432
  if [ ! -f "$_dir/PG_VERSION" ]; then
    mkdir -p "$_dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$_dir"; _as="runuser -u postgres --"; else _as=""; fi
    $_as "$_bin/initdb" -D "$_dir" -U postgres --auth=trust >/dev/null
  fi
  if [ "$(id -u)" -eq 0 ]; then _as="runuser -u postgres --"; else _as=""; fi
  $_as "$_bin/pg_ctl" -D "$_dir" -o "-p $OPSBOT_TEST_PG_PORT -k /tmp -c listen_addresses=127.0.0.1" -l "$_dir/log" -w start >/dev/null
fi
_pg_up || OPSBOT_TEST_PG_PORT=55432  # the throwaway cluster of an earlier run
export OPSBOT_TEST_PG_URL="postgresql://postgres@$OPSBOT_TEST_PG_HOST:$OPSBOT_TEST_PG_PORT/postgres"
