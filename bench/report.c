/*
 * bench/report.c - `rmaplab bench`: the scale and memory sections, and the
 * report as a table, JSON and an SVG chart
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_internal.h"
#include "lib/util.h"

/* ------------------------------------------------------------------ */
/* Durations */

static void fmt_ns(char *buf, size_t n, double ns)
{
	if (ns >= 1e9)
		snprintf(buf, n, "%.2f s", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(buf, n, "%.2f ms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, n, "%.2f us", ns / 1e3);
	else
		snprintf(buf, n, "%.0f ns", ns);
}

/* "12.3 ms (12.0 ms - 13.1 ms)", or "n/a" for a side that did not run */
static void fmt_side(char *buf, size_t n, uint64_t med, uint64_t lo, uint64_t hi)
{
	char a[32], b[32], c[32];

	if (!med) {
		snprintf(buf, n, "n/a");	/* the row says why below */
		return;
	}
	fmt_ns(a, sizeof(a), (double)med);
	fmt_ns(b, sizeof(b), (double)lo);
	fmt_ns(c, sizeof(c), (double)hi);
	snprintf(buf, n, "%s (%s - %s)", a, b, c);
}

void bench_print_header(const struct bench_report *rep, FILE *out)
{
	fprintf(out, "rmaplab bench%s: the model against this machine's kernel (%s)\n",
		rep->quick ? " --quick" : "", rep->kernel);
	fprintf(out, "  %d alternating pair%s (model, kernel)%s; medians, min - max;\n"
		"  ratio = median of the per-pair model/kernel ratios.  Kernel side: in-kernel paths\n"
		"  (MADV_POPULATE_*), MADV_NOHUGEPAGE on every mapping (THP policy: %s); model: THP never.\n"
		"  rmap rows, kernel: %s; model: move_pages of each page to the other node\n"
		"  (try_to_migrate + remove_migration_ptes over the K VMAs), per page.\n\n",
		rep->reps, rep->reps > 1 ? "s" : "", rep->quick ? " without a warm-up" : " after one warm-up of each",
		rep->thp, rep->rmap_method);
	fprintf(out, "%-34s %-40s %-40s %s\n", "workload", "model", "kernel", "model/kernel");
}

void bench_print_row(const struct bench_row *r, FILE *out)
{
	char m[128], k[128];

	fmt_side(m, sizeof(m), r->model_ns, r->model_min, r->model_max);
	fmt_side(k, sizeof(k), r->kernel_ns, r->kernel_min, r->kernel_max);
	if (*r->unit && r->model_ns)
		strncat(m, r->unit, sizeof(m) - strlen(m) - 1);
	if (*r->unit && r->kernel_ns)
		strncat(k, r->unit, sizeof(k) - strlen(k) - 1);
	fprintf(out, "%-34s %-40s %-40s ", r->name, m, k);
	if (r->pairs)
		fprintf(out, "%.2f%s\n", r->ratio, r->ratio > 1.0 ? "  (above 1.0)" : "");
	else
		fprintf(out, "-\n");
	if (r->model_why)
		fprintf(out, "    model side could not run: %s\n", r->model_why);
	if (r->kernel_why)
		fprintf(out, "    kernel side could not run: %s\n", r->kernel_why);
}

/* ------------------------------------------------------------------ */
/* Scale and memory: the model alone */

static void print_curve(const struct bench_curve *c, FILE *out)
{
	fprintf(out, "  %s, ns %s, by %s:\n   ", c->name, c->op, c->x_label);
	for (int i = 0; i < c->nr; i++)
		fprintf(out, " %lu: %.0f%s", c->pts[i].x, c->pts[i].ns_per_op, i + 1 < c->nr ? ";" : "\n");
	if (c->extra_label) {
		fprintf(out, "    %s:", c->extra_label);
		for (int i = 0; i < c->nr; i++)
			fprintf(out, " %lu: %ld%s", c->pts[i].x, c->pts[i].extra, i + 1 < c->nr ? ";" : "\n");
	}
}

static struct bench_curve *new_curve(struct bench_report *rep, const char *name, const char *x_label,
				     const char *op)
{
	struct bench_curve *c = &rep->curves[rep->nr_curves++];

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->x_label = x_label;
	c->op = op;
	return c;
}

static void scale_error(const char *what, unsigned long x, const char *why, FILE *out)
{
	fprintf(out, "    %s at %lu: the model failed: %s\n", what, x, why);
}

#define SCALE_RUNS 3	/* per point; the median is kept */

/* One point: the median of SCALE_RUNS runs of @fn at @x; false if the model failed. */
static bool scale_point(int (*fn)(unsigned long, double *, long *, const char **), unsigned long x,
			struct bench_point *p, const char **why)
{
	double v[SCALE_RUNS];

	p->x = x;
	for (int i = 0; i < SCALE_RUNS; i++)
		if (fn(x, &v[i], &p->extra, why))
			return false;
	p->ns_per_op = bench_median_double(v, SCALE_RUNS);
	return true;
}

static int scale_fault(unsigned long x, double *ns, long *extra, const char **why)
{
	*extra = 0;
	return mbench_scale_fault(x, ns, why);
}

static int scale_vmas(unsigned long x, double *ns, long *extra, const char **why)
{
	*extra = 0;
	return mbench_scale_vmas(x, ns, why);
}

void bench_scale(struct bench_report *rep, FILE *out)
{
	static const unsigned long pages[] = { 1024, 4096, 16384, 65536, 262144, 1048576 };
	static const unsigned long counts[] = { 1, 10, 100, 1000, 10000 };
	int nr_pages = rep->quick ? 3 : 6, nr_counts = rep->quick ? 3 : 5;
	struct bench_curve *c;
	const char *why;

	fprintf(out, "\nscale (the model alone; the median of %d runs per point):\n", SCALE_RUNS);
	c = new_curve(rep, "fault-in", "pages", "per page");
	for (int i = 0; i < nr_pages; i++) {
		if (scale_point(scale_fault, pages[i], &c->pts[c->nr], &why))
			c->nr++;
		else
			scale_error(c->name, pages[i], why, out);
	}
	print_curve(c, out);
	c = new_curve(rep, "write fault in one of N VMAs", "VMAs", "per fault");
	for (int i = 0; i < nr_counts; i++) {
		if (scale_point(scale_vmas, counts[i], &c->pts[c->nr], &why))
			c->nr++;
		else
			scale_error(c->name, counts[i], why, out);
	}
	print_curve(c, out);
	c = new_curve(rep, "fork in a chain N deep (each parent exits)", "depth", "per fork");
	c->extra_label = "live anon_vmas at the end";
	for (int i = 0; i < nr_counts; i++) {
		if (scale_point(mbench_scale_fork_chain, counts[i], &c->pts[c->nr], &why))
			c->nr++;
		else
			scale_error(c->name, counts[i], why, out);
	}
	print_curve(c, out);
}

void bench_memory(struct bench_report *rep, FILE *out)
{
	const char *why;
	struct bench_memory *m = &rep->mem;

	fprintf(out, "\nmemory (the model's metadata per mapped 4 KiB page, 256 MiB populated):\n");
	if (mbench_memory(65536, m, &why)) {
		fprintf(out, "  the model failed: %s\n", why);
		return;
	}
	fprintf(out, "  struct folio %.1f B (sizeof %lu), page tables %.1f B, VMA and rmap %.3f B,"
		" other %.3f B: %.1f B per page\n", m->folio, m->folio_size, m->pgtable, m->vma_rmap,
		m->other, m->total);
	fprintf(out, "  the kernel: 64 B struct page + 8 B pte = 72 B per page (plus its page-table pages'"
		" own struct page)\n");
}

/* ------------------------------------------------------------------ */
/* The explorer */

void bench_print_explorer(const struct bench_report *rep, FILE *out)
{
	fprintf(out, "\nexplorer (every claim of scenarios/seeds/; fail: dfs bounds 0-3 to the first"
		" violation; pass: dfs bound 2 to exhaustion, capped at %g s):\n",
		rep->quick ? 0.2 : 20.0);
	fprintf(out, "  %-34s %-44s %-24s %10s %10s %9s\n", "scenario", "design", "result", "schedules",
		"ms", "sched/s");
	for (int i = 0; i < rep->nr_explorer; i++) {
		const struct bench_explorer_row *e = &rep->explorer[i];
		char res[64];

		if (e->fail_claim && *e->kind)
			snprintf(res, sizeof(res), "%s at bound %d", e->kind, e->bound);
		else if (e->fail_claim)
			snprintf(res, sizeof(res), "not found within the cap");
		else
			snprintf(res, sizeof(res), "pass, bound 2 %s", e->exhausted ? "exhausted" : "capped");
		fprintf(out, "  %-34s %-44s %-24s %10ld %10.1f %9.0f\n", e->scenario, e->design, res,
			e->schedules, e->ms, e->per_second);
	}
}

/* ------------------------------------------------------------------ */
/* JSON */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int bench_write_json(const struct bench_report *rep, const char *path, FILE *err)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(err, "rmaplab bench: cannot write %s\n", path);
		return -1;
	}
	fprintf(f, "{\n  \"kernel\": ");
	json_str(f, rep->kernel);
	fprintf(f, ",\n  \"quick\": %s,\n  \"pairs\": %d,\n  \"thp\": ", rep->quick ? "true" : "false",
		rep->reps);
	json_str(f, rep->thp);
	fprintf(f, ",\n  \"rmap_method\": ");
	json_str(f, rep->rmap_method);
	fprintf(f, ",\n  \"workloads\": [\n");
	for (int i = 0; i < rep->nr_rows; i++) {
		const struct bench_row *r = &rep->rows[i];

		fprintf(f, "    {\"name\": ");
		json_str(f, r->name);
		fprintf(f, ", \"per_page\": %s, \"pages\": %lu, \"procs\": %d, \"model_ns\": %llu, "
			"\"model_min_ns\": %llu, \"model_max_ns\": %llu, \"kernel_ns\": %llu, "
			"\"kernel_min_ns\": %llu, \"kernel_max_ns\": %llu, \"pairs\": %d, \"ratio\": ",
			*r->unit ? "true" : "false", r->pages, r->procs,
			(unsigned long long)r->model_ns, (unsigned long long)r->model_min,
			(unsigned long long)r->model_max, (unsigned long long)r->kernel_ns,
			(unsigned long long)r->kernel_min, (unsigned long long)r->kernel_max, r->pairs);
		if (r->pairs)
			fprintf(f, "%.4f", r->ratio);
		else
			fprintf(f, "null");
		fprintf(f, ", \"model_error\": ");
		r->model_why ? json_str(f, r->model_why) : (void)fprintf(f, "null");
		fprintf(f, ", \"kernel_error\": ");
		r->kernel_why ? json_str(f, r->kernel_why) : (void)fprintf(f, "null");
		fprintf(f, "}%s\n", i + 1 < rep->nr_rows ? "," : "");
	}
	fprintf(f, "  ],\n  \"scale\": [\n");
	for (int i = 0; i < rep->nr_curves; i++) {
		const struct bench_curve *c = &rep->curves[i];

		fprintf(f, "    {\"name\": ");
		json_str(f, c->name);
		fprintf(f, ", \"x\": ");
		json_str(f, c->x_label);
		fprintf(f, ", \"op\": ");
		json_str(f, c->op);
		fprintf(f, ", \"points\": [");
		for (int j = 0; j < c->nr; j++) {
			fprintf(f, "%s{\"x\": %lu, \"ns_per_op\": %.1f", j ? ", " : "", c->pts[j].x,
				c->pts[j].ns_per_op);
			if (c->extra_label)
				fprintf(f, ", \"live_anon_vmas\": %ld", c->pts[j].extra);
			fprintf(f, "}");
		}
		fprintf(f, "]}%s\n", i + 1 < rep->nr_curves ? "," : "");
	}
	fprintf(f, "  ],\n  \"memory\": {\"pages\": %lu, \"folio_bytes\": %.2f, \"sizeof_folio\": %lu, "
		"\"pgtable_bytes\": %.2f, \"vma_rmap_bytes\": %.3f, \"other_bytes\": %.3f, "
		"\"total_bytes_per_page\": %.2f, \"kernel_bytes_per_page\": 72},\n",
		rep->mem.pages, rep->mem.folio, rep->mem.folio_size, rep->mem.pgtable, rep->mem.vma_rmap,
		rep->mem.other, rep->mem.total);
	fprintf(f, "  \"explorer\": [\n");
	for (int i = 0; i < rep->nr_explorer; i++) {
		const struct bench_explorer_row *e = &rep->explorer[i];

		fprintf(f, "    {\"scenario\": ");
		json_str(f, e->scenario);
		fprintf(f, ", \"design\": ");
		json_str(f, e->design);
		fprintf(f, ", \"claim\": \"%s\", \"kind\": ", e->fail_claim ? "fail" : "pass");
		json_str(f, e->kind);
		fprintf(f, ", \"schedules\": %ld, \"ms\": %.1f, \"bound\": %d, \"exhausted\": %s, "
			"\"schedules_per_second\": %.0f}%s\n", e->schedules, e->ms, e->bound,
			e->exhausted ? "true" : "false", e->per_second, i + 1 < rep->nr_explorer ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f)) {
		fprintf(err, "rmaplab bench: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* SVG: the ratios (log scale, 1.0 marked) and the scale curves (log-log) */

#define SVG_W 900

static double log_pos(double v, double lo, double hi, double len)
{
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return (log10(v) - log10(lo)) / (log10(hi) - log10(lo)) * len;
}

static void svg_text(FILE *f, double x, double y, const char *anchor, const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
	}
	fputs("</text>\n", f);
}

static void svg_curve(FILE *f, const struct bench_curve *c, double x0, double y0, double w, double h)
{
	double lo = 1e300, hi = 0;
	char buf[96];

	for (int i = 0; i < c->nr; i++) {
		lo = fmin(lo, c->pts[i].ns_per_op);
		hi = fmax(hi, c->pts[i].ns_per_op);
	}
	if (c->nr < 2 || lo <= 0)
		return;
	lo = pow(10, floor(log10(lo)));
	hi = pow(10, ceil(log10(hi)));
	if (hi <= lo)
		hi = lo * 10;
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#999\"/>\n",
		x0, y0, w, h);
	snprintf(buf, sizeof(buf), "%s (ns %s)", c->name, c->op);
	svg_text(f, x0 + w / 2, y0 - 6, "middle", buf);
	snprintf(buf, sizeof(buf), "%g", lo);
	svg_text(f, x0 - 4, y0 + h, "end", buf);
	snprintf(buf, sizeof(buf), "%g", hi);
	svg_text(f, x0 - 4, y0 + 10, "end", buf);
	fprintf(f, "<polyline fill=\"none\" stroke=\"#c33\" stroke-width=\"2\" points=\"");
	for (int i = 0; i < c->nr; i++) {
		double x = x0 + log_pos((double)c->pts[i].x, (double)c->pts[0].x,
					(double)c->pts[c->nr - 1].x, w);
		double y = y0 + h - log_pos(c->pts[i].ns_per_op, lo, hi, h);

		fprintf(f, "%.1f,%.1f ", x, y);
	}
	fprintf(f, "\"/>\n");
	for (int i = 0; i < c->nr; i++) {
		double x = x0 + log_pos((double)c->pts[i].x, (double)c->pts[0].x,
					(double)c->pts[c->nr - 1].x, w);

		snprintf(buf, sizeof(buf), "%lu", c->pts[i].x);
		svg_text(f, x, y0 + h + 14, "middle", buf);
	}
	svg_text(f, x0 + w / 2, y0 + h + 28, "middle", c->x_label);
}

int bench_write_svg(const struct bench_report *rep, const char *path, FILE *err)
{
	FILE *f = fopen(path, "w");
	double bar_h = 18, top = 40, label_w = 260, plot_w = SVG_W - label_w - 40;
	double ratios_h = top + bar_h * rep->nr_rows + 40;
	double curves_y = ratios_h + 30, curve_h = 160;
	int height = (int)(curves_y + (curve_h + 70) * ((rep->nr_curves + 1) / 2) + 20);
	double one = label_w + log_pos(1.0, 0.01, 100, plot_w);

	if (!f) {
		fprintf(err, "rmaplab bench: cannot write %s\n", path);
		return -1;
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		SVG_W, height);
	svg_text(f, SVG_W / 2.0, 18, "middle", "rmaplab bench: model time / kernel time (log scale; left of 1 = model faster)");
	for (int i = 0; i < rep->nr_rows; i++) {
		const struct bench_row *r = &rep->rows[i];
		double y = top + bar_h * i;
		char buf[32];

		svg_text(f, label_w - 6, y + 12, "end", r->name);
		if (!r->pairs)
			continue;
		double x = label_w + log_pos(r->ratio, 0.01, 100, plot_w);

		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
			fmin(x, one), y + 2, fabs(x - one), bar_h - 4, r->ratio > 1.0 ? "#d55" : "#5a5");
		snprintf(buf, sizeof(buf), "%.2f", r->ratio);
		svg_text(f, r->ratio > 1.0 ? x + 4 : x - 4, y + 12, r->ratio > 1.0 ? "start" : "end", buf);
	}
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", one,
		top - 4, one, top + bar_h * rep->nr_rows);
	for (double v = 0.01; v <= 100.0001; v *= 10) {
		char buf[16];

		snprintf(buf, sizeof(buf), "%g", v);
		svg_text(f, label_w + log_pos(v, 0.01, 100, plot_w), top + bar_h * rep->nr_rows + 14,
			 "middle", buf);
	}
	for (int i = 0; i < rep->nr_curves; i++)
		svg_curve(f, &rep->curves[i], 80 + (i % 2) * (SVG_W / 2.0), curves_y + 20 + (i / 2) * (curve_h + 70),
			  SVG_W / 2.0 - 120, curve_h);
	fprintf(f, "</svg>\n");
	if (fclose(f)) {
		fprintf(err, "rmaplab bench: cannot write %s\n", path);
		return -1;
	}
	return 0;
}
