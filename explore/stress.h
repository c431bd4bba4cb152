/*
 * explore/stress.h - `rmaplab stress`: a scenario's threads on real pthreads
 *
 * Each run: a fresh machine; init, alone, statement by statement, with
 * every invariant after each; then one pthread per thread section, all
 * released together from a barrier, each running its statements on the
 * model through the lock layer's pthread backend (explore/lock.h); the
 * join; every invariant; final, alone; every process exits and the leak
 * check runs.  Runs repeat o->runs times (default 100) or until
 * o->seconds have passed, and stop at the first violation.
 *
 * Unlike the explorer, stress is not deterministic: the interleaving is
 * the host's (plus a little random jitter at the start of each thread and
 * between statements, seeded by o->seed and the run number, to vary it).
 * A violation found here cannot be replayed; explore the scenario to get
 * a trail.
 *
 * Judgement.  init: == and the reference semantics (it runs alone, as in
 * the explorer).  Thread sections and final: == only; the reference
 * semantics are not consulted under real concurrency.  ex_judge_stmt()
 * still applies every statement to spec/ (in completion order, as the
 * explorer does for overlapping statements), so those calls are
 * serialised by one mutex.  A `check` statement inside a thread section
 * is not run (the checker walks objects other threads are changing, which
 * only the explorer's steps make safe); it counts as `ok`.
 *
 * Each pthread has its own violation sink (ex_sink is thread-local) and
 * so its own recovery point: a VM_BUG_ON, lock-order or deadlock finding
 * in one thread longjmps within that thread only.  The first violation of
 * any thread stops the run: threads finish their current statement, and
 * any thread that sleeps on a lock gives up (the lock layer's stop
 * request), then the machine is abandoned.
 *
 * Prefix: ex_.
 */
#ifndef RMAPLAB_EXPLORE_STRESS_H
#define RMAPLAB_EXPLORE_STRESS_H

#include <stdbool.h>

#include "explore/interp.h"

struct ex_stress_opts {
	long runs;			/* 0: until seconds (or 100 without seconds) */
	double seconds;			/* 0: no time limit */
	unsigned long long seed;	/* jitter */
};

struct ex_stress_result {
	long runs;			/* runs completed (the violating one included) */
	double seconds;			/* wall time of the runs */
	double max_run_ms;		/* the slowest run */
	struct ex_violation violation;	/* the first; kind EX_KIND_NONE if none */
	const char *thread;		/* the thread that found it ("init", "T0", ...) */
	const struct scn_stmt *stmt;	/* its statement, or NULL (checks, end of run) */
	long violation_run;		/* 1-based */
	const struct scn_stmt *unimplemented;	/* the statement that stopped the runs */
};

/* Run @scn's stress runs with @v; fills @res (free with ex_stress_result_free). */
void ex_stress(const struct scenario *scn, const struct vm_variants *v,
	       const struct ex_stress_opts *o, struct ex_stress_result *res);
void ex_stress_result_free(struct ex_stress_result *res);

#endif /* RMAPLAB_EXPLORE_STRESS_H */
