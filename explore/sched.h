/*
 * explore/sched.h - the deterministic explorer: simulated threads under
 * controlled schedules
 *
 * A program (a scenario, or a self-test written in C against the lock
 * layer) has N threads.  Each runs as a coroutine; exactly one runs at a
 * time, from one schedule point of the lock layer to the next (a "step").
 * After every step the program's invariants are checked.  Where more than
 * one thread could run next the strategy makes a choice (a "decision");
 * the list of decisions is the trail, which replays the run exactly.
 *
 * Strategies: random (uniform at each decision), pct (Burckhardt et al.,
 * ASPLOS 2010: random priorities and d-1 priority change points), dfs
 * (stateless exhaustive search with a preemption bound, no reduction, so
 * it is sound under the bound), replay (follow a trail; strict refuses a
 * trail that does not fit, lenient falls back to the default choice and is
 * what shrinking uses).  The default choice is non-preemptive: the thread
 * that ran the last step if it can still run, else the lowest-numbered
 * one that can.
 *
 * Trail format: "C:S".  C is the decisions, '.'-separated, each a thread
 * number (1 = the first thread section) with an optional "xN" repeat
 * count; S has one signature character per decision (a hash of what the
 * runnable threads were about to do), so a replay of a trail on a changed
 * scenario or model names the first step that diverges.
 *
 * Prefix: ex_.
 */
#ifndef RMAPLAB_EXPLORE_SCHED_H
#define RMAPLAB_EXPLORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "explore/lock.h"
#include "explore/violation.h"

#define EX_MAX_THREADS 16

struct ex_program {
	int nr_threads;
	const char *const *names;	/* thread names, [nr_threads] */
	void *ctx;
	/* Before the threads, on the scheduler's stack; false stops the run. */
	bool (*begin)(void *ctx);
	/* Thread i's body, on its own stack. */
	void (*thread)(void *ctx, int i);
	/* After every step: the invariants, into ex_sink. */
	void (*check)(void *ctx);
	/* After every thread finished (under a recovery point). */
	void (*end)(void *ctx);
	/* The run stopped early: free everything without walking the model. */
	void (*abandon)(void *ctx);
};

enum ex_strategy { EX_STRAT_RANDOM, EX_STRAT_PCT, EX_STRAT_DFS, EX_STRAT_REPLAY };

const char *ex_strategy_name(enum ex_strategy s);

/* One step: what a thread ran to. */
struct ex_step {
	int thread;			/* index, 0-based */
	enum ex_event ev;		/* the schedule point it stopped at */
	const struct ex_lock_class *class;
	const void *lock;
	enum ex_lock_mode mode;
	const char *what;		/* function or point name */
	const char *stmt;		/* the statement it is in (NULL: none) */
	const void *took;		/* lock taken at the start of this step, if any */
	const struct ex_lock_class *took_class;
	bool decision;			/* a choice was made before this step */
	bool preemption;		/* ... and it preempted a runnable thread */
	int holder;			/* EX_EV_BLOCK: a thread holding the lock, or -1 */
	const char *ctx_fn;		/* the VMA it works on (ex_trace_ctx_set), or NULL */
	unsigned long ctx_addr;
};

struct ex_decision {
	uint8_t chosen;
	char sig;
};

/* The result of one run. */
struct ex_run {
	struct ex_violation violation;	/* kind EX_KIND_NONE: none */
	int violation_step;		/* the step after which it was found (-1: begin/end) */
	struct ex_step *steps;
	int nr_steps, cap_steps;
	struct ex_decision *dec;
	int nr_dec, cap_dec;
	int preemptions;
	uint64_t hash;			/* of the whole trace (determinism check) */
	bool stopped;			/* the program stopped it (no violation) */
	char *divergence;		/* strict replay: why the trail does not fit */
	uint64_t *covered;		/* windows entered in this run (bitset) */
};

struct ex_explorer;

struct ex_explore_opts {
	enum ex_strategy strategy;
	long runs;			/* 0: the strategy's default */
	double seconds;			/* 0: no time limit */
	uint64_t seed;
	int preemptions;		/* dfs bound */
	int depth;			/* pct depth */
	bool check_determinism;		/* run each schedule twice, compare traces */
	bool coverage;
	bool progress;			/* print progress on stderr */
	const char *trail;		/* replay */
	bool lenient;			/* replay: fall back to the default choice */
};

struct ex_explore_result {
	long runs;			/* schedules run */
	bool exhausted;			/* dfs: every schedule within the bound was run */
	int max_steps;			/* the k of pct */
	int max_threads;		/* the n of pct */
	double seconds;
	struct ex_run found;		/* the first violating run (violation.kind set); ex_shrink() it */
	long found_at;			/* the run number that found it (1-based) */
	double found_ms;
	char *nondeterminism;		/* --check-determinism: the first difference */
	/* coverage: windows and the number of schedules that entered each */
	int nr_windows;
	const char **window_names;
	long *window_runs;
};

/*
 * ex_explore - run @prog's schedules under @opts until a violation is
 * found, the budget is spent or (dfs) the space is exhausted.  With
 * @stop_kind != EX_KIND_NONE, violations of other kinds do not stop the
 * search (they are counted in *other_kinds, bitmask by kind) and only
 * @stop_kind is returned in found.
 */
void ex_explore(const struct ex_program *prog, const struct ex_explore_opts *opts,
		enum ex_kind stop_kind, unsigned *other_kinds, struct ex_explore_result *res);
void ex_explore_result_free(struct ex_explore_result *res);

/* Run one schedule following @trail; strict unless @lenient.  @run: zeroed or from an earlier run. */
void ex_replay(const struct ex_program *prog, const char *trail, bool lenient,
	       struct ex_run *run);
void ex_run_free(struct ex_run *run);
/* Move @src into @dst (freeing what @dst held); @src is left empty. */
void ex_run_move(struct ex_run *dst, struct ex_run *src);

/*
 * Run one schedule following @choices[0..n) (thread indices); @sigs, if
 * not NULL, are checked as a strict replay checks them.  Lenient: a
 * choice that cannot be taken, or the end of @choices, falls back to the
 * default choice.
 */
void ex_replay_choices(const struct ex_program *prog, const uint8_t *choices, int n,
		       const char *sigs, bool lenient, struct ex_run *run);

/*
 * ex_shrink - fewer preemptions, then fewer steps, while the first
 * violation keeps its kind; @run is replaced by the smallest run found.
 * At most @budget runs.
 */
void ex_shrink(const struct ex_program *prog, struct ex_run *run, int budget);

/* The trail of @run ("C:S"), malloc'd. */
char *ex_trail_string(const struct ex_run *run);

/* The 32 characters a signature is made of. */
extern const char ex_trail_sig_chars[];

/*
 * ex_trail_parse - "C:S" into @choices (malloc'd, *n of them, thread
 * indices) and @sigs (malloc'd or NULL); returns an error message or NULL.
 * Both outputs are set (to free) even on error.
 */
const char *ex_trail_parse(const char *trail, int nr_threads, uint8_t **choices, int *n,
			   char **sigs);

/* Step-by-step trace of @run, one line per step, into @sb. */
struct sbuf;
void ex_trace_format(const struct ex_program *prog, const struct ex_run *run, struct sbuf *sb);

/* The program's threads, for programs that want their own (thread i = ex_threads_of[i]). */
struct ex_thread *ex_sched_thread(int i);

/* Stop the run without a violation (an unimplemented statement). */
void ex_sched_stop(void);

/* Is the explorer running threads concurrently right now? */
bool ex_sched_active(void);

#endif /* RMAPLAB_EXPLORE_SCHED_H */
