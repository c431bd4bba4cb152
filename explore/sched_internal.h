/*
 * explore/sched_internal.h - what the scheduler (sched.c) shares with the
 * search over schedules (search.c): the strategies' state and one run.
 * Not for other users.
 */
#ifndef RMAPLAB_EXPLORE_SCHED_INTERNAL_H
#define RMAPLAB_EXPLORE_SCHED_INTERNAL_H

#include "explore/sched.h"

/* A strategy's choice at a decision: @enabled is a bitmask, @prev the last thread or -1. */
struct chooser {
	enum ex_strategy kind;
	uint64_t rng;
	/* pct */
	int prio[EX_MAX_THREADS];
	int *change;			/* change points (step numbers), depth - 1 of them */
	int nr_change;
	/* replay */
	const uint8_t *choices;
	const char *sigs;
	int nr_choices;
	bool lenient;
	/* dfs */
	struct dfs *dfs;
};

struct dfs_node {
	uint64_t enabled;
	uint64_t tried;
	int chosen;
	int prev;
	int preempt_before;
};

struct dfs {
	struct dfs_node *v;
	int nr, cap;
	int bound;
};

/* One run of @prog with @c choosing at every decision. */
void ex_sched_run(const struct ex_program *prog, struct chooser *c, struct ex_run *run);

/* Coverage windows (point and lock class names) seen since the reset. */
void ex_sched_windows_reset(bool coverage);
int ex_sched_nr_windows(void);
const char *ex_sched_window(int i);

/* splitmix64: deterministic, seeded per run */
uint64_t ex_rng_next(uint64_t *s);
int ex_rng_below(uint64_t *s, int n);

#endif /* RMAPLAB_EXPLORE_SCHED_INTERNAL_H */
