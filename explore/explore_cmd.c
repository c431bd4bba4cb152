/*
 * explore/explore_cmd.c - `rmaplab explore`, `replay` and `test`: the
 * scenario side of the explorer and its reports (text and JSON)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "explore/concurrent.h"
#include "explore/svg.h"
#include "include/rmaplab.h"
#include "lib/util.h"

#define SHRINK_BUDGET 400

struct loaded {
	struct scenario *scn;
	struct scn_setting overrides[VAR_NR_KEYS * 4];
	int nr_overrides;
	struct vm_variants v;
};

static int load(const char *path, const char *const *variants, int nr_variants, struct loaded *l,
		FILE *err)
{
	struct scn_error perr;

	memset(l, 0, sizeof(*l));
	if (nr_variants > (int)ARRAY_SIZE(l->overrides)) {
		fprintf(err, "rmaplab: too many --variant options\n");
		return RL_EXIT_BAD_INPUT;
	}
	for (int i = 0; i < nr_variants; i++)
		if (!ex_parse_variant(variants[i], &l->overrides[i], err))
			return RL_EXIT_BAD_INPUT;
	l->nr_overrides = nr_variants;
	l->scn = scn_parse_file(path, &perr);
	if (!l->scn) {
		fprintf(err, "%s\n", perr.msg);
		return RL_EXIT_BAD_INPUT;
	}
	if (l->scn->nr_threads > EX_MAX_THREADS) {
		fprintf(err, "%s: %d thread sections; the explorer runs at most %d\n", path,
			l->scn->nr_threads, EX_MAX_THREADS);
		scn_free(l->scn);
		return RL_EXIT_BAD_INPUT;
	}
	ex_variants_for(l->scn, l->overrides, nr_variants, &l->v);
	return RL_EXIT_OK;
}

static bool parse_strategy(const char *s, enum ex_strategy *out)
{
	if (!s || !strcmp(s, "random"))
		*out = EX_STRAT_RANDOM;
	else if (!strcmp(s, "pct"))
		*out = EX_STRAT_PCT;
	else if (!strcmp(s, "dfs"))
		*out = EX_STRAT_DFS;
	else
		return false;
	return true;
}

/* The --variant options that turn the scenario's own design into @v. */
static void variant_args(const struct scenario *scn, const struct vm_variants *v, struct sbuf *sb)
{
	struct vm_variants own;

	ex_variants_for(scn, NULL, 0, &own);
	for (int k = 0; k < VAR_NR_KEYS; k++)
		if (own.value[k] != v->value[k])
			sbuf_printf(sb, " --variant %s=%s", vm_variant_table[k].key,
				    vm_variant_table[k].values[v->value[k]]);
}

static char *replay_command(const struct scenario *scn, const struct vm_variants *v,
			    const char *trail, bool atomics)
{
	struct sbuf sb;

	sbuf_init(&sb);
	sbuf_printf(&sb, "rmaplab replay %s --trail '%s'", scn->path, trail);
	variant_args(scn, v, &sb);
	if (atomics)
		sbuf_puts(&sb, " --points=atomics");
	return sbuf_detach(&sb);
}

static void print_violation_text(const struct ex_program *prog, const struct scenario *scn,
				 const struct vm_variants *v, const struct ex_run *r, bool atomics,
				 FILE *out)
{
	struct sbuf sb;
	char *trail = ex_trail_string(r), *cmd = replay_command(scn, v, trail, atomics);

	fprintf(out, "VIOLATION %s: %s\n", ex_kind_name(r->violation.kind), r->violation.message);
	if (r->violation.where)
		fprintf(out, "  at %s\n", r->violation.where);
	if (r->violation_step >= 0)
		fprintf(out, "  found after step %d of %d; %d preemption%s\n", r->violation_step + 1,
			r->nr_steps, r->preemptions, r->preemptions == 1 ? "" : "s");
	if (r->violation.dump)
		fprintf(out, "%s%s", r->violation.dump,
			r->violation.dump[0] && r->violation.dump[strlen(r->violation.dump) - 1] == '\n' ? "" : "\n");
	sbuf_init(&sb);
	ex_trace_format(prog, r, &sb);
	fprintf(out, "trace:\n%s", sb.buf);
	sbuf_free(&sb);
	fprintf(out, "trail: %s\n", trail);
	fprintf(out, "replay: %s\n", cmd);
	free(trail);
	free(cmd);
}

static void json_steps(struct sbuf *sb, const struct ex_program *prog, const struct ex_run *r)
{
	sbuf_puts(sb, "[");
	for (int i = 0; i < r->nr_steps; i++) {
		const struct ex_step *st = &r->steps[i];

		sbuf_printf(sb, "%s{\"step\": %d, \"thread\": ", i ? ", " : "", i + 1);
		sbuf_json_string(sb, prog->names[st->thread]);
		sbuf_puts(sb, ", \"event\": ");
		sbuf_json_string(sb, ex_event_name(st->ev));
		sbuf_puts(sb, ", \"lock\": ");
		if (st->class)
			sbuf_json_string(sb, st->class->name);
		else
			sbuf_puts(sb, "null");
		sbuf_puts(sb, ", \"function\": ");
		if (st->what && st->ev != EX_EV_STMT)
			sbuf_json_string(sb, st->what);
		else
			sbuf_puts(sb, "null");
		sbuf_puts(sb, ", \"statement\": ");
		if (st->stmt)
			sbuf_json_string(sb, st->stmt);
		else
			sbuf_puts(sb, "null");
		sbuf_printf(sb, ", \"took\": ");
		if (st->took_class)
			sbuf_json_string(sb, st->took_class->name);
		else
			sbuf_puts(sb, "null");
		sbuf_printf(sb, ", \"preemption\": %s}", st->preemption ? "true" : "false");
	}
	sbuf_puts(sb, "]");
}

static void json_violation(struct sbuf *sb, const struct ex_program *prog,
			   const struct scenario *scn, const struct vm_variants *v,
			   const struct ex_run *r, bool atomics)
{
	char *trail = ex_trail_string(r), *cmd = replay_command(scn, v, trail, atomics);

	sbuf_puts(sb, "{\"kind\": ");
	sbuf_json_string(sb, ex_kind_name(r->violation.kind));
	sbuf_puts(sb, ", \"message\": ");
	sbuf_json_string(sb, r->violation.message ? r->violation.message : "");
	sbuf_puts(sb, ", \"where\": ");
	if (r->violation.where)
		sbuf_json_string(sb, r->violation.where);
	else
		sbuf_puts(sb, "null");
	sbuf_puts(sb, ", \"dump\": ");
	if (r->violation.dump)
		sbuf_json_string(sb, r->violation.dump);
	else
		sbuf_puts(sb, "null");
	sbuf_puts(sb, ", \"trail\": ");
	sbuf_json_string(sb, trail);
	sbuf_puts(sb, ", \"replay\": ");
	sbuf_json_string(sb, cmd);
	sbuf_printf(sb, ", \"preemptions\": %d, \"violation_step\": %d, \"steps\": ", r->preemptions,
		    r->violation_step + 1);
	json_steps(sb, prog, r);
	sbuf_puts(sb, "}");
	free(trail);
	free(cmd);
}

static int write_svg(const char *path, const struct ex_program *prog, const struct ex_run *r,
		     const char *title, FILE *err)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(err, "rmaplab: cannot write %s: %m\n", path);
		return RL_EXIT_BAD_INPUT;
	}
	ex_svg_write(f, prog, r, title);
	if (fclose(f)) {
		fprintf(err, "rmaplab: cannot write %s: %m\n", path);
		return RL_EXIT_BAD_INPUT;
	}
	return RL_EXIT_OK;
}

static void print_coverage(const struct ex_explore_result *res, FILE *out)
{
	fprintf(out, "coverage (schedules in which another thread ran while a thread was inside):\n");
	if (!res->nr_windows)
		fprintf(out, "  no window was entered by two threads\n");
	for (int w = 0; w < res->nr_windows; w++)
		fprintf(out, "  %-40s %ld of %ld schedules\n", res->window_names[w],
			res->window_runs[w], res->runs);
}

static void json_coverage(struct sbuf *sb, const struct ex_explore_result *res)
{
	sbuf_puts(sb, "{");
	for (int w = 0; w < res->nr_windows; w++) {
		sbuf_puts(sb, w ? ", " : "");
		sbuf_json_string(sb, res->window_names[w]);
		sbuf_printf(sb, ": %ld", res->window_runs[w]);
	}
	sbuf_puts(sb, "}");
}

/* 1/(n·k^(d−1)), PCT's guarantee for a bug of depth d. */
static double pct_bound(int n, int k, int d)
{
	double b = n;

	for (int i = 1; i < d; i++)
		b *= k;
	return b > 0 ? 1.0 / b : 0;
}

int rl_explore_file(const char *path, const struct rl_explore_opts *o, FILE *out, FILE *err)
{
	struct ex_explore_opts eo = { 0 };
	struct ex_explore_result res;
	struct ex_scn_prog *p;
	struct loaded l;
	struct sbuf v;
	char msg[256];
	int code;

	if (!parse_strategy(o->strategy, &eo.strategy)) {
		fprintf(err, "rmaplab explore: unknown strategy '%s' (random, pct, dfs)\n", o->strategy);
		return RL_EXIT_BAD_INPUT;
	}
	code = load(path, o->variants, o->nr_variants, &l, err);
	if (code)
		return code;
	p = xcalloc(1, sizeof(*p));
	if (!ex_scn_prog_init(p, l.scn, &l.v, msg, sizeof(msg))) {
		fprintf(err, "%s\n", msg);
		free(p);
		scn_free(l.scn);
		return RL_EXIT_BAD_INPUT;
	}
	eo.runs = o->runs;
	eo.seconds = o->seconds;
	eo.seed = o->seed;
	eo.preemptions = o->preemptions;
	eo.depth = o->depth;
	eo.check_determinism = o->flags & RL_EXPLORE_DETERMINISM;
	eo.coverage = o->flags & RL_EXPLORE_COVERAGE;
	eo.progress = o->flags & RL_EXPLORE_PROGRESS;
	ex_points_atomics = o->flags & RL_EXPLORE_ATOMICS;
	ex_explore(&p->prog, &eo, EX_KIND_NONE, NULL, &res);
	if (res.found.violation.kind != EX_KIND_NONE && !(o->flags & RL_EXPLORE_NO_SHRINK))
		ex_shrink(&p->prog, &res.found, SHRINK_BUDGET);

	sbuf_init(&v);
	ex_variants_text(&l.v, &v);
	if (o->flags & RL_RUN_JSON) {
		struct sbuf sb;

		sbuf_init(&sb);
		sbuf_puts(&sb, "{\"scenario\": ");
		sbuf_json_string(&sb, l.scn->name);
		sbuf_puts(&sb, ", \"file\": ");
		sbuf_json_string(&sb, path);
		sbuf_puts(&sb, ", \"design\": ");
		sbuf_json_string(&sb, v.buf);
		sbuf_puts(&sb, ", \"strategy\": ");
		sbuf_json_string(&sb, ex_strategy_name(eo.strategy));
		sbuf_printf(&sb, ", \"seed\": %llu, \"preemption_bound\": %d, \"depth\": %d",
			    (unsigned long long)o->seed, o->preemptions, o->depth);
		sbuf_printf(&sb, ", \"threads\": %d, \"max_steps\": %d, \"runs\": %ld, \"schedules\": %ld, \"exhausted\": %s, \"seconds\": %.3f",
			    res.max_threads, res.max_steps, res.runs, res.runs,
			    res.exhausted ? "true" : "false", res.seconds);
		if (eo.strategy == EX_STRAT_PCT)
			sbuf_printf(&sb, ", \"pct_probability_bound\": %.3g",
				    pct_bound(res.max_threads, res.max_steps, o->depth));
		if (p->unimplemented)
			sbuf_puts(&sb, ", \"unimplemented\": true");
		if (res.nondeterminism) {
			sbuf_puts(&sb, ", \"nondeterminism\": ");
			sbuf_json_string(&sb, res.nondeterminism);
		}
		if (eo.coverage) {
			sbuf_puts(&sb, ", \"coverage\": ");
			json_coverage(&sb, &res);
		}
		sbuf_puts(&sb, ", \"violations\": [");
		if (res.found.violation.kind != EX_KIND_NONE)
			json_violation(&sb, &p->prog, l.scn, &l.v, &res.found, ex_points_atomics);
		sbuf_puts(&sb, "]}\n");
		fputs(sb.buf, out);
		sbuf_free(&sb);
	} else {
		fprintf(out, "scenario %s (%s), design: %s\n", l.scn->name, path, v.buf);
		fprintf(out, "strategy %s", ex_strategy_name(eo.strategy));
		if (eo.strategy == EX_STRAT_DFS)
			fprintf(out, ", preemption bound %d", o->preemptions);
		if (eo.strategy == EX_STRAT_PCT)
			fprintf(out, ", depth %d", o->depth);
		if (eo.strategy != EX_STRAT_DFS)
			fprintf(out, ", seed %llu", (unsigned long long)o->seed);
		fprintf(out, ": %ld schedule%s in %.2f s (%.0f/s)%s\n", res.runs,
			res.runs == 1 ? "" : "s", res.seconds,
			res.seconds > 0 ? (double)res.runs / res.seconds : 0.0,
			eo.strategy == EX_STRAT_DFS ? (res.exhausted ? ", exhausted" : ", not exhausted") : "");
		if (eo.strategy == EX_STRAT_PCT)
			fprintf(out, "pct: %d threads, at most %d steps: each run finds a bug of depth %d with probability >= 1/(n*k^(d-1)) = %.3g\n",
				res.max_threads, res.max_steps, o->depth,
				pct_bound(res.max_threads, res.max_steps, o->depth));
		if (res.nondeterminism)
			fprintf(out, "NONDETERMINISM: %s\n", res.nondeterminism);
		if (p->unimplemented)
			fprintf(out, "stopped: %s:%d: '%s' is not implemented in this build\n",
				p->unimplemented->loc.file, p->unimplemented->loc.line,
				p->unimplemented->text);
		if (res.found.violation.kind != EX_KIND_NONE) {
			fprintf(out, "found in schedule %ld after %.0f ms\n", res.found_at, res.found_ms);
			print_violation_text(&p->prog, l.scn, &l.v, &res.found, ex_points_atomics, out);
		} else if (!p->unimplemented) {
			fprintf(out, "no violation\n");
		}
		if (eo.coverage)
			print_coverage(&res, out);
	}
	code = p->unimplemented ? RL_EXIT_UNIMPLEMENTED :
	       res.found.violation.kind != EX_KIND_NONE ? RL_EXIT_VIOLATION :
	       res.nondeterminism ? RL_EXIT_VIOLATION : RL_EXIT_OK;
	if (o->svg && res.found.violation.kind != EX_KIND_NONE) {
		char title[512];

		snprintf(title, sizeof(title), "%s (%s): %s", l.scn->name, v.buf,
			 ex_kind_name(res.found.violation.kind));
		if (write_svg(o->svg, &p->prog, &res.found, title, err))
			code = RL_EXIT_BAD_INPUT;
	}
	sbuf_free(&v);
	ex_points_atomics = false;
	ex_explore_result_free(&res);
	free(p);
	scn_free(l.scn);
	return code;
}

int rl_replay_file(const char *path, const struct rl_explore_opts *o, FILE *out, FILE *err)
{
	struct ex_scn_prog *p;
	struct ex_run run = { 0 };
	struct loaded l;
	struct sbuf v;
	char msg[256];
	int code;

	if (!o->trail) {
		fprintf(err, "rmaplab replay: --trail T is required\n");
		return RL_EXIT_BAD_INPUT;
	}
	code = load(path, o->variants, o->nr_variants, &l, err);
	if (code)
		return code;
	p = xcalloc(1, sizeof(*p));
	if (!ex_scn_prog_init(p, l.scn, &l.v, msg, sizeof(msg))) {
		fprintf(err, "%s\n", msg);
		free(p);
		scn_free(l.scn);
		return RL_EXIT_BAD_INPUT;
	}
	ex_points_atomics = o->flags & RL_EXPLORE_ATOMICS;
	ex_replay(&p->prog, o->trail, false, &run);
	sbuf_init(&v);
	ex_variants_text(&l.v, &v);
	if (run.divergence) {
		fprintf(err, "rmaplab replay: %s: the trail does not fit this scenario and model: %s\n"
			"  (a trail replays only with the --variant and --points options it was recorded with)\n",
			path, run.divergence);
		code = RL_EXIT_BAD_INPUT;
	} else if (o->flags & RL_RUN_JSON) {
		struct sbuf sb;

		sbuf_init(&sb);
		sbuf_puts(&sb, "{\"scenario\": ");
		sbuf_json_string(&sb, l.scn->name);
		sbuf_puts(&sb, ", \"strategy\": \"replay\", \"runs\": 1, \"schedules\": 1, \"exhausted\": false, \"violations\": [");
		if (run.violation.kind != EX_KIND_NONE)
			json_violation(&sb, &p->prog, l.scn, &l.v, &run, ex_points_atomics);
		sbuf_puts(&sb, "], \"steps\": ");
		json_steps(&sb, &p->prog, &run);
		sbuf_puts(&sb, "}\n");
		fputs(sb.buf, out);
		sbuf_free(&sb);
	} else {
		fprintf(out, "scenario %s (%s), design: %s, replaying %d choices\n", l.scn->name, path,
			v.buf, run.nr_dec);
		if (run.violation.kind != EX_KIND_NONE) {
			print_violation_text(&p->prog, l.scn, &l.v, &run, ex_points_atomics, out);
		} else {
			struct sbuf sb;

			sbuf_init(&sb);
			ex_trace_format(&p->prog, &run, &sb);
			fprintf(out, "trace:\n%s", sb.buf);
			sbuf_free(&sb);
			if (p->unimplemented)
				fprintf(out, "stopped: %s:%d: '%s' is not implemented in this build\n",
					p->unimplemented->loc.file, p->unimplemented->loc.line,
					p->unimplemented->text);
			else
				fprintf(out, "no violation\n");
		}
	}
	if (!run.divergence)
		code = p->unimplemented ? RL_EXIT_UNIMPLEMENTED :
		       run.violation.kind != EX_KIND_NONE ? RL_EXIT_VIOLATION : RL_EXIT_OK;
	if (!run.divergence && o->svg) {
		char title[512];

		snprintf(title, sizeof(title), "%s (%s): %s", l.scn->name, v.buf,
			 run.violation.kind ? ex_kind_name(run.violation.kind) : "no violation");
		if (write_svg(o->svg, &p->prog, &run, title, err))
			code = RL_EXIT_BAD_INPUT;
	}
	sbuf_free(&v);
	ex_points_atomics = false;
	ex_run_free(&run);
	free(p);
	scn_free(l.scn);
	return code;
}

/* ------------------------------------------------------------------ */
/* rmaplab test: expect claims */

struct claim_search {
	long schedules;			/* dfs schedules */
	long pct_runs;
	int bound_found;		/* dfs bound that found it, -1 */
	int depth_found;		/* pct depth that found it, -1 */
	bool bound2_exhausted;
	int max_bound_done;		/* the highest bound exhausted, -1 */
	unsigned other_kinds;
	struct ex_run found;
	double ms;
	bool timed_out;
	bool unimplemented;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/*
 * One strategy of the claim's search with what is left of the cap: adds
 * its runs to *runs; true when it ended the search (found, unimplemented,
 * or out of time or runs).
 */
static bool search_with(struct ex_scn_prog *p, struct ex_explore_opts *eo, enum ex_kind want,
			struct claim_search *cs, long *runs, double t0, double cap_ms)
{
	struct ex_explore_result res;
	double left = cap_ms - (now_ms() - t0);
	unsigned other;

	if (left <= 0) {
		cs->timed_out = true;
		return true;
	}
	eo->seconds = left / 1000.0;
	ex_explore(&p->prog, eo, want, &other, &res);
	*runs += res.runs;
	cs->other_kinds |= other;
	cs->unimplemented = p->unimplemented != NULL;
	if (res.found.violation.kind != EX_KIND_NONE) {
		cs->found = res.found;
		memset(&res.found, 0, sizeof(res.found));
	} else if (eo->strategy == EX_STRAT_DFS ? !res.exhausted : res.runs < eo->runs) {
		cs->timed_out = true;
	}
	ex_explore_result_free(&res);
	return cs->unimplemented || cs->timed_out || cs->found.violation.kind != EX_KIND_NONE;
}

/* Search for @want (EX_KIND_NONE: any violation) within @b's budget. */
static void search_claim(struct ex_scn_prog *p, const struct rl_test_budget *b, enum ex_kind want,
			 struct claim_search *cs)
{
	double t0 = now_ms(), cap_ms = b->seconds * 1000.0;
	bool done = false;

	memset(cs, 0, sizeof(*cs));
	cs->bound_found = cs->depth_found = cs->max_bound_done = -1;
	for (int bound = b->min_bound; bound <= b->max_bound && !done; bound++) {
		struct ex_explore_opts eo = { .strategy = EX_STRAT_DFS, .preemptions = bound };

		done = search_with(p, &eo, want, cs, &cs->schedules, t0, cap_ms);
		if (cs->found.violation.kind != EX_KIND_NONE)
			cs->bound_found = bound;
		else if (!done) {
			cs->max_bound_done = bound;
			cs->bound2_exhausted |= bound == 2;
		}
	}
	/* pct-runs=0: no pct at all (ex_explore would read runs 0 as its default) */
	for (int depth = b->min_depth; depth <= b->max_depth && !done && b->pct_runs > 0; depth++) {
		struct ex_explore_opts eo = { .strategy = EX_STRAT_PCT, .depth = depth,
					      .runs = b->pct_runs, .seed = 1 };

		done = search_with(p, &eo, want, cs, &cs->pct_runs, t0, cap_ms);
		if (cs->found.violation.kind != EX_KIND_NONE)
			cs->depth_found = depth;
	}
	cs->ms = now_ms() - t0;
}

bool ex_check_claim(const struct scenario *scn, const struct scn_claim *cl,
		    const struct rl_test_budget *b, struct ex_claim_stats *st, char *err,
		    size_t err_size)
{
	struct ex_scn_prog *p = xcalloc(1, sizeof(*p));
	struct claim_search cs;
	struct vm_variants v;

	memset(st, 0, sizeof(*st));
	ex_variants_for(scn, cl->with, cl->nr_with, &v);
	if (!ex_scn_prog_init(p, scn, &v, err, err_size)) {
		free(p);
		return false;
	}
	search_claim(p, b, cl->pass ? EX_KIND_NONE : cl->kind, &cs);
	st->found = cs.found.violation.kind;
	st->schedules = cs.schedules;
	st->pct_runs = cs.pct_runs;
	st->bound_found = cs.bound_found;
	st->depth_found = cs.depth_found;
	st->bound2_exhausted = cs.bound2_exhausted;
	st->timed_out = cs.timed_out;
	st->unimplemented = cs.unimplemented ? p->unimplemented : NULL;
	st->other_kinds = cs.other_kinds;
	st->ms = cs.ms;
	ex_run_free(&cs.found);
	free(p);
	return true;
}

static void other_kinds_text(unsigned kinds, struct sbuf *sb)
{
	bool any = false;

	for (int k = 1; k < EX_NR_KINDS; k++)
		if (kinds & (1u << k)) {
			sbuf_printf(sb, "%s%s", any ? ", " : " (met on the way: ", ex_kind_name(k));
			any = true;
		}
	if (any)
		sbuf_puts(sb, ")");
}

int rl_test_file(const char *path, const struct rl_test_budget *given, FILE *out, FILE *err,
		 int *passed, int *failed)
{
	struct rl_test_budget b = *given;
	struct ex_scn_prog *p;
	struct loaded l;
	char msg[256];
	int code = RL_EXIT_OK;

	/* bounds 0-0 and pct-runs=0 are real requests: only what cannot be is defaulted */
	if (!b.min_depth)
		b.min_depth = 2;
	if (!b.max_depth)
		b.max_depth = 5;
	if (b.seconds <= 0)
		b.seconds = 60;
	code = load(path, NULL, 0, &l, err);
	if (code)
		return code;
	if (!l.scn->nr_claims)
		fprintf(out, "%s: no expect claims\n", path);
	ex_points_atomics = b.flags & RL_EXPLORE_ATOMICS;
	for (int c = 0; c < l.scn->nr_claims; c++) {
		const struct scn_claim *cl = &l.scn->claims[c];
		struct claim_search cs;
		struct vm_variants v;
		struct sbuf sb;
		bool ok;

		ex_variants_for(l.scn, cl->with, cl->nr_with, &v);
		p = xcalloc(1, sizeof(*p));
		if (!ex_scn_prog_init(p, l.scn, &v, msg, sizeof(msg))) {
			fprintf(err, "%s\n", msg);
			free(p);
			code = RL_EXIT_BAD_INPUT;
			break;
		}
		if (cl->pass) {
			search_claim(p, &b, EX_KIND_NONE, &cs);
		} else {
			struct rl_test_budget fb = b;

			if (fb.fail_max_bound > fb.max_bound)
				fb.max_bound = fb.fail_max_bound;
			if (fb.fail_seconds > 0)
				fb.seconds = fb.fail_seconds;
			search_claim(p, &fb, cl->kind, &cs);
		}
		sbuf_init(&sb);
		if (cs.unimplemented) {
			fprintf(out, "%s:%d: %s: NOT RUN: '%s' is not implemented in this build\n",
				cl->loc.file, cl->loc.line, cl->text, p->unimplemented->text);
			code = code == RL_EXIT_OK ? RL_EXIT_UNIMPLEMENTED : code;
			(*failed)++;
			free(p);
			sbuf_free(&sb);
			continue;
		}
		if (cl->pass) {
			ok = cs.found.violation.kind == EX_KIND_NONE;
			if (ok)
				sbuf_printf(&sb, "no violation in %ld schedules and %ld pct runs, %.0f ms; bound 2 %s",
					    cs.schedules, cs.pct_runs, cs.ms,
					    cs.bound2_exhausted ? "exhausted" : "not exhausted");
			else
				sbuf_printf(&sb, "found %s in %ld schedules and %ld pct runs, %.0f ms",
					    ex_kind_name(cs.found.violation.kind), cs.schedules,
					    cs.pct_runs, cs.ms);
		} else {
			ok = cs.found.violation.kind == cl->kind;
			if (ok) {
				sbuf_printf(&sb, "found %s in %ld schedules", ex_kind_name(cl->kind),
					    cs.schedules + cs.pct_runs);
				sbuf_printf(&sb, " and %.0f ms", cs.ms);
				if (cs.bound_found >= 0)
					sbuf_printf(&sb, " at bound %d", cs.bound_found);
				else
					sbuf_printf(&sb, " with pct depth %d", cs.depth_found);
			} else {
				sbuf_printf(&sb, "%s not found in %ld schedules and %ld pct runs, %.0f ms; bound 2 %s",
					    ex_kind_name(cl->kind), cs.schedules, cs.pct_runs, cs.ms,
					    cs.bound2_exhausted ? "exhausted" : "not exhausted");
			}
			other_kinds_text(cs.other_kinds, &sb);
		}
		fprintf(out, "%s:%d: %s: %s: %s\n", cl->loc.file, cl->loc.line, cl->text,
			ok ? "PASS" : "FAIL", sb.buf);
		if (!ok && cs.found.violation.kind != EX_KIND_NONE) {
			ex_shrink(&p->prog, &cs.found, SHRINK_BUDGET);
			print_violation_text(&p->prog, l.scn, &v, &cs.found, ex_points_atomics, out);
		}
		if (ok)
			(*passed)++;
		else
			(*failed)++;
		if (!ok && code == RL_EXIT_OK)
			code = RL_EXIT_VIOLATION;
		sbuf_free(&sb);
		ex_run_free(&cs.found);
		free(p);
	}
	ex_points_atomics = false;
	scn_free(l.scn);
	return code;
}
