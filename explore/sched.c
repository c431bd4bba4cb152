/*
 * explore/sched.c - the scheduler, the strategies and replay (see
 * sched.h; trail text is in trail.c, shrinking in shrink.c)
 *
 * One run: begin() on the scheduler's stack, then the threads as
 * coroutines, one step at a time, the program's check() after each step,
 * then end().  A thread that hits a fatal violation (VM_BUG_ON, deadlock
 * on itself, lock order) longjmps to the recovery point at the base of
 * its own stack and switches back for good; the other threads are left
 * suspended and the run is abandoned (the program frees the world through
 * the allocator's tracking, never by walking it).
 *
 * Nothing here looks at the clock except the --seconds budget, which only
 * decides how many runs are made, never what a run does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/coro.h"
#include "explore/sched.h"
#include "explore/sched_internal.h"
#include "lib/util.h"

#define STACK_SIZE (256 * 1024)
#define MAX_WINDOWS 256

struct sim {
	struct ex_thread t;
	struct ex_coro co;
	int index;
	bool started, done, fatal;
	jmp_buf *recover;
	/* the schedule point it stopped at */
	enum ex_event ev;
	const struct ex_lock_class *class;
	const void *lock;
	enum ex_lock_mode mode;
	const char *what;
};

static struct {
	const struct ex_program *prog;
	struct sim sims[EX_MAX_THREADS];
	struct ex_thread *tptrs[EX_MAX_THREADS];
	struct ex_coro main;
	struct sim *running;
	struct ex_run *run;
	struct chooser *ch;
	bool active;
	bool stop;
	/* coverage windows (names), shared by the runs of one exploration */
	const char *windows[MAX_WINDOWS];
	bool window_owned[MAX_WINDOWS];	/* built here ("FN: before CLASS"): freed on reset */
	int nr_windows;
	bool coverage;			/* name the lock-wait windows too */
} S;

const char *ex_strategy_name(enum ex_strategy s)
{
	static const char *const names[] = { "random", "pct", "dfs", "replay" };
	return names[s];
}

struct ex_thread *ex_sched_thread(int i)
{
	return &S.sims[i].t;
}

void ex_sched_stop(void)
{
	S.stop = true;
}

bool ex_sched_active(void)
{
	return S.active;
}

/* ------------------------------------------------------------------ */
/* prng (splitmix64): deterministic, seeded per run */

uint64_t ex_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int ex_rng_below(uint64_t *s, int n)
{
	return (int)(ex_rng_next(s) % (uint64_t)n);
}

static uint64_t fnv(uint64_t h, const char *s)
{
	if (!s)
		return h * 1099511628211ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static uint64_t fnv_int(uint64_t h, long v)
{
	return (h ^ (uint64_t)v) * 1099511628211ULL;
}

/* ------------------------------------------------------------------ */
/* the threads' side: schedule points */

static void yield_to_scheduler(struct sim *s)
{
	ex_coro_switch(&s->co, &S.main);
	/* resumed by the scheduler: ex_current and the recovery point are ours again */
}

static void hook_point(enum ex_event ev, const struct ex_lock_class *class, const void *lock,
		       const char *what)
{
	struct sim *s = S.running;

	if (!s)
		return;		/* begin/end: one thread, no choices */
	s->ev = ev;
	s->class = class;
	s->lock = lock;
	s->mode = EX_EXCL;
	s->what = what;
	yield_to_scheduler(s);
}

static void hook_block(const struct ex_lock_class *class, const void *lock, enum ex_lock_mode mode,
		       const char *fn)
{
	struct sim *s = S.running;

	if (!s)
		return;
	s->ev = EX_EV_BLOCK;
	s->class = class;
	s->lock = lock;
	s->mode = mode;
	s->what = fn;
	yield_to_scheduler(s);
}

static const struct ex_hooks hooks = { hook_point, hook_block };

static void thread_main(void *arg)
{
	struct sim *s = arg;
	jmp_buf jb;

	if (!setjmp(jb)) {
		s->recover = &jb;
		ex_sink->recover = &jb;
		S.prog->thread(S.prog->ctx, s->index);
		ex_thread_check_clean(&s->t);	/* a thread may not end holding a lock */
	} else {
		s->fatal = true;
	}
	s->done = true;
	s->ev = EX_EV_DONE;
	s->class = NULL;
	s->lock = NULL;
	s->what = NULL;
	for (;;)
		yield_to_scheduler(s);
}

/* ------------------------------------------------------------------ */
/* recording */

static struct ex_step *new_step(struct ex_run *r)
{
	if (r->nr_steps == r->cap_steps) {
		r->cap_steps = r->cap_steps ? r->cap_steps * 2 : 256;
		r->steps = xrealloc(r->steps, (size_t)r->cap_steps * sizeof(*r->steps));
	}
	return &r->steps[r->nr_steps++];
}

static void add_decision(struct ex_run *r, int chosen, char sig)
{
	if (r->nr_dec == r->cap_dec) {
		r->cap_dec = r->cap_dec ? r->cap_dec * 2 : 256;
		r->dec = xrealloc(r->dec, (size_t)r->cap_dec * sizeof(*r->dec));
	}
	r->dec[r->nr_dec++] = (struct ex_decision){ (uint8_t)chosen, sig };
}


/* What the runnable threads are about to do: one character. */
static char signature(uint64_t enabled)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < S.prog->nr_threads; i++) {
		if (!(enabled & (1ULL << i)))
			continue;
		h = fnv_int(h, i);
		h = fnv_int(h, S.sims[i].ev);
		h = fnv(h, S.sims[i].what);
		h = fnv(h, S.sims[i].class ? S.sims[i].class->name : NULL);
	}
	return ex_trail_sig_chars[h % 32];
}

/* The index of window @name; @copy: @name is the caller's buffer. */
static int window_id(const char *name, bool copy)
{
	for (int i = 0; i < S.nr_windows; i++)
		if (S.windows[i] == name || !strcmp(S.windows[i], name))
			return i;
	if (S.nr_windows == MAX_WINDOWS)
		return -1;
	S.windows[S.nr_windows] = copy ? xstrdup(name) : name;
	S.window_owned[S.nr_windows] = copy;
	return S.nr_windows++;
}

/* @x runs next: mark every window another thread is inside. */
static void cover(struct ex_run *r, int x)
{
	for (int i = 0; i < S.prog->nr_threads; i++) {
		struct sim *y = &S.sims[i];
		int id;

		if (i == x || y->done || !y->started)
			continue;
		if ((y->ev == EX_EV_POINT || y->ev == EX_EV_ATOMIC) && y->what &&
		    (id = window_id(y->what, false)) >= 0)
			r->covered[id / 64] |= 1ULL << (id % 64);
		/* stopped before a lock, or asleep on it: "FN: before CLASS" */
		if (S.coverage && (y->ev == EX_EV_ACQUIRE || y->ev == EX_EV_BLOCK) && y->class &&
		    y->what) {
			char name[160];

			snprintf(name, sizeof(name), "%s: before %s", y->what, y->class->name);
			if ((id = window_id(name, true)) >= 0)
				r->covered[id / 64] |= 1ULL << (id % 64);
		}
		for (int h = 0; h < y->t.nr_held; h++)
			if ((id = window_id(y->t.held[h].class->name, false)) >= 0)
				r->covered[id / 64] |= 1ULL << (id % 64);
	}
}

/* ------------------------------------------------------------------ */
/* choosing */

static int default_choice(uint64_t enabled, int prev)
{
	if (prev >= 0 && (enabled & (1ULL << prev)))
		return prev;
	return __builtin_ctzll(enabled);
}

static int nth_enabled(uint64_t enabled, int n)
{
	for (int i = 0; i < 64; i++)
		if ((enabled & (1ULL << i)) && n-- == 0)
			return i;
	return -1;
}

static void diverge(struct ex_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diverge(struct ex_run *r, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	if (r->divergence)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->divergence = xstrdup(buf);
	S.stop = true;
}

static int choose(struct chooser *c, struct ex_run *r, uint64_t enabled, int prev, int step,
		  char sig)
{
	int d = r->nr_dec, n = __builtin_popcountll(enabled), best;

	switch (c->kind) {
	case EX_STRAT_RANDOM:
		return nth_enabled(enabled, ex_rng_below(&c->rng, n));
	case EX_STRAT_PCT:
		best = -1;
		for (int i = 0; i < S.prog->nr_threads; i++)
			if ((enabled & (1ULL << i)) && (best < 0 || c->prio[i] > c->prio[best]))
				best = i;
		return best;
	case EX_STRAT_REPLAY:
		if (d >= c->nr_choices) {
			if (!c->lenient)
				diverge(r, "step %d: the run needs a choice among %d threads, but the trail ends after %d choices",
					step + 1, n, c->nr_choices);
			return default_choice(enabled, prev);
		}
		if (!(enabled & (1ULL << c->choices[d]))) {
			if (!c->lenient)
				diverge(r, "step %d (choice %d): the trail picks thread %d (%s), which cannot run here",
					step + 1, d + 1, c->choices[d] + 1,
					c->choices[d] < S.prog->nr_threads ? S.prog->names[c->choices[d]] : "no such thread");
			return default_choice(enabled, prev);
		}
		if (!c->lenient && c->sigs && c->sigs[d] && c->sigs[d] != sig)
			diverge(r, "step %d (choice %d): the threads are not where the trail was recorded",
				step + 1, d + 1);
		return c->choices[d];
	case EX_STRAT_DFS: {
		struct dfs *f = c->dfs;

		if (d < f->nr)
			return f->v[d].chosen;	/* the prefix being replayed */
		if (f->nr == f->cap) {
			f->cap = f->cap ? f->cap * 2 : 256;
			f->v = xrealloc(f->v, (size_t)f->cap * sizeof(*f->v));
		}
		best = default_choice(enabled, prev);
		f->v[f->nr++] = (struct dfs_node){ enabled, 1ULL << best, best, prev, r->preemptions };
		return best;
	}
	}
	return default_choice(enabled, prev);
}

/* ------------------------------------------------------------------ */
/* one run */

static void reset_run(struct ex_run *r)
{
	free(r->violation.message);
	free(r->violation.dump);
	free(r->violation.where);
	memset(&r->violation, 0, sizeof(r->violation));
	free(r->divergence);
	r->divergence = NULL;
	r->violation_step = -1;
	r->nr_steps = 0;
	r->nr_dec = 0;
	r->preemptions = 0;
	r->hash = 1469598103934665603ULL;
	r->stopped = false;
	if (!r->covered)
		r->covered = xcalloc(MAX_WINDOWS / 64, sizeof(uint64_t));
	memset(r->covered, 0, MAX_WINDOWS / 64 * sizeof(uint64_t));
}

static void protected_check(void *arg)
{
	(void)arg;
	S.prog->check(S.prog->ctx);
}

static void protected_end(void *arg)
{
	(void)arg;
	S.prog->end(S.prog->ctx);
}

static void take_violation(struct ex_run *r, struct ex_sink *sink, int step)
{
	r->violation = sink->first;
	r->violation_step = step;
	memset(&sink->first, 0, sizeof(sink->first));
}

/* The wait-for cycle when every thread sleeps. */
static char *deadlock_message(char **dump)
{
	struct sbuf sb, d;
	int seen[EX_MAX_THREADS] = { 0 };
	int t = -1;

	sbuf_init(&sb);
	sbuf_init(&d);
	for (int i = 0; i < S.prog->nr_threads; i++)
		if (!S.sims[i].done) {
			t = i;
			break;
		}
	sbuf_printf(&sb, "every thread is blocked:");
	/* follow waits-for from the first sleeping thread until a thread repeats */
	for (int n = 0; t >= 0 && n <= S.prog->nr_threads; n++) {
		struct ex_thread *holders[EX_MAX_THREADS];
		struct sim *s = &S.sims[t];
		int nh;

		if (seen[t]) {
			sbuf_printf(&sb, " (cycle)");
			break;
		}
		seen[t] = 1;
		nh = ex_lock_holders(s->t.wait_lock, holders, EX_MAX_THREADS);
		sbuf_printf(&sb, "%s %s waits for %s (%s, in %s), held by %s", n ? ";" : "", s->t.name,
			    s->t.wait_class->name,
			    s->t.wait_only ? "until unlocked" : s->t.wait_mode == EX_SHARED ? "read" : "write",
			    s->t.wait_fn, nh ? holders[0]->name : "nobody (a waiter ahead of it)");
		t = nh ? holders[0]->id - 1 : -1;	/* ids are 1-based */
		if (t >= 0 && S.sims[t].done) {
			sbuf_printf(&sb, "; %s has finished without releasing it", S.sims[t].t.name);
			break;
		}
		if (!nh) {
			/* a FIFO queue: wait for the waiter ahead */
			for (int i = 0; i < S.prog->nr_threads; i++)
				if (S.sims[i].t.wait_lock == s->t.wait_lock &&
				    S.sims[i].t.wait_ticket < s->t.wait_ticket)
					t = i;
		}
	}
	for (int i = 0; i < S.prog->nr_threads; i++) {
		struct sim *s = &S.sims[i];

		sbuf_printf(&d, "%s: %s", s->t.name, s->done ? "finished\n" : "");
		if (!s->done)
			sbuf_printf(&d, "sleeps on %s in %s, statement: %s\n", s->t.wait_class->name,
				    s->t.wait_fn, s->t.stmt ? s->t.stmt : "-");
		for (int h = 0; h < s->t.nr_held; h++)
			sbuf_printf(&d, "  holds %s (%s) taken in %s\n", s->t.held[h].class->name,
				    s->t.held[h].mode == EX_SHARED ? "read" : "write", s->t.held[h].fn);
	}
	*dump = sbuf_detach(&d);
	return sbuf_detach(&sb);
}

static void run_once(struct chooser *c, struct ex_run *r)
{
	const struct ex_program *p = S.prog;
	struct ex_sink sink;
	int prev = -1, step = 0;
	bool ok;

	reset_run(r);
	S.run = r;
	S.ch = c;
	S.stop = false;
	ex_sink_init(&sink);
	ex_sink = &sink;
	ex_lockdep_reset();
	for (int i = 0; i < p->nr_threads; i++) {
		struct sim *s = &S.sims[i];
		struct ex_coro co = s->co;

		memset(s, 0, sizeof(*s));
		s->co = co;
		s->index = i;
		ex_thread_init(&s->t, i + 1, p->names[i]);
		s->ev = EX_EV_STMT;
		S.tptrs[i] = &s->t;
	}
	ex_lock_set_threads(NULL, 0);
	ex_hooks = NULL;
	S.running = NULL;

	sink.stmt_where = "begin";
	ok = p->begin(p->ctx);
	if (sink.first.kind != EX_KIND_NONE) {
		take_violation(r, &sink, -1);
		goto out;	/* begin abandoned the world itself */
	}
	if (!ok || S.stop) {
		r->stopped = true;
		goto out;
	}

	for (int i = 0; i < p->nr_threads; i++)
		ex_coro_start(&S.sims[i].co, STACK_SIZE, thread_main, &S.sims[i]);
	ex_lock_set_threads(S.tptrs, p->nr_threads);
	ex_hooks = &hooks;
	S.active = true;

	for (;;) {
		uint64_t enabled = 0;
		int n = 0, x, alive = 0;
		struct ex_step *st;
		struct sim *s;
		char sig;
		const void *pending_lock;
		const struct ex_lock_class *pending_class;
		enum ex_event pending_ev;

		for (int i = 0; i < p->nr_threads; i++) {
			if (S.sims[i].done)
				continue;
			alive++;
			if (!S.sims[i].t.wait_lock) {
				enabled |= 1ULL << i;
				n++;
			}
		}
		if (!alive)
			break;
		if (!n) {
			char *dump, *msg = deadlock_message(&dump);

			sink.stmt_where = "the threads";
			ex_report(EX_DEADLOCK, dump, "%s", msg);
			free(msg);
			take_violation(r, &sink, step - 1);
			break;
		}
		if (c->kind == EX_STRAT_PCT)
			for (int j = 0; j < c->nr_change; j++)
				if (c->change[j] == step && prev >= 0)
					c->prio[prev] = j;	/* below every initial priority */
		sig = signature(enabled);
		x = n > 1 ? choose(c, r, enabled, prev, step, sig) : default_choice(enabled, prev);
		if (S.stop)
			break;	/* a strict replay diverged */
		st = new_step(r);
		memset(st, 0, sizeof(*st));
		st->thread = x;
		st->holder = -1;
		if (n > 1) {
			st->decision = true;
			st->preemption = prev >= 0 && x != prev && (enabled & (1ULL << prev));
			r->preemptions += st->preemption;
			add_decision(r, x, sig);
		}
		cover(r, x);
		s = &S.sims[x];
		pending_lock = s->lock;
		pending_class = s->class;
		pending_ev = s->ev;
		s->started = true;
		S.running = s;
		ex_set_current(&s->t);
		sink.recover = s->recover;
		sink.stmt_where = s->t.where ? s->t.where : "the threads";
		ex_coro_switch(&S.main, &s->co);
		S.running = NULL;
		sink.recover = NULL;
		ex_set_current(NULL);

		/* it took the lock it stopped before if it holds it now or just released it */
		if ((pending_ev == EX_EV_ACQUIRE || pending_ev == EX_EV_BLOCK) && pending_lock &&
		    (ex_lock_held_by_thread(&s->t, pending_lock) ||
		     (s->ev == EX_EV_RELEASE && s->lock == pending_lock))) {
			st->took = pending_lock;
			st->took_class = pending_class;
		}
		st->ev = s->ev;
		st->class = s->class;
		st->lock = s->lock;
		st->mode = s->mode;
		st->what = s->what;
		st->stmt = s->t.stmt;
		st->ctx_fn = s->t.ctx_fn;
		st->ctx_addr = s->t.ctx_addr;
		if (s->ev == EX_EV_BLOCK) {
			struct ex_thread *h[1];

			if (ex_lock_holders(s->lock, h, 1))
				st->holder = h[0]->id - 1;
		}
		r->hash = fnv_int(r->hash, x);
		r->hash = fnv_int(r->hash, s->ev);
		r->hash = fnv(r->hash, s->what);
		r->hash = fnv(r->hash, s->class ? s->class->name : NULL);
		r->hash = fnv(r->hash, s->t.stmt);
		prev = x;
		if (s->fatal || sink.first.kind != EX_KIND_NONE) {
			take_violation(r, &sink, step);
			break;
		}
		if (S.stop)
			break;
		sink.stmt_where = s->t.where ? s->t.where : "the threads";
		if (!ex_protected_call(&sink, protected_check, NULL) ||
		    sink.first.kind != EX_KIND_NONE) {
			take_violation(r, &sink, step);
			break;
		}
		step++;
	}
	S.active = false;
	ex_hooks = NULL;
	ex_lock_set_threads(NULL, 0);
	if (r->violation.kind != EX_KIND_NONE || S.stop) {
		if (S.stop && r->violation.kind == EX_KIND_NONE)
			r->stopped = true;
		p->abandon(p->ctx);
		goto out;
	}
	if (!ex_protected_call(&sink, protected_end, NULL)) {
		take_violation(r, &sink, -1);
		p->abandon(p->ctx);
		goto out;
	}
	if (sink.first.kind != EX_KIND_NONE)
		take_violation(r, &sink, -1);
	if (S.stop && r->violation.kind == EX_KIND_NONE)
		r->stopped = true;
out:
	ex_sink_reset(&sink);
	ex_sink = NULL;
	ex_set_current(NULL);
	S.running = NULL;
}

/* ------------------------------------------------------------------ */
/* trails */

void ex_replay_choices(const struct ex_program *prog, const uint8_t *choices, int n,
		       const char *sigs, bool lenient, struct ex_run *run)
{
	struct chooser c = { .kind = EX_STRAT_REPLAY, .lenient = lenient, .choices = choices,
			     .nr_choices = n, .sigs = sigs };

	S.prog = prog;
	run_once(&c, run);
	if (!lenient && !run->divergence && run->nr_dec < n &&
	    run->violation.kind == EX_KIND_NONE && !run->stopped)
		run->divergence = xstrdup("the run ended before the trail did");
}

void ex_replay(const struct ex_program *prog, const char *trail, bool lenient, struct ex_run *run)
{
	uint8_t *choices;
	char *sigs;
	int n;
	const char *err = ex_trail_parse(trail, prog->nr_threads, &choices, &n, &sigs);

	if (err) {
		ex_run_free(run);
		run->divergence = xstrdup(err);
	} else {
		ex_replay_choices(prog, choices, n, sigs, lenient, run);
	}
	free(choices);
	free(sigs);
}

void ex_run_free(struct ex_run *r)
{
	free(r->violation.message);
	free(r->violation.dump);
	free(r->violation.where);
	free(r->steps);
	free(r->dec);
	free(r->divergence);
	free(r->covered);
	memset(r, 0, sizeof(*r));
}

void ex_run_move(struct ex_run *dst, struct ex_run *src)
{
	ex_run_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

void ex_sched_run(const struct ex_program *prog, struct chooser *c, struct ex_run *run)
{
	S.prog = prog;
	run_once(c, run);
}

void ex_sched_windows_reset(bool coverage)
{
	for (int i = 0; i < S.nr_windows; i++)
		if (S.window_owned[i])
			free((char *)S.windows[i]);
	S.nr_windows = 0;
	S.coverage = coverage;
}

int ex_sched_nr_windows(void)
{
	return S.nr_windows;
}

const char *ex_sched_window(int i)
{
	return S.windows[i];
}
