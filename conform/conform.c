/*
 * conform/conform.c - the kernel, the model and the reference semantics
 * in lockstep (see conform.h)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include "conform/conform.h"
#include "conform/kernel.h"
#include "explore/interp.h"
#include "include/rmaplab.h"
#include "lib/util.h"
#include "mm/internal.h"

const char *cf_kernel_version(void)
{
	static char buf[200];
	struct utsname u;

	if (!buf[0]) {
		if (uname(&u))
			snprintf(buf, sizeof(buf), "Linux (uname failed)");
		else
			snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
	}
	return buf;
}

/* ------------------------------------------------------------------ */
/* the model's side of one statement */

struct model_step {
	bool compare_only;
	struct ex_world *w;
	const struct scn_stmt *st;
	struct ex_thread *thread;
	struct cf_step *rec;
	enum ex_status status;
	struct scn_args args;
	struct scn_outcome out;		/* kept for the comparison */
};

static void model_step(void *arg)
{
	struct model_step *c = arg;

	ex_set_current(c->thread);
	c->thread->stmt = c->st->text;
	c->status = ex_exec_stmt(c->w, c->st, &c->args, &c->out);
	if (c->status == EX_UNIMPLEMENTED)
		return;
	if (c->status == EX_UNBOUND) {
		snprintf(c->rec->model, sizeof(c->rec->model), "(not run)");
		if (!c->compare_only)
			ex_report(EX_EXPECT, NULL, "%s: uses a value whose binding statement failed",
				  c->st->text);
		return;
	}
	scn_outcome_format(&c->out, c->rec->model, sizeof(c->rec->model));
	ex_thread_check_clean(c->thread);
	ex_judge_stmt(c->w, c->st, &c->args, &c->out,
		      EX_JUDGE_SPEC | EX_JUDGE_SHOW_SPEC | (c->compare_only ? 0 : EX_JUDGE_EXPECT),
		      c->rec->spec, sizeof(c->rec->spec));
	vm_check_all();
	ex_set_current(NULL);
}

/* ------------------------------------------------------------------ */
/* comparing */

/*
 * results_differ - why the kernel's @k and the model's @m results for @st
 * are not the same observation, or NULL.  An address mmap or mremap
 * chose is the kernel's own: only whether each honoured the address it
 * was given is compared (and what the address maps, by later statements).
 */
static const char *results_differ(const struct scn_stmt *st, const struct scn_args *ka,
				  const struct scn_outcome *k, const struct scn_args *ma,
				  const struct scn_outcome *m)
{
	if (k->kind != m->kind)
		return "the model's result is not the kernel's";
	if (k->kind == SCN_RES_INT && (st->op == SCN_OP_MMAP || st->op == SCN_OP_MREMAP)) {
		uint64_t kwant = st->op == SCN_OP_MMAP ? ka->addr : ka->newaddr;
		uint64_t mwant = st->op == SCN_OP_MMAP ? ma->addr : ma->newaddr;
		bool kgot = !ka->addr_any && (uint64_t)k->value == kwant;
		bool mgot = !ma->addr_any && (uint64_t)m->value == mwant;

		if (st->op == SCN_OP_MREMAP && !(st->flags & SCN_MREMAP_FIXED)) {
			kgot = (uint64_t)k->value == ka->addr;	/* in place or moved */
			mgot = (uint64_t)m->value == ma->addr;
		}
		if (kgot != mgot)
			return kgot ? "the kernel used the address it was given, the model another" :
				      "the model used the address it was given, the kernel another";
		return NULL;
	}
	if (!scn_outcome_equal(k, m))
		return "the model's result is not the kernel's";
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the run */

static bool uses_inject(const struct scn_section *const *sections, int nr)
{
	for (int s = 0; s < nr; s++)
		for (int i = 0; i < sections[s]->nr_stmts; i++)
			if (sections[s]->stmts[i].op == SCN_OP_INJECT)
				return true;
	return false;
}

static void differ(struct cf_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void differ(struct cf_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->verdict == CF_DIFFERENT)
		return;
	res->verdict = CF_DIFFERENT;
	va_start(ap, fmt);
	res->why = xvasprintf(fmt, ap);
	va_end(ap);
}

static void take_violation(struct cf_result *res, struct ex_sink *sink)
{
	res->violation = sink->first;
	memset(&sink->first, 0, sizeof(sink->first));
}

static const char *violation_text(enum ex_kind kind)
{
	return kind == EX_DATA ? "the model's result is not the reference semantics'" :
	       kind == EX_EXPECT ? "the model's result does not satisfy ==" :
	       "the model broke an invariant";
}

/*
 * judge - one statement that both sides ran (or the kernel skipped): the
 * kernel against the model first, then what the model's own judgement
 * found (spec/, ==, invariants), then the kernel against ==.
 */
static void judge(struct cf_result *res, struct ex_sink *sink, const struct scn_stmt *st,
		  enum cf_kstatus ks, const struct cf_kernel *k, const struct scn_args *kargs,
		  const struct model_step *mc, const char *kwhy, bool compare_only)
{
	const struct scn_outcome *kout = &res->steps[res->nr_steps - 1].kout;
	const char *d = NULL;

	if (ks == CF_K_BROKEN) {
		if (sink->first.kind != EX_KIND_NONE)
			take_violation(res, sink);
		res->verdict = CF_BROKEN;
		res->why = xasprintf("the kernel side failed: %s", kwhy);
		return;
	}
	if (ks == CF_K_SKIPPED) {
		res->nr_skipped++;
	} else if (ks == CF_K_UNBOUND) {
		if (mc->status != EX_UNBOUND)
			d = "the kernel has no value for a name the model has";
	} else {
		res->nr_compared++;
		d = mc->status == EX_UNBOUND ? "the model has no value for a name the kernel has" :
		    results_differ(st, kargs, kout, &mc->args, &mc->out);
	}
	if (sink->first.kind != EX_KIND_NONE) {
		take_violation(res, sink);
		if (d && res->violation.kind == EX_DATA)
			differ(res, "%s, nor the reference semantics'", d);
		else if (d)
			differ(res, "%s (and %s)", d, violation_text(res->violation.kind));
		else
			differ(res, "%s", violation_text(res->violation.kind));
	} else if (d) {
		differ(res, "%s", d);
	} else if (ks == CF_K_OK && !compare_only &&
		   !ex_expectation_holds(k->values, k->bound, st, kout)) {
		differ(res, st->nr_results ? "the kernel's result does not satisfy ==" :
		       "the kernel's call failed and no == allows it");
	}
}

void cf_conform(const struct scenario *scn, bool compare_only, struct cf_result *res)
{
	const struct scn_section *sections[scn->nr_threads + 2];
	struct ex_thread *threads[scn->nr_threads + 2];
	int nr_sections, total;
	bool model_only, model_alive = true;
	struct vm_variants variants;
	struct cf_kernel k;
	struct ex_sink sink;
	struct ex_world w;
	char where[512];

	memset(res, 0, sizeof(*res));
	res->scn = scn;
	res->files = scn->config.files;
	ex_sink_init(&sink);
	ex_sink = &sink;
	ex_variants_for(scn, NULL, 0, &variants);
	ex_world_init(&w, scn, &variants);
	nr_sections = ex_sequential_order(&w, sections, threads, &total);
	res->steps = xcalloc((size_t)total + 1, sizeof(*res->steps));
	model_only = uses_inject(sections, nr_sections);
	if (!model_only)
		cf_kernel_init(&k, scn, scn->config.files == SCN_FILES_MEMFD);

	for (int s = 0; s < nr_sections && res->verdict == CF_PASS; s++) {
		for (int i = 0; i < sections[s]->nr_stmts; i++) {
			const struct scn_stmt *st = &sections[s]->stmts[i];
			struct cf_step *rec = &res->steps[res->nr_steps++];
			struct model_step mc = { compare_only, &w, st, threads[s], rec, EX_OK,
						 { 0 }, { 0 } };
			struct scn_outcome *kout = &rec->kout;
			struct scn_args kargs = { 0 };
			enum cf_kstatus ks = CF_K_SKIPPED;
			char why[200] = "";

			rec->section = sections[s];
			rec->stmt = st;
			/* the kernel first: it cannot be the one that stops the run */
			if (!model_only) {
				ks = cf_kernel_exec(&k, st, &kargs, kout, why, sizeof(why));
				rec->kran = ks == CF_K_OK;
				if (ks == CF_K_OK)
					scn_outcome_format(kout, rec->kernel, sizeof(rec->kernel));
				else if (ks == CF_K_UNBOUND)
					snprintf(rec->kernel, sizeof(rec->kernel), "(not run)");
				else if (ks == CF_K_SKIPPED)
					snprintf(rec->skipped, sizeof(rec->skipped), "%s", why);
			} else {
				snprintf(rec->skipped, sizeof(rec->skipped),
					 "the scenario uses inject: the model runs it alone");
			}
			snprintf(where, sizeof(where), "%s:%d", st->loc.file, st->loc.line);
			sink.stmt_where = where;
			if (!ex_protected_call(&sink, model_step, &mc)) {
				take_violation(res, &sink);
				ex_world_abandon(&w);
				model_alive = false;
				differ(res, "the model stopped: %s", ex_kind_name(res->violation.kind));
			} else if (mc.status == EX_UNIMPLEMENTED) {
				res->nr_steps--;
				res->unimplemented = st;
				res->verdict = CF_UNIMPLEMENTED;
			} else {
				judge(res, &sink, st, ks, &k, &kargs, &mc, why, compare_only);
			}
			rec->mout = mc.out;	/* the record owns it now */
			if (res->verdict != CF_PASS)
				break;
		}
	}
	if (model_alive && res->verdict == CF_PASS) {
		ex_world_finish_checked(&sink, &w);
		if (sink.first.kind != EX_KIND_NONE) {
			take_violation(res, &sink);
			res->at_end = true;
			differ(res, "the model at the end of the run: %s",
			       ex_kind_name(res->violation.kind));
		}
	} else if (model_alive) {
		ex_world_abandon(&w);
	}
	if (!model_only)
		cf_kernel_finish(&k);
	if (model_only && res->verdict == CF_PASS)
		res->verdict = CF_MODEL_ONLY;
	ex_sink_reset(&sink);
	ex_sink = NULL;
	ex_set_current(NULL);
}

void cf_result_free(struct cf_result *res)
{
	for (int i = 0; i < res->nr_steps + 1 && res->steps; i++) {
		scn_outcome_free(&res->steps[i].kout);
		scn_outcome_free(&res->steps[i].mout);
	}
	free(res->steps);
	free(res->why);
	free(res->violation.message);
	free(res->violation.dump);
	free(res->violation.where);
	memset(res, 0, sizeof(*res));
}

/* ------------------------------------------------------------------ */
/* reports */

#define EXT4_SUPER_MAGIC	0xEF53

/* "memfd", or "disk (ext4 /tmp)": the model's disk files follow ext4. */
static const char *files_name(enum scn_files f)
{
	static char buf[300];
	struct statfs sf;
	const char *dir = cf_disk_dir();

	if (f == SCN_FILES_MEMFD)
		return "memfd";
	if (statfs(dir, &sf))
		snprintf(buf, sizeof(buf), "disk (%s: %s)", dir, strerror(errno));
	else if (sf.f_type == EXT4_SUPER_MAGIC)
		snprintf(buf, sizeof(buf), "disk (ext4 %s)", dir);
	else
		snprintf(buf, sizeof(buf), "disk (%s is not ext4 but fs 0x%lx: the model follows "
			 "ext4)", dir, (unsigned long)sf.f_type);
	return buf;
}

static const char *verdict_name(enum cf_verdict v)
{
	static const char *const names[] = {
		[CF_PASS] = "pass", [CF_DIFFERENT] = "different", [CF_MODEL_ONLY] = "model-only",
		[CF_UNIMPLEMENTED] = "not-implemented", [CF_BROKEN] = "broken",
	};
	return names[v];
}

static void print_step(const struct cf_step *r, FILE *out)
{
	fprintf(out, "  %-8s %s\n", r->section->name, r->stmt->text);
	if (r->skipped[0]) {
		fprintf(out, "           kernel: skipped (%s)   model: %s\n", r->skipped, r->model);
		return;
	}
	fprintf(out, "           kernel: %-24s model: %-24s spec: %s\n",
		r->kernel[0] ? r->kernel : "-", r->model[0] ? r->model : "-",
		r->spec[0] ? r->spec : "-");
}

/* A statement is shown up to this many bytes (data literals can be long). */
#define STMT_SHOWN	160

/* Two data results that differ: where, and the bytes around it. */
static void print_first_difference(const struct scn_outcome *k, const struct scn_outcome *m,
				   FILE *out)
{
	uint64_t i = 0, n = MIN(k->len, m->len), from;

	if (k->kind != SCN_RES_DATA || m->kind != SCN_RES_DATA)
		return;
	while (i < n && k->data[i] == m->data[i])
		i++;
	if (i == n && k->len == m->len)
		return;
	fprintf(out, "    first difference at byte %llu of %llu (kernel) / %llu (model):\n",
		(unsigned long long)i, (unsigned long long)k->len, (unsigned long long)m->len);
	from = i >= 8 ? i - 8 : 0;
	for (int side = 0; side < 2; side++) {
		const struct scn_outcome *o = side ? m : k;

		fprintf(out, "      %-7s", side ? "model" : "kernel");
		for (uint64_t j = from; j < from + 24 && j < o->len; j++)
			fprintf(out, "%s%02x", j == i ? " [" : " ", o->data[j]);
		fputc('\n', out);
	}
}

static void print_text(const struct cf_result *res, int flags, FILE *out)
{
	const struct scenario *scn = res->scn;
	const char *files = files_name(res->files);

	if (flags & CF_VERBOSE) {
		fprintf(out, "conform %s (%s) on %s, files=%s\n", scn->name, scn->path,
			cf_kernel_version(), files);
		for (int i = 0; i < res->nr_steps; i++)
			print_step(&res->steps[i], out);
	}
	switch (res->verdict) {
	case CF_PASS:
		fprintf(out, "PASS %s: %d statements agree (kernel, model, spec), %d model-only "
			"[%s, files=%s]\n", scn->path, res->nr_compared, res->nr_skipped,
			cf_kernel_version(), files);
		break;
	case CF_MODEL_ONLY:
		fprintf(out, "MODEL-ONLY %s: uses inject, so the model ran it alone and it passed; "
			"the kernel was not run [%s]\n", scn->path, cf_kernel_version());
		break;
	case CF_UNIMPLEMENTED:
		fprintf(out, "NOT RUN %s: %s:%d: '%s' is not implemented yet in the model [%s]\n",
			scn->path, res->unimplemented->loc.file, res->unimplemented->loc.line,
			scn_op_name(res->unimplemented->op), cf_kernel_version());
		break;
	case CF_BROKEN:
	case CF_DIFFERENT: {
		const struct cf_step *r = &res->steps[res->nr_steps - 1];

		if (res->at_end) {
			fprintf(out, "DIFFERENT %s: at the end of the run [%s, files=%s]\n    %s\n",
				scn->path, cf_kernel_version(), files, res->why);
			fprintf(out, "    model: %s: %s\n", ex_kind_name(res->violation.kind),
				res->violation.message);
			break;
		}
		fprintf(out, "%s %s:%d: %.*s%s [%s, files=%s]\n",
			res->verdict == CF_BROKEN ? "BROKEN" : "DIFFERENT", r->stmt->loc.file,
			r->stmt->loc.line, STMT_SHOWN, r->stmt->text,
			strlen(r->stmt->text) > STMT_SHOWN ? "..." : "", cf_kernel_version(), files);
		fprintf(out, "    %-26s %-26s %s\n", "kernel", "model", "spec");
		fprintf(out, "    %-26s %-26s %s\n",
			r->skipped[0] ? "(skipped)" : r->kernel[0] ? r->kernel : "-",
			r->model[0] ? r->model : "-", r->spec[0] ? r->spec : "-");
		if (r->kran)
			print_first_difference(&r->kout, &r->mout, out);
		fprintf(out, "    %s\n", res->why);
		if (res->violation.kind != EX_KIND_NONE && res->violation.kind != EX_DATA &&
		    res->violation.kind != EX_EXPECT) {
			fprintf(out, "    model: %s at %s: %s\n", ex_kind_name(res->violation.kind),
				res->violation.where, res->violation.message);
			if (res->violation.dump)
				fputs(res->violation.dump, out);
		}
		break;
	}
	}
}

static void print_json(const struct cf_result *res, FILE *out)
{
	struct sbuf sb;

	sbuf_init(&sb);
	sbuf_puts(&sb, "{\"scenario\": ");
	sbuf_json_string(&sb, res->scn->name);
	sbuf_puts(&sb, ", \"file\": ");
	sbuf_json_string(&sb, res->scn->path);
	sbuf_puts(&sb, ", \"kernel\": ");
	sbuf_json_string(&sb, cf_kernel_version());
	sbuf_puts(&sb, ", \"files\": ");
	sbuf_json_string(&sb, res->files == SCN_FILES_MEMFD ? "memfd" : "disk");
	sbuf_puts(&sb, ", \"files_detail\": ");
	sbuf_json_string(&sb, files_name(res->files));
	sbuf_puts(&sb, ", \"result\": ");
	sbuf_json_string(&sb, verdict_name(res->verdict));
	sbuf_printf(&sb, ", \"compared\": %d, \"skipped\": %d, \"steps\": [", res->nr_compared,
		    res->nr_skipped);
	for (int i = 0; i < res->nr_steps; i++) {
		const struct cf_step *r = &res->steps[i];

		sbuf_printf(&sb, "%s{\"section\": ", i ? ", " : "");
		sbuf_json_string(&sb, r->section->name);
		sbuf_printf(&sb, ", \"line\": %d, \"statement\": ", r->stmt->loc.line);
		sbuf_json_string(&sb, r->stmt->text);
		sbuf_puts(&sb, ", \"kernel\": ");
		if (r->skipped[0]) {
			sbuf_puts(&sb, "null, \"skipped\": ");
			sbuf_json_string(&sb, r->skipped);
		} else {
			sbuf_json_string(&sb, r->kernel);
		}
		sbuf_puts(&sb, ", \"model\": ");
		sbuf_json_string(&sb, r->model);
		sbuf_puts(&sb, ", \"spec\": ");
		sbuf_json_string(&sb, r->spec);
		sbuf_putc(&sb, '}');
	}
	sbuf_puts(&sb, "], \"difference\": ");
	if (res->why) {
		sbuf_json_string(&sb, res->why);
	} else {
		sbuf_puts(&sb, "null");
	}
	if (res->unimplemented) {
		sbuf_puts(&sb, ", \"unimplemented\": ");
		sbuf_json_string(&sb, scn_op_name(res->unimplemented->op));
	}
	sbuf_puts(&sb, ", \"violation\": ");
	ex_violation_json(&sb, &res->violation);
	sbuf_puts(&sb, "}\n");
	fputs(sb.buf, out);
	sbuf_free(&sb);
}

void cf_print(const struct cf_result *res, int flags, FILE *out)
{
	if (flags & CF_JSON)
		print_json(res, out);
	else
		print_text(res, flags, out);
}

/* ------------------------------------------------------------------ */
/* rl_conform_file */

int rl_conform_file(const char *path, int files, int flags, FILE *out, FILE *err)
{
	struct cf_result res;
	struct scn_error perr;
	struct scenario *scn = scn_parse_file(path, &perr);
	int code;

	if (!scn) {
		fprintf(err, "%s\n", perr.msg);
		return RL_EXIT_BAD_INPUT;
	}
	/* a scenario that says config files= is about that kind of file */
	if (files >= 0 && !scn->config.files_set)
		scn->config.files = files == RL_FILES_MEMFD ? SCN_FILES_MEMFD : SCN_FILES_DISK;
	cf_conform(scn, false, &res);
	cf_print(&res, (flags & RL_RUN_JSON ? CF_JSON : 0) |
		       (flags & RL_CONFORM_VERBOSE ? CF_VERBOSE : 0), out);
	switch (res.verdict) {
	case CF_PASS:
	case CF_MODEL_ONLY:
		code = RL_EXIT_OK;
		break;
	case CF_UNIMPLEMENTED:
		code = RL_EXIT_UNIMPLEMENTED;
		break;
	case CF_BROKEN:
		code = RL_EXIT_BAD_INPUT;
		break;
	default:
		code = RL_EXIT_VIOLATION;
	}
	cf_result_free(&res);
	scn_free(scn);
	return code;
}
