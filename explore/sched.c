/*
 * explore/sched.c - the scheduler, the strategies, trails, replay and
 * shrinking (see sched.h)
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
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "explore/coro.h"
#include "explore/sched.h"
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
	int nr_windows;
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

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int rng_below(uint64_t *s, int n)
{
	return (int)(rng_next(s) % (uint64_t)n);
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

static const char sig_chars[] = "0123456789abcdefghjkmnpqrstvwxyz";

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
	return sig_chars[h % 32];
}

static int window_id(const char *name)
{
	for (int i = 0; i < S.nr_windows; i++)
		if (S.windows[i] == name || !strcmp(S.windows[i], name))
			return i;
	if (S.nr_windows == MAX_WINDOWS)
		return -1;
	S.windows[S.nr_windows] = name;
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
		if (y->ev == EX_EV_POINT && y->what && (id = window_id(y->what)) >= 0)
			r->covered[id / 64] |= 1ULL << (id % 64);
		for (int h = 0; h < y->t.nr_held; h++)
			if ((id = window_id(y->t.held[h].class->name)) >= 0)
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
		return nth_enabled(enabled, rng_below(&c->rng, n));
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

char *ex_trail_string(const struct ex_run *r)
{
	struct sbuf sb;

	sbuf_init(&sb);
	for (int i = 0; i < r->nr_dec;) {
		int j = i;

		while (j < r->nr_dec && r->dec[j].chosen == r->dec[i].chosen)
			j++;
		sbuf_printf(&sb, "%s%d", i ? "." : "", r->dec[i].chosen + 1);
		if (j - i > 1)
			sbuf_printf(&sb, "x%d", j - i);
		i = j;
	}
	sbuf_printf(&sb, ":");
	for (int i = 0; i < r->nr_dec; i++)
		sbuf_printf(&sb, "%c", r->dec[i].sig);
	return sbuf_detach(&sb);
}

/* Parse "C:S"; returns an error message or NULL. */
static const char *parse_trail(const char *trail, int nr_threads, uint8_t **choices, int *n,
			       char **sigs)
{
	const char *p = trail;
	int cap = 64;

	*n = 0;
	*sigs = NULL;
	*choices = xmalloc((size_t)cap);
	while (*p && *p != ':') {
		char *end;
		long t = strtol(p, &end, 10), rep = 1;

		if (end == p || t < 1 || t > nr_threads)
			return "a thread number between 1 and the number of threads was expected";
		p = end;
		if (*p == 'x') {
			rep = strtol(p + 1, &end, 10);
			if (end == p + 1 || rep < 1 || rep > 10000000)
				return "a repeat count was expected after 'x'";
			p = end;
		}
		if (*p == '.')
			p++;
		else if (*p && *p != ':')
			return "'.', ':' or the end was expected after a choice";
		while (rep--) {
			if (*n == cap) {
				cap *= 2;
				*choices = xrealloc(*choices, (size_t)cap);
			}
			(*choices)[(*n)++] = (uint8_t)(t - 1);
		}
	}
	if (*p == ':') {
		p++;
		if (*p && (int)strlen(p) != *n)
			return "the signature has a different number of characters than there are choices";
		for (const char *q = p; *q; q++)
			if (!strchr(sig_chars, *q))
				return "the signature has a character that no trail contains";
		*sigs = *p ? xstrdup(p) : NULL;
	}
	return NULL;
}

const char *ex_trail_check(const char *trail, int nr_threads);
const char *ex_trail_check(const char *trail, int nr_threads)
{
	uint8_t *c;
	char *s;
	int n;
	const char *err = parse_trail(trail, nr_threads, &c, &n, &s);

	free(c);
	free(s);
	return err;
}

void ex_replay(const struct ex_program *prog, const char *trail, bool lenient, struct ex_run *run)
{
	struct chooser c = { .kind = EX_STRAT_REPLAY, .lenient = lenient };
	uint8_t *choices;
	char *sigs;
	const char *err;

	S.prog = prog;
	err = parse_trail(trail, prog->nr_threads, &choices, &c.nr_choices, &sigs);
	if (err) {
		ex_run_free(run);
		run->divergence = xstrdup(err);
		free(choices);
		free(sigs);
		return;
	}
	c.choices = choices;
	c.sigs = sigs;
	run_once(&c, run);
	if (!lenient && !run->divergence && run->nr_dec < c.nr_choices &&
	    run->violation.kind == EX_KIND_NONE && !run->stopped)
		run->divergence = xstrdup("the run ended before the trail did");
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

static void run_move(struct ex_run *dst, struct ex_run *src)
{
	ex_run_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

/* ------------------------------------------------------------------ */
/* shrinking */

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
	struct chooser c = { .kind = EX_STRAT_REPLAY, .lenient = true, .choices = choices,
			     .nr_choices = n };
	struct ex_run cand = { 0 };

	if (*budget <= 0)
		return false;
	(*budget)--;
	S.prog = prog;
	run_once(&c, &cand);
	if (cand.violation.kind == best->violation.kind && smaller(&cand, best)) {
		run_move(best, &cand);
		return true;
	}
	ex_run_free(&cand);
	return false;
}

void ex_shrink(const struct ex_program *prog, struct ex_run *run, int budget)
{
	bool progress = true;

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
	rng_next(&c->rng);
	for (int i = 0; i < nthreads; i++)
		perm[i] = i;
	for (int i = nthreads - 1; i > 0; i--) {
		int j = rng_below(&c->rng, i + 1), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (int i = 0; i < nthreads; i++)
		c->prio[i] = depth + perm[i];	/* initial priorities are all >= depth */
	c->nr_change = depth - 1;
	for (int j = 0; j < c->nr_change; j++)
		c->change[j] = rng_below(&c->rng, k > 0 ? k : 1);
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
	S.prog = prog;
	S.nr_windows = 0;
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

		run_once(&d, &run);
		res->max_steps = run.nr_steps;
		dfs.nr = 0;
	}
	for (long i = 0; limit < 0 || i < limit; i++) {
		if (o->seconds > 0 && now_seconds() - t0 > o->seconds)
			break;
		if (o->strategy == EX_STRAT_RANDOM) {
			c.rng = o->seed * 0x2545f4914f6cdd1dULL + (uint64_t)i;
			rng_next(&c.rng);
		} else if (o->strategy == EX_STRAT_PCT) {
			setup_pct(&c, o->seed, i, prog->nr_threads, o->depth < 1 ? 1 : MIN(o->depth, 64),
				  res->max_steps);
		}
		run_once(&c, &run);
		res->runs++;
		res->max_steps = MAX(res->max_steps, run.nr_steps);
		if (o->coverage)
			for (int w = 0; w < S.nr_windows; w++)
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
			struct chooser r = { .kind = EX_STRAT_REPLAY };
			uint8_t *ch = xmalloc((size_t)run.nr_dec + 1);

			for (int k = 0; k < run.nr_dec; k++)
				ch[k] = run.dec[k].chosen;
			r.choices = ch;
			r.nr_choices = run.nr_dec;
			run_once(&r, &again);
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
				run_move(&res->found, &run);
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
		res->window_names[w] = S.windows[w];
	ex_run_free(&run);
	ex_run_free(&again);
	free(dfs.v);
}

void ex_explore_result_free(struct ex_explore_result *res)
{
	ex_run_free(&res->found);
	free(res->nondeterminism);
	free(res->window_names);
	free(res->window_runs);
	memset(res, 0, sizeof(*res));
}

/* ------------------------------------------------------------------ */
/* traces */

void ex_trace_format(const struct ex_program *prog, const struct ex_run *r, struct sbuf *sb)
{
	const char *last_stmt[EX_MAX_THREADS] = { 0 };

	sbuf_printf(sb, "  step  thread      event\n");
	for (int i = 0; i < r->nr_steps; i++) {
		const struct ex_step *st = &r->steps[i];
		const char *name = prog->names[st->thread];

		if (st->stmt && st->stmt != last_stmt[st->thread] && st->ev != EX_EV_STMT)
			sbuf_printf(sb, "  %4s  %-10s  | in: %s\n", "", name, st->stmt);
		last_stmt[st->thread] = st->stmt;
		sbuf_printf(sb, "  %4d%c %-10s  ", i + 1, st->preemption ? '*' : ' ', name);
		if (st->took)
			sbuf_printf(sb, "took %s; ", st->took_class ? st->took_class->name : "the lock");
		switch (st->ev) {
		case EX_EV_ACQUIRE:
			sbuf_printf(sb, "-> about to take %s in %s", st->class->name, st->what);
			break;
		case EX_EV_RELEASE:
			sbuf_printf(sb, "released %s in %s", st->class->name, st->what);
			break;
		case EX_EV_DOWNGRADE:
			sbuf_printf(sb, "downgraded %s to read in %s", st->class->name, st->what);
			break;
		case EX_EV_WAIT:
			sbuf_printf(sb, "-> about to wait for %s to be unlocked in %s", st->class->name,
				    st->what);
			break;
		case EX_EV_BLOCK:
			sbuf_printf(sb, "sleeps on %s (%s) in %s%s%s", st->class->name,
				    st->mode == EX_SHARED ? "read" : "write", st->what,
				    st->holder >= 0 ? ", held by " : "",
				    st->holder >= 0 ? prog->names[st->holder] : "");
			break;
		case EX_EV_POINT:
			sbuf_printf(sb, "at %s", st->what);
			break;
		case EX_EV_ATOMIC:
			sbuf_printf(sb, "at atomic %s", st->what);
			break;
		case EX_EV_STMT:
			sbuf_printf(sb, "-> starts: %s", st->what);
			break;
		case EX_EV_DONE:
			sbuf_printf(sb, "finished");
			break;
		default:
			sbuf_printf(sb, "%s", ex_event_name(st->ev));
		}
		if (i == r->violation_step)
			sbuf_printf(sb, "   <== %s", ex_kind_name(r->violation.kind));
		sbuf_printf(sb, "\n");
	}
	sbuf_printf(sb, "  (* marks a preemption)\n");
}
