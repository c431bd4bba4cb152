/*
 * explore/shrink.c - make a violating run smaller before it is printed,
 * keeping any run that shows the same kind with fewer preemptions, or as
 * many and fewer steps:
 *  1. search: dfs at preemption bounds below the run's, first violation
 *     of the same kind wins (within half the budget).  This moves
 *     preemptions, which the greedy passes cannot: a random run with four
 *     preemptions of a bug that needs two comes back with two;
 *  2. greedy: drop one preemption (the preempted thread goes on instead),
 *     or cut the trail short (the default schedule from there on), until
 *     neither helps.
 */
#include <stdlib.h>

#include "explore/sched.h"
#include "lib/util.h"

static bool smaller(const struct ex_run *a, const struct ex_run *b)
{
	if (a->preemptions != b->preemptions)
		return a->preemptions < b->preemptions;
	return a->nr_steps < b->nr_steps;
}

/* Replay @choices[0..n) leniently; keep the result if it is smaller with the same kind. */
static bool try_candidate(const struct ex_program *prog, struct ex_run *best, const uint8_t *choices,
			  int n, int *budget)
{
	struct ex_run cand = { 0 };

	if (*budget <= 0)
		return false;
	(*budget)--;
	ex_replay_choices(prog, choices, n, NULL, true, &cand);
	if (cand.violation.kind == best->violation.kind && smaller(&cand, best)) {
		ex_run_move(best, &cand);
		return true;
	}
	ex_run_free(&cand);
	return false;
}

/* dfs at bounds 0 .. run's preemptions - 1, at most @limit runs in all */
static void shrink_by_search(const struct ex_program *prog, struct ex_run *run, int limit,
			     int *budget)
{
	for (int b = 0; b < run->preemptions && limit > 0; b++) {
		struct ex_explore_opts o = { .strategy = EX_STRAT_DFS, .preemptions = b, .runs = limit };
		struct ex_explore_result res;
		bool better;

		ex_explore(prog, &o, run->violation.kind, NULL, &res);
		limit -= (int)res.runs;
		*budget -= (int)res.runs;
		better = res.found.violation.kind == run->violation.kind && smaller(&res.found, run);
		if (better)
			ex_run_move(run, &res.found);
		ex_explore_result_free(&res);
		if (better)
			break;
	}
}

void ex_shrink(const struct ex_program *prog, struct ex_run *run, int budget)
{
	bool progress = true;

	if (run->preemptions > 0)
		shrink_by_search(prog, run, budget / 2, &budget);

	while (progress && budget > 0) {
		progress = false;
		/* drop one preemption: the preempted thread goes on instead */
		for (int s = 0, d = 0; s < run->nr_steps && !progress; s++) {
			const struct ex_step *st = &run->steps[s];

			if (!st->decision)
				continue;
			if (st->preemption) {
				int n = run->nr_dec;
				uint8_t *c = xmalloc((size_t)n + 1);
				int prev = -1;

				for (int k = s - 1; k >= 0; k--)
					if (run->steps[k].thread >= 0) {
						prev = run->steps[k].thread;
						break;
					}
				for (int k = 0; k < n; k++)
					c[k] = run->dec[k].chosen;
				c[d] = (uint8_t)prev;
				progress = try_candidate(prog, run, c, n, &budget);
				free(c);
			}
			d++;
		}
		if (progress)
			continue;
		/* cut the trail short: the default schedule from there on */
		for (int len = 0; len < run->nr_dec && !progress; len++) {
			uint8_t *c = xmalloc((size_t)run->nr_dec + 1);

			for (int k = 0; k < len; k++)
				c[k] = run->dec[k].chosen;
			progress = try_candidate(prog, run, c, len, &budget);
			free(c);
		}
	}
}

