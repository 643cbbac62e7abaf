#!/bin/sh
# bench/bench.sh - `make bench`: how fast nestbox answers behind lighttpd,
# next to two ceilings that return the very same bytes (a static file and
# the zero-work FastCGI program bench/bench-zero.c).  It only reports:
# nothing here is a test.
#
# One fresh state directory under build/bench/, one lighttpd on
# 127.0.0.1:$BENCH_PORT (default 8089), wrk for $BENCH_SECONDS (default 5)
# per URL; bench/lib.sh holds what the suites share (that lighttpd, the
# ceilings, the wrk runs, the table).  The suites, in this order, each in
# its own file with its switches described there:
#   bench/mkbox.sh  /list, the update check and tar, /log/echo (always), /list
#                   with 10,000 more images (BENCH_MKBOX_IMAGES sets, 0 skips)
#   bench/mip.sh    the mip index, cached and cold proxied   (BENCH_MIP=0 skips),
#                   and with 10,000 packages (BENCH_MIP_PACKAGES sets, 0 skips)
#   bench/ddi.sh    the hawkBit DDI server over many devices (BENCH_DDI=0 skips,
#                   BENCH_DDI_DEVICES sets the large fleet)
#   bench/pypi.sh   the Python index: project pages, a file, a big upload's
#                   memory (BENCH_PYPI=0 skips)
#   bench/ota.sh    the MicroPython OTA updater's checks and raw files (BENCH_OTA=0
#                   skips)
#   bench/admin.sh  the admin pages' server times and the upload's memory
#                   (BENCH_ADMIN=0 skips; it measures the DDI devices)
#   bench/container.sh  the mkbox rows again against the Containerfile's image
#                   (BENCH_CONTAINER=0 skips; run between mkbox's first table
#                   and its 10,000-image /list, so both sides hold 4 images)
#   bench/apache.sh the mkbox rows, a hosted mip JSON and /log/echo through
#                   Apache (mpm_event + mod_fcgid) with Apache's own two
#                   ceilings, on BENCH_PORT + 1 (BENCH_APACHE=0 skips; last)
#   bench/ddi_pg.sh the DDI poll (nothing to do, 1,000,000 devices) and the
#                   feedback POST again with the store on PostgreSQL, beside
#                   the SQLite rows (BENCH_PG=0 skips; skipped with a message
#                   where PostgreSQL cannot be started; last: it restarts
#                   lighttpd on its own store)
# Each suite prepares its data before lighttpd starts (<suite>_prepare: the
# programs read their settings once) and measures in <suite>_run.
#
# The programs: $NESTBOX_BINDIR/nestboxctl and $NESTBOX_CGIBIN/*.fcgi
# (default bin/ and cgi-bin/ of this tree; `make bench` passes its own).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
# shellcheck source=bench/mkbox.sh
. "$root/bench/mkbox.sh"
# shellcheck source=bench/mip.sh
. "$root/bench/mip.sh"
# shellcheck source=bench/ddi.sh
. "$root/bench/ddi.sh"
# shellcheck source=bench/pypi.sh
. "$root/bench/pypi.sh"
# shellcheck source=bench/ota.sh
. "$root/bench/ota.sh"
# shellcheck source=bench/admin.sh
. "$root/bench/admin.sh"
# shellcheck source=bench/container.sh
. "$root/bench/container.sh"
# shellcheck source=bench/apache.sh
. "$root/bench/apache.sh"
# shellcheck source=bench/ddi_pg.sh
. "$root/bench/ddi_pg.sh"

bench_settings
mkbox_settings
admin_settings
mip_settings
ddi_settings
pypi_settings
ota_settings
container_settings
apache_settings
ddi_pg_settings
bench_need

trap 'stop_server; apache_stop; mip_stop_upstream; admin_clean_upload; pypi_clean; container_stop; pg_stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_header
bench_state_init
mkbox_prepare
[ "$mip_on" = 0 ] || mip_prepare
[ "$ddi_on" = 0 ] || ddi_prepare
[ "$pypi_on" = 0 ] || pypi_prepare
[ "$ota_on" = 0 ] || ota_prepare
start_server

mkbox_run
container_run
mkbox_scale
mip_run
ddi_run
pypi_run
ota_run
admin_run
apache_run
ddi_pg_run
bench_finish
