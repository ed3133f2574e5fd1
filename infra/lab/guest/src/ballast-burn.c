/*
 * ballast-burn <duty 1-100>: a CPU load for the lab guest that does <duty>% of one CPU's worth of *work*
 * in every 500 ms period, then sleeps to the period's end.
 *
 * Work, not wall time: a loop that spins for <duty>% of the wall clock does less work whenever its vCPU
 * shares a pCPU with another busy one (two 40 % guests on one pCPU got 22-44 % each, swinging with the
 * phase of their periods), so the load the GT monitor sees would drift with nobody changing anything.
 * A guest cannot read how long the host kept its vCPU off the CPU (TCG has no steal time), but it can see
 * the gaps: the work is a tight loop timed in chunks of about 0.1 ms; a chunk that took more than three
 * typical ones and more than 1 ms was interrupted by a host time slice (milliseconds) and counts as one
 * typical chunk, any other counts as the time it took (under TCG the guest's own interrupts make chunks of
 * up to about 0.5 ms, and that time is spent on the host CPU: with a 0.3 ms bound guests used 1.2 × their
 * duty). So a squeezed guest finishes its work later in the period instead of
 * doing less. A period that runs over starts the next at once, without carrying debt.
 *
 * Runs at nice 19 so the guest's control agent stays responsive. Linked statically (busybox guest).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define PERIOD_NS 500000000LL
#define CHUNK_TARGET_NS 100000LL /* a chunk is about 0.1 ms at full speed */
#define GAP_FACTOR 3.0           /* a chunk that took longer than this many typical ones, */
#define GAP_MIN_NS 1000000.0     /* and than 1 ms, was interrupted by the host */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void spin(uint64_t iterations) {
  for (volatile uint64_t i = 0; i < iterations; i++) {
  }
}

/* Iterations that take about CHUNK_TARGET_NS, from the fastest of a few timed tries; its ns per iteration. */
static uint64_t calibrate(double *ns_per_iter) {
  uint64_t n = 1000;
  for (;;) {
    int64_t best = INT64_MAX;
    for (int k = 0; k < 5; k++) {
      int64_t t0 = now_ns();
      spin(n);
      int64_t dt = now_ns() - t0;
      if (dt < best) best = dt;
    }
    if (best >= CHUNK_TARGET_NS || n > (1ULL << 40)) {
      *ns_per_iter = (double)best / (double)n;
      return n;
    }
    n = best > 0 ? n * (uint64_t)CHUNK_TARGET_NS / (uint64_t)best + 1 : n * 8;
  }
}

/* Rewrites `path` with the counters (key=value lines, as `ballast-cpu status` prints them). */
static void write_stats(const char *path, long periods, long overruns, long chunks, long interrupted, double typical_ns) {
  FILE *f = fopen(path, "w");
  if (!f) return;
  fprintf(f, "periods=%ld\noverruns=%ld\nchunks=%ld\ninterruptedChunks=%ld\ntypicalChunkUs=%.1f\n", periods, overruns, chunks,
          interrupted, typical_ns / 1000.0);
  fclose(f);
}

int main(int argc, char **argv) {
  int duty = argc >= 2 && argc <= 3 ? atoi(argv[1]) : 0;
  const char *stats = argc == 3 ? argv[2] : NULL;
  if (duty < 1 || duty > 100) {
    fprintf(stderr, "usage: ballast-burn <duty 1-100> [stats-file]\n");
    return 2;
  }
  setpriority(PRIO_PROCESS, 0, 19);
  if (duty == 100) {
    for (;;) spin(1ULL << 30);
  }
  double typical_ns;
  uint64_t chunk = calibrate(&typical_ns);
  typical_ns *= (double)chunk;
  const int64_t work_ns = PERIOD_NS * duty / 100;
  int64_t start = now_ns();
  long periods = 0, overruns = 0, chunks = 0, interrupted = 0;
  for (;;) {
    double done_ns = 0;
    while (done_ns < (double)work_ns) {
      int64_t t0 = now_ns();
      spin(chunk);
      double dt = (double)(now_ns() - t0);
      chunks++;
      if (dt <= GAP_FACTOR * typical_ns || dt <= GAP_MIN_NS) {
        done_ns += dt;
        typical_ns += (dt - typical_ns) / 32; /* a slow mean of undisturbed chunks */
      } else {
        interrupted++;
        done_ns += typical_ns; /* the vCPU was off the CPU for part of it: only the chunk's own work counts */
      }
    }
    periods++;
    if (stats && periods % 4 == 0) write_stats(stats, periods, overruns, chunks, interrupted, typical_ns);
    int64_t next = start + PERIOD_NS;
    int64_t t = now_ns();
    if (t < next) {
      struct timespec ts = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
      start = next;
    } else {
      overruns++;
      start = t; /* over-run: the next period starts now, no debt carried */
    }
  }
}
