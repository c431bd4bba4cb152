/*
 * bench/bench.c - `rmaplab bench`: the driver (docs/performance.md)
 *
 * 1. Workloads, the model and this machine's kernel side by side: after a
 *    warm-up of each, the sides alternate (model, kernel, model, ...) for
 *    the repetitions; per side the median and min-max, and the median of
 *    the per-pair ratios model/kernel.
 * 2. Scale: the model alone as the work grows (pages, VMAs, fork depth).
 * 3. Memory: the model's metadata bytes per mapped 4 KiB page.
 * 4. The explorer: schedules per second on the seed scenarios' claims.
 * Output: a table on stdout, JSON (--json FILE), an SVG chart (--svg FILE).
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bench/bench.h"
#include "bench/bench_internal.h"
#include "include/rmaplab.h"
#include "lib/util.h"
#include "mm/mm.h"

#define MIB_PAGES(n)	((unsigned long)(n) * 256)	/* 4 KiB pages in n MiB */

struct workload {
	const char *name;
	struct bench_args args;
	bench_side_fn model, kernel;
	const char *unit;		/* "" or "/page" */
};

static const struct workload workloads[] = {
	{ "fault-in 256 MiB anon", { MIB_PAGES(256), 0 }, mbench_fault_in, kbench_fault_in, "" },
	{ "COW 256 MiB after fork", { MIB_PAGES(256), 0 }, mbench_cow, kbench_cow, "" },
	{ "reuse 256 MiB, child exited", { MIB_PAGES(256), 0 }, mbench_reuse, kbench_reuse, "" },
	{ "fork, 16 MiB touched", { MIB_PAGES(16), 0 }, mbench_fork, kbench_fork, "" },
	{ "fork, 256 MiB touched", { MIB_PAGES(256), 0 }, mbench_fork, kbench_fork, "" },
	{ "fork, 1 GiB touched", { MIB_PAGES(1024), 0 }, mbench_fork, kbench_fork, "" },
	{ "mremap move 256 MiB", { MIB_PAGES(256), 0 }, mbench_mremap, kbench_mremap, "" },
	{ "munmap 256 MiB", { MIB_PAGES(256), 0 }, mbench_munmap, kbench_munmap, "" },
	{ "truncate 256 MiB shared, 1 proc", { MIB_PAGES(256), 1 }, mbench_truncate, kbench_truncate, "" },
	{ "truncate 256 MiB shared, 8 procs", { MIB_PAGES(256), 8 }, mbench_truncate, kbench_truncate, "" },
	{ "truncate 256 MiB shared, 64 procs", { MIB_PAGES(256), 64 }, mbench_truncate, kbench_truncate, "" },
	{ "rmap walk, page mapped by 1", { 1024, 1 }, mbench_rmap, kbench_rmap, "/page" },
	{ "rmap walk, page mapped by 10", { 1024, 10 }, mbench_rmap, kbench_rmap, "/page" },
	{ "rmap walk, page mapped by 100", { 1024, 100 }, mbench_rmap, kbench_rmap, "/page" },
	{ "rmap walk, page mapped by 1000", { 1024, 1000 }, mbench_rmap, kbench_rmap, "/page" },
};
#define NR_WORKLOADS (int)(sizeof(workloads) / sizeof(workloads[0]))

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n values (the mean of the middle two when n is even); sorts them. */
uint64_t bench_median_u64(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_median_double(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One repetition of one side while it still works; false once it failed (why in *why_out). */
static bool run_side(bench_side_fn fn, const struct bench_args *a, bool *ok, const char **why_out,
		     uint64_t *v, int *n)
{
	const char *why = NULL;

	if (!*ok)
		return false;
	if (fn(a, &v[*n], &why)) {
		*why_out = why;
		*ok = false;
		return false;
	}
	(*n)++;
	return true;
}

/* Median, min and max of @n samples (sorts them). */
static void summarise(uint64_t *v, int n, uint64_t *med, uint64_t *lo, uint64_t *hi)
{
	if (!n)
		return;
	*med = bench_median_u64(v, n);
	*lo = v[0];
	*hi = v[n - 1];
}

/* One workload: a warm-up of each side (unless --quick), then @reps alternating pairs. */
static void run_workload(const struct workload *w, int reps, bool warm_up, struct bench_row *r,
			 FILE *err)
{
	uint64_t *m = xcalloc((size_t)reps, sizeof(*m)), *k = xcalloc((size_t)reps, sizeof(*k));
	double *ratio = xcalloc((size_t)reps, sizeof(*ratio));
	const char *why = NULL;
	uint64_t ns;
	int nm = 0, nk = 0, np = 0;
	bool model_ok, kernel_ok;

	memset(r, 0, sizeof(*r));
	r->name = w->name;
	r->unit = w->unit;
	r->pages = w->args.pages;
	r->procs = w->args.procs;
	model_ok = !warm_up || w->model(&w->args, &ns, &why) == 0;
	if (!model_ok)
		r->model_why = why;
	kernel_ok = !warm_up || w->kernel(&w->args, &ns, &why) == 0;
	if (!kernel_ok)
		r->kernel_why = why;
	for (int i = 0; i < reps && (model_ok || kernel_ok); i++) {
		bool mo = run_side(w->model, &w->args, &model_ok, &r->model_why, m, &nm);
		bool ko = run_side(w->kernel, &w->args, &kernel_ok, &r->kernel_why, k, &nk);

		if (mo && ko && k[nk - 1])
			ratio[np++] = (double)m[nm - 1] / (double)k[nk - 1];
	}
	summarise(m, nm, &r->model_ns, &r->model_min, &r->model_max);
	summarise(k, nk, &r->kernel_ns, &r->kernel_min, &r->kernel_max);
	r->pairs = np;
	r->ratio = np ? bench_median_double(ratio, np) : 0;
	if (r->model_why)
		fprintf(err, "rmaplab bench: %s: model side failed: %s\n", w->name, r->model_why);
	free(m);
	free(k);
	free(ratio);
}

static void usage_error(FILE *err, const char *msg, const char *arg)
{
	fprintf(err, "rmaplab bench: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
	fprintf(err, "usage: rmaplab bench [--quick] [--json FILE] [--svg FILE] [--only NAME]\n");
}

int rl_bench_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct bench_report rep = { 0 };
	const char *json = NULL, *svg = NULL, *only = NULL;
	struct utsname u;
	int ret = RL_EXIT_OK;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			rep.quick = true;
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json = argv[++i];
		else if (!strcmp(argv[i], "--svg") && i + 1 < argc)
			svg = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else {
			usage_error(err, "bad argument", argv[i]);
			return RL_EXIT_BAD_INPUT;
		}
	}
	rep.reps = rep.quick ? 1 : 7;
	if (!uname(&u))
		snprintf(rep.kernel, sizeof(rep.kernel), "%s %s %s", u.sysname, u.release, u.machine);
	rep.thp = kbench_thp_policy();
	rep.rmap_method = kbench_rmap_method();

	bench_print_header(&rep, out);
	for (int i = 0; i < NR_WORKLOADS; i++) {
		if (only && !strstr(workloads[i].name, only))
			continue;
		run_workload(&workloads[i], rep.reps, !rep.quick, &rep.rows[rep.nr_rows], err);
		bench_print_row(&rep.rows[rep.nr_rows++], out);
		fflush(out);
	}
	if (!only || strstr("scale", only)) {
		/*
		 * The model alone from here on: keep the host heap it frees,
		 * so that its metadata, like its frame data (the arena), is
		 * host memory touched before the timing.  glibc gives the
		 * freed top of the heap back to the host, and a fresh host
		 * page costs a shadow-paging fault of about 1.5 us at first
		 * touch: 10,000 one-page VMAs measured 1.4 us per fault
		 * instead of 0.5 us.  Not in the workload rows above: there
		 * the kernel side's forks would copy a kept heap.  Setting one
		 * threshold fixes the other too, so both are set: an explorer
		 * machine's mem_map stays in the heap rather than being mapped
		 * and unmapped for every schedule.
		 */
		mallopt(M_MMAP_THRESHOLD, 64 << 20);
		mallopt(M_TRIM_THRESHOLD, 1 << 30);
		bench_scale(&rep, out);
		bench_memory(&rep, out);
	}
	if (!only || strstr("explorer", only)) {
		rep.nr_explorer = bench_explorer("scenarios/seeds", rep.quick ? 0.2 : 20,
						 &rep.explorer, err);
		if (rep.nr_explorer < 0) {
			ret = RL_EXIT_BAD_INPUT;
			rep.nr_explorer = 0;
		}
		bench_print_explorer(&rep, out);
	}
	if (json && bench_write_json(&rep, json, err))
		ret = RL_EXIT_BAD_INPUT;
	if (svg && bench_write_svg(&rep, svg, err))
		ret = RL_EXIT_BAD_INPUT;
	for (int i = 0; i < rep.nr_rows; i++)
		if (rep.rows[i].model_why)
			ret = ret ? ret : RL_EXIT_VIOLATION;	/* the model failed a workload */
	machine_release_arena();
	bench_explorer_free(rep.explorer, rep.nr_explorer);
	return ret;
}
