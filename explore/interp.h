/*
 * explore/interp.h - running scenario statements against the model
 *
 * ex_world holds one run: the machine, the reference semantics, the
 * scenario's processes, files and bound values.  ex_exec_stmt() runs one
 * statement; ex_judge_stmt() compares its outcome with the statement's
 * `==` and with spec/.  ex_run_sequential() is `rmaplab run`: init, the
 * threads one after another in file order, final, with the invariant
 * checker after every statement and the leak check at the end.
 *
 * Prefix: ex_ (explore/).
 */
#ifndef RMAPLAB_EXPLORE_INTERP_H
#define RMAPLAB_EXPLORE_INTERP_H

#include <stdio.h>

#include "explore/lock.h"
#include "explore/violation.h"
#include "lang/scn.h"
#include "mm/variant.h"

struct machine;
struct spec;
struct task_struct;
struct file;

struct ex_world {
	const struct scenario *scn;
	struct vm_variants variants;
	struct machine *machine;
	struct spec *spec;
	struct task_struct **procs;	/* by symbol; NULL: not created, or exited */
	struct file **files;		/* by symbol */
	uint64_t *values;		/* by symbol */
	bool *bound;			/* by symbol: has a value */
	struct ex_thread *threads;	/* [0] init, [1..n] threads, [n+1] final */
	int nr_threads;
	int in_flight;			/* statements started and not finished (explorer) */
};

/* Status of one statement's execution. */
enum ex_status {
	EX_OK,			/* ran; the outcome is in *out */
	EX_UNIMPLEMENTED,	/* the operation belongs to a later issue */
	EX_UNBOUND,		/* an argument names a value whose binding failed */
};

int ex_world_init(struct ex_world *w, const struct scenario *scn, const struct vm_variants *v);
/* Tear down: exits what remains, checks leaks (into the sink if @check). */
void ex_world_finish(struct ex_world *w, bool check);
/* After a fatal violation: free everything without walking the model. */
void ex_world_abandon(struct ex_world *w);

enum ex_status ex_exec_stmt(struct ex_world *w, const struct scn_stmt *st, struct scn_args *args,
			    struct scn_outcome *out);

#define EX_JUDGE_SPEC	0x1	/* compare with the reference semantics (data) */
#define EX_JUDGE_EXPECT	0x2	/* compare with == (or with success) (expect) */
#define EX_JUDGE_SHOW_SPEC 0x4	/* @predicted always receives spec/'s outcome */

/*
 * ex_judge_stmt - apply @st to the reference semantics and compare @out
 * with what @how asks for; report violations to the sink; bind NAME =
 * (a failed statement leaves its name without a value).  @predicted
 * receives spec/'s outcome when it differs (always with
 * EX_JUDGE_SHOW_SPEC).  Returns the verdict: EX_KIND_NONE, EX_EXPECT or
 * EX_DATA.
 */
enum ex_kind ex_judge_stmt(struct ex_world *w, const struct scn_stmt *st,
			   const struct scn_args *args, const struct scn_outcome *out,
			   unsigned how, char *predicted, size_t predicted_size);

/*
 * ex_eval_args - @st's arguments under the bindings @values / @bound (by
 * symbol).  False when an argument names a value that has none.
 */
bool ex_eval_args(const uint64_t *values, const bool *bound, const struct scn_stmt *st,
		  struct scn_args *a);

/*
 * ex_expectation_holds - does @o satisfy @st's == (any alternative), or,
 * without ==, is it a success (any result for kernel operations)?  Names
 * in == are evaluated under @values / @bound.
 */
bool ex_expectation_holds(const uint64_t *values, const bool *bound, const struct scn_stmt *st,
			  const struct scn_outcome *o);

/*
 * ex_sequential_order - the sections of @w's scenario in the order a
 * sequential run takes them (init, the threads in file order, final),
 * each with the thread that runs it.  The arrays hold nr_threads + 2;
 * returns that count, and the number of statements in *total.
 */
int ex_sequential_order(struct ex_world *w, const struct scn_section **sections,
			struct ex_thread **threads, int *total);

/*
 * ex_world_finish_checked - ex_world_finish with the leak check, under a
 * recovery point: false when a fatal violation left the model (the world
 * is abandoned then); other violations go to @sink.
 */
bool ex_world_finish_checked(struct ex_sink *sink, struct ex_world *w);

/* "key=value" of --variant into @s; false (message on @err) if it names no variant. */
bool ex_parse_variant(const char *arg, struct scn_setting *s, FILE *err);

/* "key=value ..." of the non-default variants of @v, or "default (Linux 7.0)". */
struct sbuf;
void ex_variants_text(const struct vm_variants *v, struct sbuf *sb);

/* The variants of a run: defaults, then the scenario's lines, then @overrides. */
void ex_variants_for(const struct scenario *scn, const struct scn_setting *overrides, int nr,
		     struct vm_variants *out);

/* ------------------------------------------------------------------ */
/* rmaplab run */

struct ex_step_record {
	const struct scn_section *section;
	const struct scn_stmt *stmt;
	char result[160];		/* the model's outcome */
	char predicted[160];		/* spec/'s, when it differs */
	enum ex_kind verdict;		/* EX_KIND_NONE: held */
};

struct ex_run_report {
	const struct scenario *scn;
	struct vm_variants variants;
	struct ex_step_record *steps;
	int nr_steps;
	struct ex_violation violation;	/* the first; kind EX_KIND_NONE if none */
	const struct scn_stmt *unimplemented;	/* the statement that stopped the run */
};

void ex_run_sequential(const struct scenario *scn, const struct vm_variants *variants,
		       struct ex_run_report *rep);
void ex_run_report_free(struct ex_run_report *rep);

#endif /* RMAPLAB_EXPLORE_INTERP_H */
