/*
 * explore/stress.c - `rmaplab stress`: a scenario's threads on real
 * pthreads, run after run (see stress.h)
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "explore/stress.h"
#include "include/rmaplab.h"
#include "lib/util.h"
#include "mm/internal.h"

#if defined(__SANITIZE_THREAD__)
#define STRESS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_TSAN 1
#endif
#endif

/*
 * The judgement (spec/ and the bindings) is the runner's, not the model's:
 * under ThreadSanitizer it is hidden (its mutex, reads and writes), so the
 * judge_lock does not order one thread's model accesses after another's
 * and hide the model's races.
 */
#ifdef STRESS_TSAN
void AnnotateIgnoreSyncBegin(const char *file, int line);
void AnnotateIgnoreSyncEnd(const char *file, int line);
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define HIDE_BEGIN() do {						\
	AnnotateIgnoreSyncBegin(__FILE__, __LINE__);			\
	AnnotateIgnoreReadsBegin(__FILE__, __LINE__);			\
	AnnotateIgnoreWritesBegin(__FILE__, __LINE__);			\
} while (0)
#define HIDE_END() do {							\
	AnnotateIgnoreWritesEnd(__FILE__, __LINE__);			\
	AnnotateIgnoreReadsEnd(__FILE__, __LINE__);			\
	AnnotateIgnoreSyncEnd(__FILE__, __LINE__);			\
} while (0)
#else
#define HIDE_BEGIN() do { } while (0)
#define HIDE_END() do { } while (0)
#endif

#define DEFAULT_RUNS 100
#define START_JITTER 4000	/* busy iterations, at most, before a thread's first statement */

struct stress_run;

/* One thread section on its pthread. */
struct stress_thread {
	struct stress_run *r;
	const struct scn_section *sec;
	struct ex_thread *t;
	struct ex_sink sink;		/* its own: violations and the recovery point */
	const struct scn_stmt *st;	/* the statement being run */
	struct scn_args args;
	struct scn_outcome out;
	char where[96];
	const struct scn_stmt *unimplemented;
	bool primary;			/* its violation stopped the run */
	struct prng rng;
	pthread_t tid;
};

/* One run. */
struct stress_run {
	struct ex_world w;
	pthread_mutex_t judge_lock;	/* spec/ and the bindings of ex_judge_stmt */
	pthread_barrier_t start;
	int stop;			/* atomic: a thread found a violation */
	struct stress_thread *th;
	int nr;
};

static bool claim_stop(struct stress_run *r)
{
	int none = 0;

	return __atomic_compare_exchange_n(&r->stop, &none, 1, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

static void spin(unsigned long n)
{
	for (volatile unsigned long i = 0; i < n; i++)
		;
}

/* ------------------------------------------------------------------ */
/* the threads */

/* One statement of a thread section, under the thread's recovery point. */
static void thread_stmt(void *arg)
{
	struct stress_thread *c = arg;
	struct stress_run *r = c->r;
	const struct scn_stmt *st = c->st;
	char predicted[160];
	enum ex_status status;

	c->t->stmt = st->text;
	c->t->where = c->where;
	if (st->op == SCN_OP_CHECK) {
		/* not run concurrently (see stress.h): it counts as ok */
		memset(&c->out, 0, sizeof(c->out));
		c->out.kind = SCN_RES_OK;
		status = ex_eval_args(r->w.values, r->w.bound, st, &c->args) ? EX_OK : EX_UNBOUND;
	} else {
		status = ex_exec_stmt(&r->w, st, &c->args, &c->out);
	}
	if (status == EX_UNIMPLEMENTED) {
		c->unimplemented = st;
		return;
	}
	if (status == EX_UNBOUND) {
		ex_report(EX_EXPECT, NULL, "%s: uses a value whose binding statement failed", st->text);
		return;
	}
	ex_thread_check_clean(c->t);
	HIDE_BEGIN();
	pthread_mutex_lock(&r->judge_lock);
	ex_judge_stmt(&r->w, st, &c->args, &c->out, EX_JUDGE_EXPECT, predicted, sizeof(predicted));
	pthread_mutex_unlock(&r->judge_lock);
	HIDE_END();
}

static void *thread_main(void *arg)
{
	struct stress_thread *c = arg;
	struct stress_run *r = c->r;

	ex_sink = &c->sink;
	ex_set_current(c->t);
	pthread_barrier_wait(&r->start);
	spin(prng_below(&c->rng, START_JITTER));
	for (int k = 0; k < c->sec->nr_stmts; k++) {
		const struct scn_stmt *st = &c->sec->stmts[k];
		bool ok;

		if (__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST))
			break;
		c->st = st;
		snprintf(c->where, sizeof(c->where), "%s:%d", st->loc.file, st->loc.line);
		c->sink.stmt_where = c->where;
		ok = ex_protected_call(&c->sink, thread_stmt, c);
		scn_outcome_free(&c->out);
		if (!ok || c->sink.first.kind != EX_KIND_NONE || c->unimplemented) {
			c->primary = claim_stop(r);
			ex_lock_pthreads_stop();	/* wake whoever waits on a lock we hold */
			break;
		}
		if (!prng_below(&c->rng, 4))
			sched_yield();
	}
	c->t->stmt = NULL;
	c->t->where = NULL;
	ex_lock_pthreads_thread_exit();
	ex_set_current(NULL);
	ex_sink = NULL;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the sequential sections: init and final, on the calling thread */

struct seq_ctx {
	struct stress_run *r;
	const struct scn_stmt *st;
	struct ex_thread *t;
	unsigned how;
	struct scn_args args;
	struct scn_outcome out;
	const struct scn_stmt *unimplemented;
};

static void seq_stmt(void *arg)
{
	struct seq_ctx *c = arg;
	char predicted[160];
	enum ex_status status;

	ex_set_current(c->t);
	c->t->stmt = c->st->text;
	vm_alloc_failed_clear();
	status = ex_exec_stmt(&c->r->w, c->st, &c->args, &c->out);
	c->out.alloc_failed = vm_alloc_failed();
	if (status == EX_UNIMPLEMENTED) {
		c->unimplemented = c->st;
		return;
	}
	if (status == EX_UNBOUND) {
		ex_report(EX_EXPECT, NULL, "%s: uses a value whose binding statement failed",
			  c->st->text);
		return;
	}
	ex_thread_check_clean(c->t);
	ex_judge_stmt(&c->r->w, c->st, &c->args, &c->out, c->how, predicted, sizeof(predicted));
	scn_outcome_free(&c->out);
	vm_check_all();
	c->t->stmt = NULL;
	ex_set_current(NULL);
}

/* Move @sink's violation into @res. */
static void take_violation(struct ex_stress_result *res, struct ex_sink *sink, const char *thread,
			   const struct scn_stmt *st, long run)
{
	res->violation = sink->first;
	memset(&sink->first, 0, sizeof(sink->first));
	res->thread = thread;
	res->stmt = st;
	res->violation_run = run;
}

/* A sequential section; false when the run stopped (the world is abandoned then). */
static bool run_section(struct stress_run *r, const struct scn_section *sec, struct ex_thread *t,
			unsigned how, struct ex_sink *sink, long run, struct ex_stress_result *res)
{
	char where[96];

	for (int i = 0; i < sec->nr_stmts; i++) {
		struct seq_ctx c = { .r = r, .st = &sec->stmts[i], .t = t, .how = how };
		bool ok;

		snprintf(where, sizeof(where), "%s:%d", c.st->loc.file, c.st->loc.line);
		sink->stmt_where = where;
		ok = ex_protected_call(sink, seq_stmt, &c);
		scn_outcome_free(&c.out);
		ex_set_current(NULL);
		if (c.unimplemented) {
			res->unimplemented = c.unimplemented;
			ex_world_abandon(&r->w);
			return false;
		}
		if (!ok || sink->first.kind != EX_KIND_NONE) {
			take_violation(res, sink, t->name, c.st, run);
			sink->stmt_where = NULL;
			ex_world_abandon(&r->w);
			return false;
		}
	}
	sink->stmt_where = NULL;
	return true;
}

static void check_all(void *arg)
{
	(void)arg;
	vm_check_all();
}

/* ------------------------------------------------------------------ */
/* one run */

/* Returns false when the runs must stop (violation or unimplemented). */
static bool stress_once(const struct scenario *scn, const struct vm_variants *v,
			unsigned long long seed, long run, struct ex_stress_result *res)
{
	struct stress_run *r = xcalloc(1, sizeof(*r));
	struct ex_thread **tptrs;
	struct ex_sink sink;
	bool ok = false;
	int n = scn->nr_threads;

	ex_sink_init(&sink);
	ex_sink = &sink;
	ex_lockdep_reset();
	ex_world_init(&r->w, scn, v);
	tptrs = xcalloc((size_t)r->w.nr_threads, sizeof(*tptrs));
	for (int i = 0; i < r->w.nr_threads; i++)
		tptrs[i] = &r->w.threads[i];
	ex_lock_set_threads(tptrs, r->w.nr_threads);
	ex_lock_pthreads_begin(0);

	if (!run_section(r, &scn->init, &r->w.threads[0], EX_JUDGE_EXPECT | EX_JUDGE_SPEC, &sink,
			 run, res))
		goto out;

	if (n) {
		r->nr = n;
		r->th = xcalloc((size_t)n, sizeof(*r->th));
		pthread_mutex_init(&r->judge_lock, NULL);
		pthread_barrier_init(&r->start, NULL, (unsigned)n);
		ex_lock_pthreads_begin(n);
		for (int i = 0; i < n; i++) {
			struct stress_thread *c = &r->th[i];

			c->r = r;
			c->sec = &scn->threads[i];
			c->t = &r->w.threads[i + 1];
			ex_sink_init(&c->sink);
			prng_seed(&c->rng, seed * 1000003ULL + (unsigned long long)run * 131ULL +
					   (unsigned long long)i);
			if (pthread_create(&c->tid, NULL, thread_main, c))
				ex_panic("pthread_create failed");
		}
		for (int i = 0; i < n; i++)
			pthread_join(r->th[i].tid, NULL);
		ex_lock_pthreads_begin(0);
		pthread_barrier_destroy(&r->start);
		pthread_mutex_destroy(&r->judge_lock);
		if (r->stop) {
			for (int i = 0; i < n; i++) {
				struct stress_thread *c = &r->th[i];

				if (!c->primary)
					continue;
				if (c->unimplemented)
					res->unimplemented = c->unimplemented;
				else
					take_violation(res, &c->sink, c->t->name, c->st, run);
			}
			for (int i = 0; i < n; i++)
				ex_sink_reset(&r->th[i].sink);
			ex_world_abandon(&r->w);
			goto out;
		}
		for (int i = 0; i < n; i++)
			ex_sink_reset(&r->th[i].sink);
	}

	sink.stmt_where = "after the threads";
	if (!ex_protected_call(&sink, check_all, NULL) || sink.first.kind != EX_KIND_NONE) {
		take_violation(res, &sink, "main", NULL, run);
		ex_world_abandon(&r->w);
		goto out;
	}
	if (!run_section(r, &scn->final, &r->w.threads[r->w.nr_threads - 1], EX_JUDGE_EXPECT, &sink,
			 run, res))
		goto out;
	ex_world_finish_checked(&sink, &r->w);	/* abandons the world itself on a fatal finding */
	if (sink.first.kind != EX_KIND_NONE) {
		take_violation(res, &sink, "teardown", NULL, run);
		goto out;
	}
	ok = true;
out:
	ex_lock_set_threads(NULL, 0);
	ex_sink_reset(&sink);
	ex_sink = NULL;
	ex_set_current(NULL);
	free(tptrs);
	free(r->th);
	free(r);
	return ok;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ex_stress(const struct scenario *scn, const struct vm_variants *v,
	       const struct ex_stress_opts *o, struct ex_stress_result *res)
{
	const struct ex_hooks *saved_hooks = ex_hooks;
	long runs = o->runs > 0 ? o->runs : o->seconds > 0 ? -1 : DEFAULT_RUNS;
	double t0 = now();

	memset(res, 0, sizeof(*res));
	ex_hooks = NULL;	/* no schedule points: the host schedules */
	ex_lock_use_pthreads(true);
	vm_set_real_threads(true);
	for (long run = 1; runs < 0 || run <= runs; run++) {
		double t = now();
		bool more = stress_once(scn, v, o->seed, run, res);

		res->runs = run;
		if ((now() - t) * 1e3 > res->max_run_ms)
			res->max_run_ms = (now() - t) * 1e3;
		if (!more)
			break;
		if (o->seconds > 0 && now() - t0 >= o->seconds)
			break;
	}
	res->seconds = now() - t0;
	vm_set_real_threads(false);
	ex_lock_use_pthreads(false);
	ex_hooks = saved_hooks;
}

void ex_stress_result_free(struct ex_stress_result *res)
{
	free(res->violation.message);
	free(res->violation.dump);
	free(res->violation.where);
	memset(res, 0, sizeof(*res));
}

/* ------------------------------------------------------------------ */
/* rmaplab stress */

int rl_stress_file(const char *path, const struct rl_explore_opts *o, FILE *out, FILE *err)
{
	struct scn_setting overrides[VAR_NR_KEYS * 4];
	struct ex_stress_opts so = { 0 };
	struct ex_stress_result res;
	struct scn_error perr;
	struct scenario *scn;
	struct vm_variants v;
	double rate;
	int code;

	if (o->nr_variants > (int)ARRAY_SIZE(overrides)) {
		fprintf(err, "rmaplab: too many --variant options\n");
		return RL_EXIT_BAD_INPUT;
	}
	if (o->runs < 0 || o->seconds < 0) {
		fprintf(err, "rmaplab stress: --runs and --seconds take positive values\n");
		return RL_EXIT_BAD_INPUT;
	}
	for (int i = 0; i < o->nr_variants; i++)
		if (!ex_parse_variant(o->variants[i], &overrides[i], err))
			return RL_EXIT_BAD_INPUT;
	scn = scn_parse_file(path, &perr);
	if (!scn) {
		fprintf(err, "%s\n", perr.msg);
		return RL_EXIT_BAD_INPUT;
	}
	ex_variants_for(scn, overrides, o->nr_variants, &v);
	so.runs = o->runs;
	so.seconds = o->seconds;
	so.seed = o->seed ? o->seed : 1;

	ex_stress(scn, &v, &so, &res);

	rate = res.seconds > 0 ? (double)res.runs / res.seconds : 0.0;
	code = res.unimplemented ? RL_EXIT_UNIMPLEMENTED :
	       res.violation.kind != EX_KIND_NONE ? RL_EXIT_VIOLATION : RL_EXIT_OK;
	if (o->flags & RL_RUN_JSON) {
		struct sbuf sb;

		sbuf_init(&sb);
		sbuf_puts(&sb, "{\"scenario\": ");
		sbuf_json_string(&sb, scn->name);
		sbuf_puts(&sb, ", \"file\": ");
		sbuf_json_string(&sb, path);
		sbuf_printf(&sb, ", \"mode\": \"stress\", \"threads\": %d, \"runs\": %ld, \"seconds\": %.3f, \"runs_per_second\": %.1f, \"max_run_ms\": %.3f",
			    scn->nr_threads, res.runs, res.seconds, rate, res.max_run_ms);
		if (res.unimplemented)
			sbuf_puts(&sb, ", \"unimplemented\": true");
		sbuf_puts(&sb, ", \"violations\": [");
		if (res.violation.kind != EX_KIND_NONE) {
			sbuf_puts(&sb, "{\"kind\": ");
			sbuf_json_string(&sb, ex_kind_name(res.violation.kind));
			sbuf_puts(&sb, ", \"message\": ");
			sbuf_json_string(&sb, res.violation.message ? res.violation.message : "");
			sbuf_puts(&sb, ", \"where\": ");
			sbuf_json_string(&sb, res.violation.where ? res.violation.where : "");
			sbuf_puts(&sb, ", \"thread\": ");
			sbuf_json_string(&sb, res.thread ? res.thread : "");
			sbuf_puts(&sb, ", \"statement\": ");
			if (res.stmt)
				sbuf_json_string(&sb, res.stmt->text);
			else
				sbuf_puts(&sb, "null");
			sbuf_printf(&sb, ", \"run\": %ld, \"dump\": ", res.violation_run);
			sbuf_json_string(&sb, res.violation.dump ? res.violation.dump : "");
			sbuf_puts(&sb, "}");
		}
		sbuf_puts(&sb, "]}\n");
		fputs(sb.buf, out);
		sbuf_free(&sb);
	} else {
		if (res.unimplemented)
			fprintf(out, "stopped: %s:%d: '%s' is not implemented in this build\n",
				res.unimplemented->loc.file, res.unimplemented->loc.line,
				res.unimplemented->text);
		if (res.violation.kind != EX_KIND_NONE) {
			const char *dump = res.violation.dump;

			fprintf(out, "VIOLATION %s: %s\n", ex_kind_name(res.violation.kind),
				res.violation.message);
			if (res.violation.where && res.violation.where[0])
				fprintf(out, "  at %s\n", res.violation.where);
			if (res.stmt)
				fprintf(out, "  thread %s, statement: %s\n", res.thread, res.stmt->text);
			else
				fprintf(out, "  in %s\n", res.thread);
			fprintf(out, "  found in run %ld (stress runs are not reproducible: explore the scenario for a trail)\n",
				res.violation_run);
			if (dump && dump[0])
				fprintf(out, "%s%s", dump, dump[strlen(dump) - 1] == '\n' ? "" : "\n");
			fprintf(out, "stress %s: %ld run%s, %d thread%s, violation %s in run %ld (%.1f runs/s)\n",
				path, res.runs, res.runs == 1 ? "" : "s", scn->nr_threads,
				scn->nr_threads == 1 ? "" : "s", ex_kind_name(res.violation.kind),
				res.violation_run, rate);
		} else if (!res.unimplemented) {
			fprintf(out, "stress %s: %ld run%s, %d thread%s, no violation (%.1f runs/s)\n",
				path, res.runs, res.runs == 1 ? "" : "s", scn->nr_threads,
				scn->nr_threads == 1 ? "" : "s", rate);
		}
	}
	ex_stress_result_free(&res);
	scn_free(scn);
	return code;
}
