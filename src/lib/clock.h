/*
 * clock.h - the wall clock in milliseconds, for the rows a store stamps
 * (request log, caches).  Not for measuring durations: it steps with the
 * system clock (http.c measures with CLOCK_MONOTONIC).
 */
#ifndef NB_CLOCK_H
#define NB_CLOCK_H

/* Milliseconds since the epoch (CLOCK_REALTIME). */
long long clock_now_ms(void);

#endif
