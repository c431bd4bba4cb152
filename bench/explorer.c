/*
 * bench/explorer.c - `rmaplab bench`'s explorer speed: every expect claim
 * of every .scn in a directory, checked the way `rmaplab test` (and so the
 * gallery) checks it, and timed.
 *
 * The search is ex_check_claim() (explore/explore_cmd.c), `rmaplab test`'s
 * own, with a dfs-only budget: fail claims at preemption bounds 0..3 until
 * the first schedule whose violation is the claimed kind, pass claims at
 * bound 2 until exhausted, each within the cap.  The clock only measures:
 * no explorer decision depends on it (the cap aside, as in `rmaplab test`).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/bench.h"
#include "explore/concurrent.h"
#include "include/rmaplab.h"
#include "lib/util.h"

/* @dir/@name, without doubling a trailing slash */
static char *path_in(const char *dir, const char *name)
{
	size_t len = strlen(dir);

	return xasprintf("%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", name);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The .scn regular files of @dir, sorted by name (strcmp); -1 with a message. */
static int list_scenarios(const char *dir, char ***out, FILE *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	int n = 0, cap = 0;

	*out = NULL;
	if (!d) {
		fprintf(err, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((errno = 0, e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct stat sb;
		char *path;
		bool regular;

		if (len <= 4 || strcmp(e->d_name + len - 4, ".scn"))
			continue;
		path = path_in(dir, e->d_name);
		regular = !stat(path, &sb) && S_ISREG(sb.st_mode);
		free(path);
		if (!regular)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = xrealloc(names, (size_t)cap * sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	if (errno) {
		fprintf(err, "%s: %s\n", dir, strerror(errno));
		closedir(d);
		free_names(names, n);
		return -1;
	}
	closedir(d);
	if (n)
		qsort(names, (size_t)n, sizeof(*names), cmp_names);
	*out = names;
	return n;
}

/* The scenario's variant lines, then the claim's, as "k=v k=v"; "default" if none. */
static char *design_text(const struct scenario *scn, const struct scn_claim *cl)
{
	struct sbuf sb;
	bool any = false;

	sbuf_init(&sb);
	for (int pass = 0; pass < 2; pass++) {
		const struct scn_setting *s = pass ? cl->with : scn->variants;
		int nr = pass ? cl->nr_with : scn->nr_variants;

		for (int i = 0; i < nr; i++) {
			sbuf_printf(&sb, "%s%s=%s", any ? " " : "", vm_variant_table[s[i].key].key,
				    vm_variant_table[s[i].key].values[s[i].value]);
			any = true;
		}
	}
	if (!any)
		sbuf_puts(&sb, "default");
	return sbuf_detach(&sb);
}

/* One claim into @row; false with a message on @err. */
static bool bench_claim(const char *name, const struct scenario *scn, const struct scn_claim *cl,
			double seconds, struct bench_explorer_row *row, FILE *err)
{
	/* dfs only: min_depth > max_depth means no pct */
	struct rl_test_budget b = { .min_bound = cl->pass ? 2 : 0, .max_bound = cl->pass ? 2 : 3,
				    .min_depth = 1, .max_depth = 0, .pct_runs = 0,
				    .seconds = seconds };
	struct ex_claim_stats st;
	char msg[256];
	uint64_t t0, t1;
	bool ok;

	t0 = bench_now_ns();
	ok = ex_check_claim(scn, cl, &b, &st, msg, sizeof(msg));
	t1 = bench_now_ns();
	if (!ok) {
		fprintf(err, "%s\n", msg);
		return false;
	}
	if (st.unimplemented) {
		fprintf(err, "%s:%d: %s: not run: '%s' is not implemented in this build\n",
			cl->loc.file, cl->loc.line, cl->text, st.unimplemented->text);
		return false;
	}
	row->scenario = xstrdup(name);
	row->design = design_text(scn, cl);
	row->fail_claim = !cl->pass;
	/* a pass claim that met a violation says which, too */
	row->kind = xstrdup(st.found != EX_KIND_NONE ? ex_kind_name(st.found) : "");
	row->schedules = st.schedules;
	row->ms = (double)(t1 - t0) / 1e6;
	if (cl->pass) {
		row->bound = 2;
		row->exhausted = st.bound2_exhausted;
	} else {
		row->bound = st.bound_found;	/* -1: not found */
		row->exhausted = false;
	}
	row->per_second = row->ms > 0 ? (double)row->schedules / (row->ms / 1000.0) : 0.0;
	return true;
}

int bench_explorer(const char *dir, double seconds, struct bench_explorer_row **rows, FILE *err)
{
	struct bench_explorer_row *out = NULL;
	char **names;
	int nr_names, n = 0, cap = 0;

	*rows = NULL;
	if (!(seconds > 0)) {
		fprintf(err, "bench: the explorer's cap must be more than 0 seconds\n");
		return -1;
	}
	nr_names = list_scenarios(dir, &names, err);
	if (nr_names < 0)
		return -1;
	for (int f = 0; f < nr_names; f++) {
		char *path = path_in(dir, names[f]);
		struct scn_error perr;
		struct scenario *scn = scn_parse_file(path, &perr);
		bool ok = scn != NULL;

		if (!scn)
			fprintf(err, "%s\n", perr.msg);
		for (int c = 0; ok && c < scn->nr_claims; c++) {
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				out = xrealloc(out, (size_t)cap * sizeof(*out));
			}
			memset(&out[n], 0, sizeof(out[n]));
			ok = bench_claim(names[f], scn, &scn->claims[c], seconds, &out[n], err);
			if (ok)
				n++;
		}
		if (scn)
			scn_free(scn);
		free(path);
		if (!ok) {
			free_names(names, nr_names);
			bench_explorer_free(out, n);
			return -1;
		}
	}
	free_names(names, nr_names);
	*rows = out;
	return n;
}

void bench_explorer_free(struct bench_explorer_row *rows, int n)
{
	if (!rows)
		return;
	for (int i = 0; i < n; i++) {
		free(rows[i].scenario);
		free(rows[i].design);
		free(rows[i].kind);
	}
	free(rows);
}
