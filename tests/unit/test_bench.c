/*
 * tests/unit/test_bench.c - `rmaplab bench` (bench/): the statistics, the
 * model side's workloads and their accounting, the report formats
 */
#include <stdlib.h>
#include <string.h>

#include "bench/bench_internal.h"
#include "include/rmaplab.h"
#include "lib/util.h"
#include "mm/mm.h"
#include "tests/test.h"

TEST(bench_median)
{
	uint64_t odd[] = { 9, 1, 5 }, even[] = { 8, 2, 4, 6 };
	double d[] = { 3.0, 0.5, 2.0, 1.0 };

	T_EQ(bench_median_u64(odd, 3), 5);
	T_EQ(bench_median_u64(even, 4), 5);	/* (4 + 6) / 2 */
	T_ASSERT(bench_median_double(d, 4) == 1.5);
}

/* Every model workload runs clean at a small size and times something. */
TEST(bench_model_workloads_run)
{
	static const struct {
		bench_side_fn fn;
		struct bench_args a;
	} w[] = {
		{ mbench_fault_in, { 64, 0 } }, { mbench_cow, { 64, 0 } },
		{ mbench_reuse, { 64, 0 } }, { mbench_fork, { 64, 0 } },
		{ mbench_mremap, { 1024, 0 } }, { mbench_munmap, { 64, 0 } },
		{ mbench_truncate, { 64, 3 } }, { mbench_rmap, { 4, 5 } },
	};

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		const char *why = NULL;
		uint64_t ns = 0;

		T_EQ(w[i].fn(&w[i].a, &ns, &why), 0);
		T_ASSERT(why == NULL);
		T_GT(ns, 0);
	}
	machine_release_arena();	/* the frame data bench machines keep mapped */
}

/*
 * The memory row counts what the model really allocates: a 64-byte
 * struct folio per frame (the kernel's struct page), and one 4 KiB PTE
 * table per 512 pages (8 bytes a pte, plus the table's lock and header).
 */
TEST(bench_memory_accounting)
{
	struct bench_memory m;
	const char *why = NULL;

	T_EQ(mbench_memory(65536, &m, &why), 0);
	T_EQ(m.pages, 65536);
	T_EQ(m.folio_size, 64);
	T_ASSERT(m.folio >= 64.0 && m.folio < 66.0);	/* the pages, and nothing else */
	T_ASSERT(m.pgtable > 8.0 && m.pgtable < 9.0);
	T_ASSERT(m.vma_rmap > 0 && m.vma_rmap < 1.0);
	T_ASSERT(m.total > 72.0 && m.total < 76.0);
	machine_release_arena();
}

/*
 * A fork chain whose parents exit keeps anon_vmas bounded (anon_vma_fork
 * reuses one no VMA uses any more), as Linux does since 2.6.36's
 * anon_vma chains blew up: three at depth 1 and at depth 200.
 */
TEST(bench_fork_chain_reuses_anon_vmas)
{
	const char *why = NULL;
	double ns;
	long shallow, deep;

	T_EQ(mbench_scale_fork_chain(1, &ns, &shallow, &why), 0);
	T_EQ(mbench_scale_fork_chain(200, &ns, &deep, &why), 0);
	T_GT(ns, 0);
	T_LE(deep, 3);
	T_LE(shallow, deep);
	machine_release_arena();
}

static char *slurp(FILE *f)
{
	long n;
	char *s;

	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = xcalloc(1, (size_t)n + 1);
	T_EQ(fread(s, 1, (size_t)n, f), (size_t)n);
	return s;
}

/* One workload end to end: the table row and the JSON document's fields. */
TEST(bench_report_formats)
{
	char *argv[] = { "--only", "mremap", "--json", "build/test-bench.json", "--svg",
			 "build/test-bench.svg" };
	FILE *out = tmpfile(), *err = tmpfile(), *json;
	char *text, *doc, *svg;

	T_ASSERT(out && err);
	T_EQ(rl_bench_main(6, argv, out, err), 0);
	text = slurp(out);
	T_ASSERT(strstr(text, "mremap move 256 MiB"));
	T_ASSERT(!strstr(text, "fault-in 256 MiB"));
	json = fopen("build/test-bench.json", "r");
	T_ASSERT(json);
	doc = slurp(json);
	fclose(json);
	T_ASSERT(strstr(doc, "\"workloads\": [") && strstr(doc, "\"name\": \"mremap move 256 MiB\""));
	T_ASSERT(strstr(doc, "\"model_ns\": ") && strstr(doc, "\"kernel_ns\": ") &&
		 strstr(doc, "\"ratio\": "));
	T_ASSERT(strstr(doc, "\"scale\": [") && strstr(doc, "\"memory\": {") &&
		 strstr(doc, "\"explorer\": ["));
	T_ASSERT(!strstr(doc, "\"model_ns\": 0,"));
	json = fopen("build/test-bench.svg", "r");
	T_ASSERT(json);
	svg = slurp(json);
	fclose(json);
	T_ASSERT(!strncmp(svg, "<svg", 4) && strstr(svg, "mremap move 256 MiB") && strstr(svg, "</svg>"));
	free(text);
	free(doc);
	free(svg);
	fclose(out);
	fclose(err);
}

TEST(bench_bad_arguments)
{
	char *argv[] = { "--frobnicate" };
	char *argv2[] = { "--json" };
	FILE *out = tmpfile(), *err = tmpfile();
	char *msg;

	T_ASSERT(out && err);
	T_EQ(rl_bench_main(1, argv, out, err), RL_EXIT_BAD_INPUT);
	T_EQ(rl_bench_main(1, argv2, out, err), RL_EXIT_BAD_INPUT);	/* a missing value */
	msg = slurp(err);
	T_ASSERT(strstr(msg, "bad argument --frobnicate") && strstr(msg, "usage: rmaplab bench"));
	free(msg);
	fclose(out);
	fclose(err);
}
