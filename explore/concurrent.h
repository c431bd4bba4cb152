/*
 * explore/concurrent.h - a scenario as an explorer program
 *
 * init runs first, alone, statement by statement (as `rmaplab run` runs
 * it); then every thread section is a simulated thread; then final,
 * alone, and the leak check.  A statement is judged when it completes: ==
 * always, and against the reference semantics as long as no two visible
 * statements of different threads have overlapped in time in this run
 * (the kernel operations migrate, compact, reclaim, pageout, split, and
 * check, are invisible and never count).
 *
 * Prefix: ex_.
 */
#ifndef RMAPLAB_EXPLORE_CONCURRENT_H
#define RMAPLAB_EXPLORE_CONCURRENT_H

#include "explore/interp.h"
#include "explore/sched.h"

struct ex_scn_prog {
	struct ex_program prog;
	const struct scenario *scn;
	struct vm_variants variants;
	struct ex_world w;
	bool live;			/* w holds a machine */
	bool overlapped;		/* two visible statements overlapped in this run */
	bool visible[EX_MAX_THREADS];	/* thread i is inside a visible statement */
	const char *names[EX_MAX_THREADS];
	struct scn_args args[EX_MAX_THREADS + 1];	/* [nr_threads]: init and final */
	struct scn_outcome out[EX_MAX_THREADS + 1];
	char where[EX_MAX_THREADS + 1][96];
	const struct scn_stmt *unimplemented;	/* the statement that stopped the run */
};

/* Returns false (and an error in @err) when the scenario has too many threads. */
bool ex_scn_prog_init(struct ex_scn_prog *p, const struct scenario *scn,
		      const struct vm_variants *v, char *err, size_t err_size);

/* What one claim's search did (ex_check_claim). */
struct ex_claim_stats {
	enum ex_kind found;		/* the violation that ended it, EX_KIND_NONE if none */
	long schedules;			/* dfs schedules, summed over the bounds */
	long pct_runs;
	int bound_found;		/* the dfs bound that found it, -1 */
	int depth_found;		/* the pct depth that found it, -1 */
	bool bound2_exhausted;
	bool timed_out;			/* the cap ended the search */
	const struct scn_stmt *unimplemented;	/* the statement that stopped it, or NULL */
	unsigned other_kinds;		/* fail claims: other kinds met on the way (bitmask) */
	double ms;
};

/*
 * ex_check_claim - search for @cl (a claim of @scn) as `rmaplab test` does:
 * the claim's variants, dfs over @b's bounds, then pct over @b's depths
 * (min_depth > max_depth: none), within @b->seconds; a fail claim stops at
 * its kind, a pass claim at any violation.  @b is used as given: no
 * defaults and no fail_* adjustments.  False (message in @err) when the
 * explorer cannot run @scn.
 */
struct rl_test_budget;
bool ex_check_claim(const struct scenario *scn, const struct scn_claim *cl,
		    const struct rl_test_budget *b, struct ex_claim_stats *st, char *err,
		    size_t err_size);

#endif /* RMAPLAB_EXPLORE_CONCURRENT_H */
