/*
 * bench/bench.h - `rmaplab bench`: the model side by side with the kernel
 * it runs on, the model's scale curves, its memory per page, and the
 * explorer's speed (docs/performance.md).
 *
 * A workload has a model side (bench/model.c) and a kernel side
 * (bench/kernel.c) doing the same semantic work.  Each side's function
 * runs one repetition: it sets the workload up, times only the operation
 * being compared (CLOCK_MONOTONIC), tears it down, and stores the
 * nanoseconds in *ns.  It returns 0, or -1 with *why set to a static
 * string saying why that side cannot run here (the driver prints it).
 */
#ifndef RMAPLAB_BENCH_H
#define RMAPLAB_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct bench_args {
	unsigned long pages;	/* 4 KiB pages of the mapping or file */
	int procs;		/* processes mapping it (truncate, rmap rows), else 0 */
};

typedef int (*bench_side_fn)(const struct bench_args *a, uint64_t *ns, const char **why);

/* Monotonic nanoseconds (bench only: never used by the model or the explorer). */
uint64_t bench_now_ns(void);

/*
 * Kernel side (bench/kernel.c).  Every mapping is MADV_NOHUGEPAGE; each
 * function's comment says exactly what is timed.
 */
int kbench_fault_in(const struct bench_args *a, uint64_t *ns, const char **why);
int kbench_cow(const struct bench_args *a, uint64_t *ns, const char **why);
int kbench_reuse(const struct bench_args *a, uint64_t *ns, const char **why);
int kbench_fork(const struct bench_args *a, uint64_t *ns, const char **why);
int kbench_mremap(const struct bench_args *a, uint64_t *ns, const char **why);
int kbench_munmap(const struct bench_args *a, uint64_t *ns, const char **why);
int kbench_truncate(const struct bench_args *a, uint64_t *ns, const char **why);
int kbench_rmap(const struct bench_args *a, uint64_t *ns, const char **why);
/* What the kernel side of the rmap row measures here, or why it cannot. */
const char *kbench_rmap_method(void);
/* The THP policy in force (/sys/kernel/mm/transparent_hugepage/enabled), for the report. */
const char *kbench_thp_policy(void);

/* Model side (bench/model.c): the same work on the model. */
int mbench_fault_in(const struct bench_args *a, uint64_t *ns, const char **why);
int mbench_cow(const struct bench_args *a, uint64_t *ns, const char **why);
int mbench_reuse(const struct bench_args *a, uint64_t *ns, const char **why);
int mbench_fork(const struct bench_args *a, uint64_t *ns, const char **why);
int mbench_mremap(const struct bench_args *a, uint64_t *ns, const char **why);
int mbench_munmap(const struct bench_args *a, uint64_t *ns, const char **why);
int mbench_truncate(const struct bench_args *a, uint64_t *ns, const char **why);
int mbench_rmap(const struct bench_args *a, uint64_t *ns, const char **why);

/* Explorer speed (bench/explorer.c). */
struct bench_explorer_row {
	char *scenario;		/* file name, without the directory */
	char *design;		/* "default" or the variants, "k=v k=v" */
	bool fail_claim;	/* an expect fail claim (else expect pass) */
	char *kind;		/* fail claims: the kind found first ("" if none found) */
	long schedules;		/* fail: schedules to the first violation; pass: schedules at bound 2 */
	double ms;		/* fail: ms to the first violation; pass: ms to exhaust bound 2 */
	int bound;		/* fail: the preemption bound that found it; pass: 2 */
	bool exhausted;		/* pass: bound 2 exhausted within the cap */
	double per_second;	/* schedules per second */
};

/*
 * Check every claim of every .scn in DIR the way the gallery does and
 * time it: fail claims by dfs at bounds 0..3 until the first violation of
 * the claimed kind, pass claims by dfs at bound 2 until exhausted (cap
 * SECONDS each).  Returns the number of rows (allocated in *rows), or -1
 * with a message on ERR.
 */
int bench_explorer(const char *dir, double seconds, struct bench_explorer_row **rows, FILE *err);
void bench_explorer_free(struct bench_explorer_row *rows, int n);

#endif
