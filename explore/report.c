/*
 * explore/report.c - `rmaplab run`'s report, as text or JSON, and the
 * public rl_run_file()
 */
#include <stdio.h>
#include <string.h>

#include "explore/interp.h"
#include "include/rmaplab.h"
#include "lib/util.h"

const char *rl_version(void)
{
	return RMAPLAB_VERSION;
}

static const char *section_label(const struct ex_step_record *r)
{
	return r->section->name;
}

void ex_variants_text(const struct vm_variants *v, struct sbuf *sb)
{
	bool any = false;

	for (int k = 0; k < VAR_NR_KEYS; k++) {
		if (!v->value[k])
			continue;
		sbuf_printf(sb, "%s%s=%s", any ? " " : "", vm_variant_table[k].key,
			    vm_variant_table[k].values[v->value[k]]);
		any = true;
	}
	if (!any)
		sbuf_puts(sb, "default (Linux 7.0)");
}

static const char *verdict_text(const struct ex_step_record *r)
{
	if (r->verdict != EX_KIND_NONE)
		return ex_kind_name(r->verdict);
	return r->stmt->nr_results ? "==" : "ok";
}

static void print_text(const struct ex_run_report *rep, int flags, FILE *out)
{
	const struct scenario *scn = rep->scn;
	struct sbuf v;

	sbuf_init(&v);
	ex_variants_text(&rep->variants, &v);
	if (!(flags & RL_RUN_QUIET)) {
		fprintf(out, "scenario %s (%s), design: %s\n", scn->name, scn->path, v.buf);
		for (int i = 0; i < rep->nr_steps; i++) {
			const struct ex_step_record *r = &rep->steps[i];

			fprintf(out, "  %-8s %-44s %-22s %s", section_label(r), r->stmt->text, r->result,
				verdict_text(r));
			if (r->predicted[0])
				fprintf(out, " (reference: %s)", r->predicted);
			fputc('\n', out);
		}
	}
	if (rep->unimplemented) {
		fprintf(out, "NOT RUN %s: %s:%d: '%s' is not implemented yet in this build\n", scn->name,
			rep->unimplemented->loc.file, rep->unimplemented->loc.line,
			scn_op_name(rep->unimplemented->op));
	} else if (rep->violation.kind != EX_KIND_NONE) {
		fprintf(out, "FAIL %s: %s at %s: %s\n", scn->name, ex_kind_name(rep->violation.kind),
			rep->violation.where, rep->violation.message);
		if (rep->violation.dump)
			fputs(rep->violation.dump, out);
	} else {
		fprintf(out, "PASS %s: %d statements, no violation (design: %s)\n", scn->name,
			rep->nr_steps, v.buf);
	}
	sbuf_free(&v);
}

static void print_json(const struct ex_run_report *rep, FILE *out)
{
	struct sbuf sb;

	sbuf_init(&sb);
	sbuf_puts(&sb, "{\"scenario\": ");
	sbuf_json_string(&sb, rep->scn->name);
	sbuf_puts(&sb, ", \"file\": ");
	sbuf_json_string(&sb, rep->scn->path);
	sbuf_puts(&sb, ", \"variants\": {");
	for (int k = 0; k < VAR_NR_KEYS; k++) {
		sbuf_printf(&sb, "%s", k ? ", " : "");
		sbuf_json_string(&sb, vm_variant_table[k].key);
		sbuf_puts(&sb, ": ");
		sbuf_json_string(&sb, vm_variant_table[k].values[rep->variants.value[k]]);
	}
	sbuf_puts(&sb, "}, \"steps\": [");
	for (int i = 0; i < rep->nr_steps; i++) {
		const struct ex_step_record *r = &rep->steps[i];

		sbuf_printf(&sb, "%s{\"section\": ", i ? ", " : "");
		sbuf_json_string(&sb, section_label(r));
		sbuf_printf(&sb, ", \"line\": %d, \"statement\": ", r->stmt->loc.line);
		sbuf_json_string(&sb, r->stmt->text);
		sbuf_puts(&sb, ", \"result\": ");
		sbuf_json_string(&sb, r->result);
		if (r->predicted[0]) {
			sbuf_puts(&sb, ", \"reference\": ");
			sbuf_json_string(&sb, r->predicted);
		}
		sbuf_puts(&sb, ", \"verdict\": ");
		sbuf_json_string(&sb, verdict_text(r));
		sbuf_putc(&sb, '}');
	}
	sbuf_puts(&sb, "], \"result\": ");
	if (rep->unimplemented) {
		sbuf_puts(&sb, "\"not-implemented\", \"unimplemented\": ");
		sbuf_json_string(&sb, scn_op_name(rep->unimplemented->op));
		sbuf_printf(&sb, ", \"line\": %d", rep->unimplemented->loc.line);
	} else {
		sbuf_json_string(&sb, rep->violation.kind ? "fail" : "pass");
	}
	sbuf_puts(&sb, ", \"violation\": ");
	ex_violation_json(&sb, &rep->violation);
	sbuf_puts(&sb, "}\n");
	fputs(sb.buf, out);
	sbuf_free(&sb);
}

/* "key=value" -> setting; false with a message listing the valid choices. */
bool ex_parse_variant(const char *arg, struct scn_setting *s, FILE *err)
{
	const char *eq = strchr(arg, '=');
	char key[64], list[256];
	int k, v;

	if (!eq || (size_t)(eq - arg) >= sizeof(key)) {
		fprintf(err, "rmaplab: --variant takes KEY=VALUE, got '%s'\n", arg);
		return false;
	}
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	k = vm_variant_key_from_name(key);
	if (k < 0) {
		fprintf(err, "rmaplab: unknown variant key '%s'; valid keys:", key);
		for (int i = 0; i < VAR_NR_KEYS; i++)
			fprintf(err, " %s", vm_variant_table[i].key);
		fputc('\n', err);
		return false;
	}
	v = vm_variant_value_from_name(k, eq + 1);
	if (v < 0) {
		vm_variant_values_list(k, list, sizeof(list));
		fprintf(err, "rmaplab: unknown value '%s' for variant %s; valid values: %s\n", eq + 1,
			key, list);
		return false;
	}
	s->key = k;
	s->value = v;
	return true;
}

/* --trace: every lock event of the run, as it happens. */
static FILE *trace_out;

static void trace_point(enum ex_event ev, const struct ex_lock_class *class, const void *lock,
			const char *what)
{
	static const char *const evs[] = { "acquire", "release", "point", "wait", "downgrade" };

	static const char *last_stmt;

	(void)lock;
	if (!trace_out || !ex_current)
		return;
	if (ex_current->stmt && ex_current->stmt != last_stmt) {
		fprintf(trace_out, "  %-8s %s\n", ex_current->name, ex_current->stmt);
		last_stmt = ex_current->stmt;
	}
	if (class)
		fprintf(trace_out, "      %-8s %-7s %-16s in %s\n", ex_current->name, evs[ev],
			class->name, what);
	else
		fprintf(trace_out, "      %-8s %-9s %-16s in %s\n", ex_current->name, evs[ev], "-",
			what);
}

static const struct ex_hooks trace_hooks = { .point = trace_point };

int rl_run_file(const char *path, const char *const *variants, int nr_variants, int flags,
		FILE *out, FILE *err)
{
	struct scn_setting overrides[VAR_NR_KEYS * 4];
	struct ex_run_report rep;
	struct vm_variants v;
	struct scn_error perr;
	struct scenario *scn;
	int code;

	if (nr_variants > (int)ARRAY_SIZE(overrides)) {
		fprintf(err, "rmaplab: too many --variant options\n");
		return RL_EXIT_BAD_INPUT;
	}
	for (int i = 0; i < nr_variants; i++)
		if (!ex_parse_variant(variants[i], &overrides[i], err))
			return RL_EXIT_BAD_INPUT;
	scn = scn_parse_file(path, &perr);
	if (!scn) {
		fprintf(err, "%s\n", perr.msg);
		return RL_EXIT_BAD_INPUT;
	}
	ex_variants_for(scn, overrides, nr_variants, &v);
	if (flags & RL_RUN_TRACE) {
		trace_out = out;
		ex_hooks = &trace_hooks;
		fprintf(out, "trace of %s (lock events and schedule points, in order):\n", path);
	}
	ex_run_sequential(scn, &v, &rep);
	ex_hooks = NULL;
	trace_out = NULL;
	if (flags & RL_RUN_JSON)
		print_json(&rep, out);
	else
		print_text(&rep, flags, out);
	code = rep.unimplemented ? RL_EXIT_UNIMPLEMENTED :
	       rep.violation.kind ? RL_EXIT_VIOLATION : RL_EXIT_OK;
	ex_run_report_free(&rep);
	scn_free(scn);
	return code;
}
