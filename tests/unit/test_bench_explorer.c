/*
 * tests/unit/test_bench_explorer.c - `rmaplab bench`'s explorer speed
 * (bench/explorer.c): one row per claim, in file-name order, with the
 * schedules `rmaplab test`'s dfs runs to the claimed kind (summed over the
 * bounds) or to exhaust bound 2; errors name the file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"
#include "explore/concurrent.h"
#include "lib/util.h"
#include "tests/test.h"

#define SEED003 "scenarios/seeds/003-fault-vs-truncate.scn"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	T_ASSERT(f);
	fputs(text, f);
	fclose(f);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	struct sbuf sb;
	int c;

	T_ASSERT(f);
	sbuf_init(&sb);
	while ((c = fgetc(f)) != EOF)
		sbuf_putc(&sb, (char)c);
	fclose(f);
	return sbuf_detach(&sb);
}

static char *temp_dir(void)
{
	const char *t = getenv("TMPDIR");
	char *d = xasprintf("%s/rmaplab-bench-XXXXXX", t && *t ? t : "/tmp");

	T_ASSERT(mkdtemp(d));
	return d;
}

static void remove_dir(const char *dir, const char *const *names, int n)
{
	for (int i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);

		if (remove(p))
			t_fail(__FILE__, __LINE__, "cannot remove %s", p);
		free(p);
	}
	T_EQ(rmdir(dir), 0);
}

/* bench_explorer on DIR; the message it printed in *msg */
static int bench(const char *dir, double seconds, struct bench_explorer_row **rows, char **msg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&buf, &len);
	int n;

	T_ASSERT(err);
	n = bench_explorer(dir, seconds, rows, err);
	fclose(err);
	*msg = buf;
	return n;
}

/* What ex_explore's dfs itself runs: bounds 0.. until @want (or to exhaust @bound, NONE). */
static long dfs_schedules(const struct scenario *scn, const struct scn_claim *cl, int from, int to,
			  int *found_bound)
{
	struct ex_scn_prog *p = xcalloc(1, sizeof(*p));
	struct vm_variants v;
	char msg[256];
	long total = 0;

	*found_bound = -1;
	ex_variants_for(scn, cl->with, cl->nr_with, &v);
	T_ASSERT(ex_scn_prog_init(p, scn, &v, msg, sizeof(msg)));
	for (int b = from; b <= to && *found_bound < 0; b++) {
		struct ex_explore_opts eo = { .strategy = EX_STRAT_DFS, .preemptions = b };
		struct ex_explore_result res;

		ex_explore(&p->prog, &eo, cl->pass ? EX_KIND_NONE : cl->kind, NULL, &res);
		if (res.found.violation.kind != EX_KIND_NONE) {
			total += res.found_at;
			*found_bound = b;
		} else {
			T_ASSERT(res.exhausted);
			total += res.runs;
		}
		ex_explore_result_free(&res);
	}
	free(p);
	return total;
}

TEST(bench_explorer_rows)
{
	static const char *const names[] = { "a-read-vs-munmap.scn", "b-fault-vs-truncate.scn",
					     "c-two-mmaps.scn", "notes.txt", "d.scn" };
	struct bench_explorer_row *rows, *r;
	struct scn_error perr;
	struct scenario *scn;
	char *dir = temp_dir(), *text = read_all(SEED003), *path, *msg;
	int n, bound;
	long want;

	/* a fail claim found at bound 0: T1 may start first, munmap before the read */
	path = xasprintf("%s/%s", dir, names[0]);
	write_file(path, "expect fail expect\n"
		   "init\n  proc P\n  a = mmap P any 4K rw private\n  write P a \"x\"\n"
		   "thread T0\n  read P a 1 == \"x\"\nthread T1\n  munmap P a 4K\n");
	free(path);
	path = xasprintf("%s/%s", dir, names[1]);
	write_file(path, text);
	free(text);
	free(path);
	/* a pass claim with a small space: two processes, an mmap each */
	path = xasprintf("%s/%s", dir, names[2]);
	write_file(path, "expect pass\ninit\n  proc P\n  proc Q\n"
		   "thread T0\n  a = mmap P any 4K r private\n"
		   "thread T1\n  b = mmap Q any 4K r private\n");
	free(path);
	/* neither is a scenario file: a .txt, and a directory named .scn */
	path = xasprintf("%s/%s", dir, names[3]);
	write_file(path, "not a scenario\n");
	free(path);
	path = xasprintf("%s/%s", dir, names[4]);
	T_EQ(mkdir(path, 0700), 0);
	free(path);

	n = bench(dir, 60, &rows, &msg);
	T_STREQ(msg, "");
	free(msg);
	T_EQ(n, 4);		/* one claim, the seed's two, one */

	r = &rows[0];
	T_STREQ(r->scenario, "a-read-vs-munmap.scn");
	T_STREQ(r->design, "default");
	T_ASSERT(r->fail_claim);
	T_STREQ(r->kind, "expect");
	T_EQ(r->bound, 0);
	T_ASSERT(r->schedules > 0);

	scn = scn_parse_file(SEED003, &perr);
	T_ASSERT(scn && scn->nr_claims == 2 && scn->claims[0].pass && !scn->claims[1].pass);

	r = &rows[1];
	T_STREQ(r->scenario, "b-fault-vs-truncate.scn");
	T_STREQ(r->design, "default");
	T_ASSERT(!r->fail_claim);
	T_STREQ(r->kind, "");
	T_EQ(r->bound, 2);
	T_ASSERT(r->exhausted);
	T_ASSERT(r->schedules > 1);
	T_ASSERT(r->ms > 0 && r->per_second > 0);
	if (t_verbose())
		t_log("%s %s: %ld schedules, %.1f ms, %.0f/s", r->scenario, r->design, r->schedules,
		      r->ms, r->per_second);

	r = &rows[2];
	T_STREQ(r->scenario, "b-fault-vs-truncate.scn");
	T_STREQ(r->design, "fault_recheck=off");
	T_ASSERT(r->fail_claim);
	T_STREQ(r->kind, "truncated-mapped");
	want = dfs_schedules(scn, &scn->claims[1], 0, 3, &bound);
	T_EQ(bound, 1);		/* the fault preempted once, between lookup and map */
	T_EQ(r->bound, 1);
	T_ASSERT(want > 0);
	T_EQ(r->schedules, want);	/* bound 0 exhausted, plus bound 1's to the violation */
	T_ASSERT(!r->exhausted);
	T_ASSERT(r->ms > 0 && r->per_second > 0);
	if (t_verbose())
		t_log("%s %s: %s at bound %d, %ld schedules, %.1f ms, %.0f/s", r->scenario,
		      r->design, r->kind, r->bound, r->schedules, r->ms, r->per_second);

	scn_free(scn);

	r = &rows[3];
	T_STREQ(r->scenario, "c-two-mmaps.scn");
	T_STREQ(r->design, "default");
	T_ASSERT(!r->fail_claim);
	T_STREQ(r->kind, "");
	T_EQ(r->bound, 2);
	T_ASSERT(r->exhausted);
	path = xasprintf("%s/%s", dir, names[2]);
	scn = scn_parse_file(path, &perr);
	free(path);
	T_ASSERT(scn && scn->nr_claims == 1);
	want = dfs_schedules(scn, &scn->claims[0], 2, 2, &bound);
	T_EQ(bound, -1);
	T_ASSERT(want > 1);
	T_EQ(r->schedules, want);	/* all of bound 2 */
	T_ASSERT(r->ms > 0 && r->per_second > 0);
	scn_free(scn);

	bench_explorer_free(rows, n);
	remove_dir(dir, names, 5);
	free(dir);
}

TEST(bench_explorer_errors)
{
	static const char *const names[] = { "bad.scn" };
	struct bench_explorer_row *rows = (void *)1;
	char *dir = temp_dir(), *missing = xasprintf("%s/missing", dir), *path, *msg;

	T_EQ(bench(missing, 60, &rows, &msg), -1);
	T_ASSERT(!rows);
	T_ASSERT(strstr(msg, missing) && strstr(msg, "No such file or directory"));
	free(msg);

	path = xasprintf("%s/%s", dir, names[0]);
	write_file(path, "expect pass\ninit\n  proc P\n  mmap P any 4K rwz private\n");
	rows = (void *)1;
	T_EQ(bench(dir, 60, &rows, &msg), -1);
	T_ASSERT(!rows);
	free(path);
	path = xasprintf("%s/%s:4:", dir, names[0]);	/* file:line */
	T_ASSERT(strstr(msg, path));
	free(path);
	free(msg);

	T_EQ(bench(dir, 0, &rows, &msg), -1);
	T_ASSERT(strstr(msg, "seconds"));
	free(msg);

	remove_dir(dir, names, 1);
	free(missing);
	free(dir);
}
