/*
 * bench/bench_internal.h - the report `rmaplab bench` builds and prints
 */
#ifndef RMAPLAB_BENCH_INTERNAL_H
#define RMAPLAB_BENCH_INTERNAL_H

#include "bench/bench.h"

/* One workload, both sides (nanoseconds; medians over the repetitions). */
struct bench_row {
	const char *name;
	const char *unit;		/* "" or "/page" */
	unsigned long pages;
	int procs;
	uint64_t model_ns, model_min, model_max;
	uint64_t kernel_ns, kernel_min, kernel_max;
	double ratio;			/* median of the per-pair model/kernel ratios */
	int pairs;
	const char *model_why, *kernel_why;	/* a side that could not run, or NULL */
};

/* One point of a model-only scale curve. */
struct bench_point {
	unsigned long x;		/* pages, VMAs or fork depth */
	double ns_per_op;
	long extra;			/* fork chain: live anon_vmas; else 0 */
};

struct bench_curve {
	const char *name;		/* "fault-in", ... */
	const char *x_label, *op;	/* "pages", "per page" */
	const char *extra_label;	/* NULL or what extra counts */
	struct bench_point pts[8];
	int nr;
};

struct bench_memory {
	unsigned long pages;		/* mapped and populated */
	double folio, pgtable, vma_rmap, other, total;	/* bytes per page */
	unsigned long folio_size;	/* sizeof(struct folio) */
};

#define BENCH_MAX_ROWS 32
#define BENCH_MAX_CURVES 4

struct bench_report {
	bool quick;
	int reps;
	char kernel[256];
	const char *thp, *rmap_method;
	struct bench_row rows[BENCH_MAX_ROWS];
	int nr_rows;
	struct bench_curve curves[BENCH_MAX_CURVES];
	int nr_curves;
	struct bench_memory mem;
	struct bench_explorer_row *explorer;
	int nr_explorer;
};

uint64_t bench_median_u64(uint64_t *v, int n);
double bench_median_double(double *v, int n);

/* bench/model.c: the model alone */
int mbench_scale_fault(unsigned long pages, double *ns_per_page, const char **why);
int mbench_scale_vmas(unsigned long nr, double *ns_per_fault, const char **why);
int mbench_scale_fork_chain(unsigned long depth, double *ns_per_fork, long *anon_vmas,
			    const char **why);
int mbench_memory(unsigned long pages, struct bench_memory *m, const char **why);

/* bench/report.c: the scale and memory sections */
void bench_scale(struct bench_report *rep, FILE *out);
void bench_memory(struct bench_report *rep, FILE *out);

/* bench/report.c */
void bench_print_header(const struct bench_report *rep, FILE *out);
void bench_print_row(const struct bench_row *r, FILE *out);
void bench_print_explorer(const struct bench_report *rep, FILE *out);
int bench_write_json(const struct bench_report *rep, const char *path, FILE *err);
int bench_write_svg(const struct bench_report *rep, const char *path, FILE *err);

#endif
