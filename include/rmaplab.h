/*
 * include/rmaplab.h - rmaplab's public C API (prefix rl_)
 *
 * rmaplab is an executable model of the Linux VM's object-based reverse
 * mapping.  This header lets a C program run scenario files (the language
 * of docs/scenarios.md) as `rmaplab run` does.  Link with librmaplab.a.
 */
#ifndef RMAPLAB_H
#define RMAPLAB_H

#include <stdio.h>

#define RMAPLAB_VERSION "0.1.0"

/* Exit codes, as SCENARIOS.md defines them. */
enum rl_exit {
	RL_EXIT_OK = 0,			/* everything held */
	RL_EXIT_VIOLATION = 1,		/* a violation or a failed claim */
	RL_EXIT_BAD_INPUT = 2,		/* bad input or usage */
	RL_EXIT_UNIMPLEMENTED = 3,	/* a statement this build does not implement yet */
};

#define RL_RUN_JSON	0x1	/* one JSON document instead of text */
#define RL_RUN_QUIET	0x2	/* text: only the verdict line (and a violation's detail) */
#define RL_RUN_TRACE	0x4	/* text: every lock event and schedule point, with its function */
#define RL_CONFORM_VERBOSE 0x8	/* conform, text: every statement's three results */

/* conform: what `file F SIZE` makes on the kernel and in the model */
#define RL_FILES_SCENARIO (-1)	/* the scenario's config files= (default disk); a
				 * scenario with its own files= line keeps it anyway */
#define RL_FILES_DISK	0	/* an unlinked O_TMPFILE in $TMPDIR or /tmp (ext4 here) */
#define RL_FILES_MEMFD	1	/* a memfd (tmpfs) */

const char *rl_version(void);

/*
 * rl_run_file - parse @path and run it once, sequentially, with the
 * scenario's variants overridden by @variants ("key=value" strings).
 * Writes the report to @out and errors to @err; returns an rl_exit code.
 */
int rl_run_file(const char *path, const char *const *variants, int nr_variants, int flags,
		FILE *out, FILE *err);

/*
 * rl_conform_file - parse @path and run it on the real kernel, on the
 * model and on the reference semantics, comparing every statement's
 * result (`rmaplab conform`).  @files: RL_FILES_*.  @flags: RL_RUN_JSON,
 * RL_CONFORM_VERBOSE.  Returns RL_EXIT_OK when everything agreed (or the
 * scenario is model-only and passed), RL_EXIT_VIOLATION on a difference,
 * RL_EXIT_BAD_INPUT for bad input or when the kernel side could not run,
 * RL_EXIT_UNIMPLEMENTED when the model lacks a statement.
 */
int rl_conform_file(const char *path, int files, int flags, FILE *out, FILE *err);

/*
 * rl_conform_random - @n random sequential scenarios from @seed, each run
 * as rl_conform_file runs one.  On the first difference the scenario is
 * shrunk (statements removed while it still differs), written to @outdir
 * and its path printed; returns RL_EXIT_VIOLATION.  Progress goes to @err.
 */
int rl_conform_random(unsigned long n, unsigned long long seed, int files, const char *outdir,
		      int flags, FILE *out, FILE *err);

/* ------------------------------------------------------------------ */
/* The explorer: rmaplab explore | replay | test */

#define RL_EXPLORE_COVERAGE	0x100	/* count the windows entered */
#define RL_EXPLORE_DETERMINISM	0x200	/* run every schedule twice and compare */
#define RL_EXPLORE_ATOMICS	0x400	/* refcount and mapcount updates are schedule points */
#define RL_EXPLORE_PROGRESS	0x800	/* progress on stderr */
#define RL_EXPLORE_NO_SHRINK	0x1000	/* print the violating schedule as found */

struct rl_explore_opts {
	const char *strategy;		/* "random", "pct" or "dfs" (default random) */
	long runs;			/* 0: the strategy's default (dfs: until exhausted; others 1000) */
	double seconds;			/* 0: no time limit */
	unsigned long long seed;	/* default 1 */
	int preemptions;		/* dfs bound (default 2) */
	int depth;			/* pct depth (default 3) */
	const char *const *variants;	/* "key=value" */
	int nr_variants;
	int flags;			/* RL_RUN_JSON, RL_EXPLORE_* */
	const char *svg;		/* write the violating schedule as an SVG swimlane */
	const char *trail;		/* replay */
};

/*
 * rl_explore_file - explore @path's schedules (`rmaplab explore`); on a
 * violation, print it shrunk with its trace, trail and replay command.
 * Returns an rl_exit code.
 */
int rl_explore_file(const char *path, const struct rl_explore_opts *o, FILE *out, FILE *err);

/* rl_replay_file - run @path once along o->trail (`rmaplab replay`), printing the full trace. */
int rl_replay_file(const char *path, const struct rl_explore_opts *o, FILE *out, FILE *err);

/* The search budget of `rmaplab test` (SCENARIOS.md); zeros: the defaults. */
struct rl_test_budget {
	int min_bound, max_bound;	/* dfs preemption bounds, default 0..3 */
	int min_depth, max_depth;	/* pct depths, default 2..5 */
	long pct_runs;			/* per depth, default 10000 */
	double seconds;			/* cap per claim, default 60 */
	int flags;			/* RL_EXPLORE_ATOMICS, RL_EXPLORE_COVERAGE, RL_RUN_JSON */
	int fail_max_bound;		/* fail claims search dfs up to this bound (0: max_bound) */
	double fail_seconds;		/* fail claims' cap (0: seconds) */
};

/*
 * rl_test_file - check every expect claim of @path; one line per claim on
 * @out.  Adds to *passed / *failed; returns an rl_exit code.
 */
int rl_test_file(const char *path, const struct rl_test_budget *b, FILE *out, FILE *err,
		 int *passed, int *failed);

/*
 * rl_stress_file - run @path's threads on real pthreads with the lock
 * layer's pthread backend (`rmaplab stress`), repeatedly (o->runs, or for
 * o->seconds), checking every invariant and the leak check after each run.
 * Returns an rl_exit code.
 */
int rl_stress_file(const char *path, const struct rl_explore_opts *o, FILE *out, FILE *err);

/*
 * rl_bench_main - `rmaplab bench [--quick] [--json FILE] [--svg FILE]
 * [--only NAME]` (bench/bench.c, docs/performance.md): ARGV holds the
 * options after "bench".  Returns an rl_exit code.
 */
int rl_bench_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* RMAPLAB_H */
