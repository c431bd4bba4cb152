/*
 * explore/run.c - `rmaplab run`: one sequential run of a scenario
 *
 * init, then each thread's statements to completion in file order, then
 * final.  After every statement: its judgement (== and spec/), the check
 * that the thread holds no lock, and every invariant.  At the end every
 * process exits and the leak check runs.  The run stops at its first
 * violation; a VM_BUG_ON (or a lock-order or deadlock finding) leaves the
 * model at once and the machine is freed without walking it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/interp.h"
#include "lib/util.h"
#include "mm/internal.h"

struct step_ctx {
	struct ex_world *w;
	const struct scn_stmt *st;
	struct ex_thread *thread;
	struct ex_step_record *rec;
	enum ex_status status;
};

static void run_step(void *arg)
{
	struct step_ctx *c = arg;
	struct scn_args args;
	struct scn_outcome out;

	ex_set_current(c->thread);
	c->thread->stmt = c->st->text;
	c->status = ex_exec_stmt(c->w, c->st, &args, &out);
	if (c->status == EX_UNIMPLEMENTED)
		return;
	if (c->status == EX_UNBOUND) {
		snprintf(c->rec->result, sizeof(c->rec->result), "(not run)");
		ex_report(EX_EXPECT, NULL, "%s: uses a value whose binding statement failed",
			  c->st->text);
		return;
	}
	scn_outcome_format(&out, c->rec->result, sizeof(c->rec->result));
	ex_thread_check_clean(c->thread);
	ex_judge_stmt(c->w, c->st, &args, &out, EX_JUDGE_SPEC | EX_JUDGE_EXPECT, c->rec->predicted,
		      sizeof(c->rec->predicted));
	scn_outcome_free(&out);
	vm_check_all();
	ex_set_current(NULL);
}

static void take_violation(struct ex_run_report *rep, struct ex_sink *sink)
{
	rep->violation = sink->first;
	memset(&sink->first, 0, sizeof(sink->first));
}

void ex_run_sequential(const struct scenario *scn, const struct vm_variants *variants,
		       struct ex_run_report *rep)
{
	const struct scn_section *sections[scn->nr_threads + 2];
	struct ex_thread *threads[scn->nr_threads + 2];
	int nr_sections, total;
	struct ex_sink sink;
	struct ex_world w;
	char where[512];

	memset(rep, 0, sizeof(*rep));
	rep->scn = scn;
	rep->variants = *variants;
	ex_sink_init(&sink);
	ex_sink = &sink;
	ex_world_init(&w, scn, variants);

	nr_sections = ex_sequential_order(&w, sections, threads, &total);
	rep->steps = xcalloc((size_t)total + 1, sizeof(*rep->steps));

	for (int s = 0; s < nr_sections; s++) {
		for (int i = 0; i < sections[s]->nr_stmts; i++) {
			const struct scn_stmt *st = &sections[s]->stmts[i];
			struct ex_step_record *rec = &rep->steps[rep->nr_steps++];
			struct step_ctx ctx = { &w, st, threads[s], rec, EX_OK };

			rec->section = sections[s];
			rec->stmt = st;
			snprintf(where, sizeof(where), "%s:%d", st->loc.file, st->loc.line);
			sink.stmt_where = where;
			if (!ex_protected_call(&sink, run_step, &ctx)) {
				rec->verdict = sink.first.kind;
				take_violation(rep, &sink);
				ex_world_abandon(&w);
				goto out;
			}
			if (ctx.status == EX_UNIMPLEMENTED) {
				rep->nr_steps--;
				rep->unimplemented = st;
				ex_world_abandon(&w);
				goto out;
			}
			if (sink.first.kind != EX_KIND_NONE) {
				rec->verdict = sink.first.kind;
				take_violation(rep, &sink);
				ex_world_abandon(&w);
				goto out;
			}
		}
	}
	ex_world_finish_checked(&sink, &w);
	take_violation(rep, &sink);
out:
	ex_sink_reset(&sink);
	ex_sink = NULL;
	ex_set_current(NULL);
}

void ex_run_report_free(struct ex_run_report *rep)
{
	free(rep->steps);
	free(rep->violation.message);
	free(rep->violation.dump);
	free(rep->violation.where);
	memset(rep, 0, sizeof(*rep));
}
