/*
 * explore/concurrent.c - a scenario's statements run by the explorer's
 * simulated threads (see concurrent.h)
 */
#include <stdio.h>
#include <string.h>

#include "explore/concurrent.h"
#include "lib/util.h"
#include "mm/internal.h"

static bool is_visible(const struct scn_stmt *st)
{
	return !scn_op_is_kernel(st->op) && st->op != SCN_OP_CHECK;
}

/*
 * Run @st as thread @t (slot @slot of args/out); judge it.  Runs on the
 * thread's own stack in the explorer, on the scheduler's for init/final.
 */
static void do_stmt(struct ex_scn_prog *p, struct ex_thread *t, int slot, const struct scn_stmt *st,
		    bool concurrent)
{
	struct ex_world *w = &p->w;
	char predicted[160];
	enum ex_status status;
	bool visible = is_visible(st);

	snprintf(p->where[slot], sizeof(p->where[slot]), "%s:%d", st->loc.file, st->loc.line);
	t->stmt = st->text;
	t->where = p->where[slot];
	ex_sink->stmt_where = t->where;
	if (concurrent && visible) {
		for (int i = 0; i < p->prog.nr_threads; i++)
			if (i != slot && p->visible[i])
				p->overlapped = true;
		p->visible[slot] = true;
	}
	w->in_flight++;
	status = ex_exec_stmt(w, st, &p->args[slot], &p->out[slot]);
	if (status == EX_UNIMPLEMENTED) {
		p->unimplemented = st;
		ex_sched_stop();
	} else if (status == EX_UNBOUND) {
		ex_report(EX_EXPECT, NULL, "%s: uses a value whose binding statement failed", st->text);
	} else {
		ex_thread_check_clean(t);
		ex_judge_stmt(w, st, &p->args[slot], &p->out[slot],
			      EX_JUDGE_EXPECT | (p->overlapped ? 0 : EX_JUDGE_SPEC), predicted,
			      sizeof(predicted));
	}
	scn_outcome_free(&p->out[slot]);
	w->in_flight--;
	p->visible[slot] = false;
}

struct seq_ctx {
	struct ex_scn_prog *p;
	const struct scn_stmt *st;
	struct ex_thread *t;
};

static void seq_stmt(void *arg)
{
	struct seq_ctx *c = arg;

	ex_set_current(c->t);
	do_stmt(c->p, c->t, c->p->prog.nr_threads, c->st, false);
	if (!c->p->unimplemented)
		vm_check_all();
	ex_set_current(NULL);
}

static void abandon(void *ctx)
{
	struct ex_scn_prog *p = ctx;

	if (!p->live)
		return;
	for (int i = 0; i <= p->prog.nr_threads; i++)
		scn_outcome_free(&p->out[i]);
	ex_world_abandon(&p->w);
	p->live = false;
}

/* Sequential section (init or final): false when the run must stop. */
static bool run_section(struct ex_scn_prog *p, const struct scn_section *sec, struct ex_thread *t)
{
	for (int i = 0; i < sec->nr_stmts; i++) {
		struct seq_ctx c = { p, &sec->stmts[i], t };

		if (!ex_protected_call(ex_sink, seq_stmt, &c) || ex_sink->first.kind != EX_KIND_NONE ||
		    p->unimplemented) {
			abandon(p);
			return false;
		}
	}
	return true;
}

static bool begin(void *ctx)
{
	struct ex_scn_prog *p = ctx;

	ex_world_init(&p->w, p->scn, &p->variants);
	p->live = true;
	p->overlapped = false;
	memset(p->visible, 0, sizeof(p->visible));
	p->unimplemented = NULL;
	return run_section(p, &p->scn->init, &p->w.threads[0]);
}

static void thread(void *ctx, int i)
{
	struct ex_scn_prog *p = ctx;
	const struct scn_section *sec = &p->scn->threads[i];

	for (int k = 0; k < sec->nr_stmts; k++) {
		ex_stmt_point(sec->stmts[k].text);
		do_stmt(p, ex_current, i, &sec->stmts[k], true);
		if (p->unimplemented)
			return;
	}
	ex_current->stmt = NULL;
	ex_current->where = NULL;
}

static void check(void *ctx)
{
	struct ex_scn_prog *p = ctx;

	vm_check_step(p->w.in_flight == 0);
}

static void end(void *ctx)
{
	struct ex_scn_prog *p = ctx;

	if (!run_section(p, &p->scn->final, &p->w.threads[p->w.nr_threads - 1]))
		return;
	p->live = false;
	if (!ex_world_finish_checked(ex_sink, &p->w))
		return;		/* abandoned by ex_world_finish_checked */
}

bool ex_scn_prog_init(struct ex_scn_prog *p, const struct scenario *scn,
		      const struct vm_variants *v, char *err, size_t err_size)
{
	memset(p, 0, sizeof(*p));
	if (scn->nr_threads > EX_MAX_THREADS) {
		snprintf(err, err_size, "%s: %d thread sections; the explorer runs at most %d",
			 scn->path, scn->nr_threads, EX_MAX_THREADS);
		return false;
	}
	p->scn = scn;
	p->variants = *v;
	for (int i = 0; i < scn->nr_threads; i++)
		p->names[i] = scn->threads[i].name;
	p->prog = (struct ex_program){
		.nr_threads = scn->nr_threads,
		.names = p->names,
		.ctx = p,
		.begin = begin,
		.thread = thread,
		.check = check,
		.end = end,
		.abandon = abandon,
	};
	return true;
}
