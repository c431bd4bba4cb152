/*
 * explore/search.c - ex_explore(): the runs of one exploration under a
 * strategy (random, pct's priorities and change points, dfs's bounded
 * backtracking), the determinism check, coverage totals and progress
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "explore/sched.h"
#include "explore/sched_internal.h"
#include "lib/util.h"

/* ------------------------------------------------------------------ */
/* exploring */

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* dfs: the next schedule, or false when the space within the bound is exhausted. */
static bool dfs_backtrack(struct dfs *f)
{
	while (f->nr) {
		struct dfs_node *n = &f->v[f->nr - 1];
		bool prev_enabled = n->prev >= 0 && (n->enabled & (1ULL << n->prev));

		for (int o = 0; o < 64; o++) {
			uint64_t bit = 1ULL << o;
			int cost = n->preempt_before + (prev_enabled && o != n->prev ? 1 : 0);

			if (!(n->enabled & bit) || (n->tried & bit) || cost > f->bound)
				continue;
			n->tried |= bit;
			n->chosen = o;
			return true;
		}
		f->nr--;
	}
	return false;
}

static void setup_pct(struct chooser *c, uint64_t seed, long run, int nthreads, int depth, int k)
{
	int perm[EX_MAX_THREADS];

	c->rng = seed * 0x2545f4914f6cdd1dULL + (uint64_t)run;
	ex_rng_next(&c->rng);
	for (int i = 0; i < nthreads; i++)
		perm[i] = i;
	for (int i = nthreads - 1; i > 0; i--) {
		int j = ex_rng_below(&c->rng, i + 1), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (int i = 0; i < nthreads; i++)
		c->prio[i] = depth + perm[i];	/* initial priorities are all >= depth */
	c->nr_change = depth - 1;
	for (int j = 0; j < c->nr_change; j++)
		c->change[j] = ex_rng_below(&c->rng, k > 0 ? k : 1);
}

static void progress_line(const struct ex_explore_opts *o, long runs, double t0, long violations,
			  bool final)
{
	double dt = now_seconds() - t0;

	fprintf(stderr, "\r%s: %ld schedules, %.0f/s, %ld violation%s%s", ex_strategy_name(o->strategy),
		runs, dt > 0 ? (double)runs / dt : 0.0, violations, violations == 1 ? "" : "s",
		final ? "\n" : "   ");
}

void ex_explore(const struct ex_program *prog, const struct ex_explore_opts *o,
		enum ex_kind stop_kind, unsigned *other_kinds, struct ex_explore_result *res)
{
	struct chooser c = { .kind = o->strategy };
	struct dfs dfs = { .bound = o->preemptions };
	struct ex_run run = { 0 }, again = { 0 };
	long limit = o->runs;
	int change[64];
	double t0 = now_seconds(), last_progress = t0;
	long violations = 0;

	memset(res, 0, sizeof(*res));
	ex_sched_windows_reset(o->coverage);
	if (other_kinds)
		*other_kinds = 0;
	c.dfs = &dfs;
	c.change = change;
	res->max_threads = prog->nr_threads;
	if (!limit)
		limit = o->strategy == EX_STRAT_DFS ? -1 : 1000;
	if (o->strategy == EX_STRAT_PCT) {
		/* k: the steps of a default run, then the most seen */
		struct chooser d = { .kind = EX_STRAT_DFS, .dfs = &dfs };

		ex_sched_run(prog, &d, &run);
		res->max_steps = run.nr_steps;
		dfs.nr = 0;
	}
	for (long i = 0; limit < 0 || i < limit; i++) {
		if (o->seconds > 0 && now_seconds() - t0 > o->seconds)
			break;
		if (o->strategy == EX_STRAT_RANDOM) {
			c.rng = o->seed * 0x2545f4914f6cdd1dULL + (uint64_t)i;
			ex_rng_next(&c.rng);
		} else if (o->strategy == EX_STRAT_PCT) {
			setup_pct(&c, o->seed, i, prog->nr_threads, o->depth < 1 ? 1 : MIN(o->depth, 64),
				  res->max_steps);
		}
		ex_sched_run(prog, &c, &run);
		res->runs++;
		res->max_steps = MAX(res->max_steps, run.nr_steps);
		if (o->coverage)
			for (int w = 0; w < ex_sched_nr_windows(); w++)
				if (run.covered[w / 64] & (1ULL << (w % 64))) {
					if (w >= res->nr_windows) {
						res->window_runs = xrealloc(res->window_runs,
									    (size_t)(w + 1) * sizeof(long));
						for (int k = res->nr_windows; k <= w; k++)
							res->window_runs[k] = 0;
						res->nr_windows = w + 1;
					}
					res->window_runs[w]++;
				}
		if (o->check_determinism && !res->nondeterminism) {
			uint8_t *ch = xmalloc((size_t)run.nr_dec + 1);

			for (int k = 0; k < run.nr_dec; k++)
				ch[k] = run.dec[k].chosen;
			ex_replay_choices(prog, ch, run.nr_dec, NULL, false, &again);
			if (again.hash != run.hash || again.nr_steps != run.nr_steps ||
			    again.violation.kind != run.violation.kind) {
				char buf[256];

				snprintf(buf, sizeof(buf),
					 "run %ld: the same schedule ran twice gave %d steps (%s) and %d steps (%s)",
					 i + 1, run.nr_steps, ex_kind_name(run.violation.kind),
					 again.nr_steps, ex_kind_name(again.violation.kind));
				res->nondeterminism = xstrdup(buf);
			}
			free(ch);
		}
		if (run.violation.kind != EX_KIND_NONE) {
			violations++;
			if (stop_kind == EX_KIND_NONE || run.violation.kind == stop_kind) {
				res->found_at = res->runs;
				res->found_ms = (now_seconds() - t0) * 1000.0;
				ex_run_move(&res->found, &run);
				break;
			}
			if (other_kinds)
				*other_kinds |= 1u << run.violation.kind;
		}
		if (o->strategy == EX_STRAT_DFS && !dfs_backtrack(&dfs)) {
			res->exhausted = true;
			break;
		}
		if (o->progress && now_seconds() - last_progress > 0.5) {
			last_progress = now_seconds();
			progress_line(o, res->runs, t0, violations, false);
		}
	}
	if (o->progress)
		progress_line(o, res->runs, t0, violations, true);
	res->seconds = now_seconds() - t0;
	res->window_names = xcalloc((size_t)res->nr_windows + 1, sizeof(char *));
	for (int w = 0; w < res->nr_windows; w++)
		res->window_names[w] = xstrdup(ex_sched_window(w));	/* the next search resets them */
	ex_run_free(&run);
	ex_run_free(&again);
	free(dfs.v);
}

void ex_explore_result_free(struct ex_explore_result *res)
{
	ex_run_free(&res->found);
	free(res->nondeterminism);
	for (int w = 0; w < res->nr_windows; w++)
		free((char *)res->window_names[w]);
	free(res->window_names);
	free(res->window_runs);
	memset(res, 0, sizeof(*res));
}
