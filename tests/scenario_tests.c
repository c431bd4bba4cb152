/*
 * tests/scenario_tests.c - every .scn file under scenarios/ and
 * tests/scenarios/ is a test: it is run as `rmaplab run` runs it and must
 * pass (every == holds, the reference semantics agree, no invariant
 * breaks, nothing leaks).
 *
 * A file may state another outcome in a comment line of its own:
 *   # run: fail KIND      the run must stop with a KIND violation
 *   # run: unimplemented  the run must stop at a statement of a later issue
 * tests/scenarios/bad/ holds parse-error files; tests/unit/test_lang.c
 * checks those.
 *
 * Every .scn file under tests/conform/ (the conformance corpus) is two
 * tests, one per file mode: it is run as `rmaplab conform --files=MODE`
 * runs it, on this machine's kernel and on the model, and must pass on
 * both.  A file that is about one kind of file says so with its own
 * `config files=disk|memfd` line, and is one test.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conform/conform.h"
#include "explore/interp.h"
#include "include/rmaplab.h"
#include "lib/util.h"
#include "tests/test.h"

struct scn_test {
	char *path;
};

/* The `# run:` line of a file: "pass" (default), "fail KIND", "unimplemented". */
static void expected_outcome(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	char line[512];

	snprintf(buf, size, "pass");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "# run:");

		if (p && p == line + strspn(line, " \t")) {
			p += 6;
			p += strspn(p, " \t");
			p[strcspn(p, "\r\n")] = '\0';
			snprintf(buf, size, "%s", p);
			break;
		}
	}
	fclose(f);
}

static void run_scenario_test(void *arg)
{
	struct scn_test *t = arg;
	struct ex_run_report rep;
	struct scn_error err;
	struct vm_variants v;
	struct scenario *scn;
	char want[128], got[256];

	expected_outcome(t->path, want, sizeof(want));
	scn = scn_parse_file(t->path, &err);
	if (!scn)
		t_fail_noreturn(__FILE__, __LINE__, "%s", err.msg);
	ex_variants_for(scn, NULL, 0, &v);
	ex_run_sequential(scn, &v, &rep);
	if (rep.unimplemented)
		snprintf(got, sizeof(got), "unimplemented");
	else if (rep.violation.kind)
		snprintf(got, sizeof(got), "fail %s", ex_kind_name(rep.violation.kind));
	else
		snprintf(got, sizeof(got), "pass");
	if (strcmp(got, want))
		t_fail(__FILE__, __LINE__, "%s: expected %s, got %s%s%s%s", t->path, want, got,
		       rep.violation.kind ? " at " : "",
		       rep.violation.kind ? rep.violation.where : "",
		       rep.violation.kind ? "" : "");
	if (rep.violation.kind && strcmp(got, want))
		t_log("%s", rep.violation.message);
	ex_run_report_free(&rep);
	scn_free(scn);
}

struct conform_test {
	char *path;
	enum scn_files files;
};

static void run_conform_test(void *arg)
{
	struct conform_test *t = arg;
	struct cf_result res;
	struct scn_error err;
	struct scenario *scn = scn_parse_file(t->path, &err);

	if (!scn)
		t_fail_noreturn(__FILE__, __LINE__, "%s", err.msg);
	T_ASSERT(!scn->config.files_set || scn->config.files == t->files);
	scn->config.files = t->files;
	cf_conform(scn, false, &res);
	if (res.verdict != CF_PASS) {
		char *report = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&report, &len);

		cf_print(&res, 0, f);
		fclose(f);
		t_fail(__FILE__, __LINE__, "%s", report);
		free(report);
	}
	cf_result_free(&res);
	scn_free(scn);
}

/*
 * Every expect claim of a file, as `rmaplab test` checks it.  make test
 * uses a smaller budget than the command's default (dfs bounds 0-2, pct
 * depths 2-3 with 300 runs, 20 s per claim), except that fail claims
 * search up to bound 3 as by default (they stop at the first find; some
 * seed races need three preemptions); --param claims_full=1 uses the
 * default.  The claims' lines go to the log with -v.
 */
static void run_claims_test(void *arg)
{
	const char *path = arg;
	struct rl_test_budget b = { 0, 2, 2, 3, 300, 20, 0, 3, 0 };
	int passed = 0, failed = 0, code;
	char *report = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&report, &len);

	if (t_param("claims_full", 0))
		b = (struct rl_test_budget){ 0, 3, 2, 5, 10000, 60, 0, 0, 0 };
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/*
	 * Sanitizers slow a schedule down 10 to 30 times (machine_create's
	 * 64K frames dominate): a fail claim that needs bound 3 would spend
	 * 20 s on bounds 0-2 and never get there.  Pass claims keep their cap
	 * (they end "not exhausted"); fail claims get up to 600 s (the
	 * slowest seed took 179 s under ASan on the 2-core machine).
	 */
	b.fail_seconds = 600;
#endif
	code = rl_test_file(path, &b, f, f, &passed, &failed);
	fclose(f);
	if (code != RL_EXIT_OK || failed || !passed)
		t_fail(__FILE__, __LINE__, "%s: exit %d, %d claims passed, %d failed:\n%s", path, code,
		       passed, failed, report);
	else
		t_log("%s", report);
	free(report);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect .scn files below @dir (sorted, recursively), skipping bad/. */
static void collect(const char *dir, char ***paths, int *nr, int *cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	int n = 0, c = 0;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == c) {
			c = c ? c * 2 : 32;
			names = xrealloc(names, (size_t)c * sizeof(*names));
		}
		names[n++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, (size_t)n, sizeof(*names), cmp_str);
	for (int i = 0; i < n; i++) {
		struct stat st;
		size_t len = strlen(names[i]);

		if (!stat(names[i], &st) && S_ISDIR(st.st_mode)) {
			if (strcmp(names[i], "tests/scenarios/bad"))
				collect(names[i], paths, nr, cap);
			free(names[i]);
		} else if (len > 4 && !strcmp(names[i] + len - 4, ".scn")) {
			if (*nr == *cap) {
				*cap = *cap ? *cap * 2 : 64;
				*paths = xrealloc(*paths, (size_t)*cap * sizeof(**paths));
			}
			(*paths)[(*nr)++] = names[i];
		} else {
			free(names[i]);
		}
	}
	free(names);
}

/* Does @path have an expect line?  (A file that does not parse has none.) */
static bool has_claims(const char *path)
{
	struct scn_error err;
	struct scenario *scn = scn_parse_file(path, &err);
	bool yes = scn && scn->nr_claims > 0;

	scn_free(scn);
	return yes;
}

void t_register_scenario_tests(void)
{
	static const char *const roots[] = { "scenarios", "tests/scenarios" };
	char **paths = NULL;
	int nr = 0, cap = 0;

	for (size_t r = 0; r < ARRAY_SIZE(roots); r++)
		collect(roots[r], &paths, &nr, &cap);
	for (int i = 0; i < nr; i++) {
		struct scn_test *t = xcalloc(1, sizeof(*t));
		char *name = xasprintf("scn:%s", paths[i]);

		t->path = paths[i];
		t_register_dynamic(name, run_scenario_test, t);
		free(name);
		if (has_claims(paths[i])) {
			name = xasprintf("claims:%s", paths[i]);
			t_register_dynamic(name, run_claims_test, paths[i]);
			free(name);
		}
	}
	free(paths);

	paths = NULL;
	nr = cap = 0;
	collect("tests/conform", &paths, &nr, &cap);
	for (int i = 0; i < nr; i++) {
		static const char *const modes[] = { [SCN_FILES_DISK] = "disk",
						     [SCN_FILES_MEMFD] = "memfd" };
		struct scn_error err;
		struct scenario *scn = scn_parse_file(paths[i], &err);
		int only = scn && scn->config.files_set ? (int)scn->config.files : -1;

		scn_free(scn);	/* a file that does not parse fails as a test */
		for (int m = 0; m < 2; m++) {
			struct conform_test *t;
			char *name;

			if (only >= 0 && m != only)
				continue;
			t = xcalloc(1, sizeof(*t));
			t->path = paths[i];
			t->files = (enum scn_files)m;
			name = xasprintf("conform:%s:%s", paths[i], modes[m]);
			t_register_dynamic(name, run_conform_test, t);
			free(name);
		}
	}
	free(paths);
}
