/*
 * clock.h - the wall clock in milliseconds, for the rows a store stamps
 * (request log, caches), and a monotonic one for measuring durations
 * (timeouts, quiet spells): the wall clock steps with the system clock.
 */
#ifndef NB_CLOCK_H
#define NB_CLOCK_H

/* Milliseconds since the epoch (CLOCK_REALTIME). */
long long clock_now_ms(void);

/* Milliseconds on CLOCK_MONOTONIC (an arbitrary start): only differences
 * mean anything. */
long long clock_mono_ms(void);

#endif
