/*
 * tests/unit/test_cli.c - the rmaplab command: exit codes, --help,
 * --version, --json (a syntax check of the document), --variant errors
 *
 * Runs the binary named by $RMAPLAB (the Makefile sets it to the build's).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/util.h"
#include "tests/test.h"

static const char *bin(void)
{
	const char *b = getenv("RMAPLAB");

	return b ? b : "build/rmaplab";
}

/* Run `PROGRAM ARGS`; returns the exit code, the output (stdout+stderr) in *out. */
static int run_program(const char *program, const char *args, char **out)
{
	char *cmd = xasprintf("%s %s 2>&1", program, args);
	FILE *p = popen(cmd, "r");
	struct sbuf sb;
	int c, status;

	T_ASSERT(p);
	sbuf_init(&sb);
	while ((c = fgetc(p)) != EOF)
		sbuf_putc(&sb, (char)c);
	status = pclose(p);
	free(cmd);
	*out = sbuf_detach(&sb);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run(const char *args, char **out)
{
	return run_program(bin(), args, out);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	T_ASSERT(f);
	fputs(text, f);
	fclose(f);
}

static void write_files(void)
{
	write_file("build/cli-pass.scn", "init\n  proc P\n  a = mmap P any 4K rw private\n");
	write_file("build/cli-fail.scn", "init\n  proc P\n  a = mmap P any 4K rw private\n"
		   "  read P a 1 == \"x\"\n");
	write_file("build/cli-bad.scn", "init\n  proc P\n  mmap P any 4K rwz private\n");
	write_file("build/cli-later.scn", "init\n  proc P\n  reclaim\n");
}

TEST(cli_exit_codes)
{
	char *out;

	write_files();
	T_EQ(run("run build/cli-pass.scn", &out), 0);
	T_ASSERT(strstr(out, "PASS"));
	free(out);
	T_EQ(run("run build/cli-fail.scn", &out), 1);
	T_ASSERT(strstr(out, "FAIL") && strstr(out, "expect"));
	free(out);
	T_EQ(run("run build/cli-bad.scn", &out), 2);
	T_ASSERT(strstr(out, "build/cli-bad.scn:3:17: error:"));
	free(out);
	T_EQ(run("run build/cli-later.scn", &out), 3);
	T_ASSERT(strstr(out, "not implemented"));
	free(out);
	T_EQ(run("run build/no-such-file.scn", &out), 2);
	free(out);
	/* the worst outcome of several files decides */
	T_EQ(run("run --quiet build/cli-pass.scn build/cli-fail.scn", &out), 1);
	free(out);
}

TEST(cli_usage_errors)
{
	char *out;

	write_files();
	T_EQ(run("", &out), 2);
	free(out);
	T_EQ(run("frobnicate", &out), 2);
	T_ASSERT(strstr(out, "unknown command"));
	free(out);
	T_EQ(run("run", &out), 2);
	free(out);
	T_EQ(run("run --bogus build/cli-pass.scn", &out), 2);
	free(out);
	T_EQ(run("run --variant nosuch=x build/cli-pass.scn", &out), 2);
	T_ASSERT(strstr(out, "anon_walk"));	/* lists the valid keys */
	free(out);
	T_EQ(run("run --variant anon_walk=sideways build/cli-pass.scn", &out), 2);
	T_ASSERT(strstr(out, "oldest_first, newest_first"));
	free(out);
	T_EQ(run("run --variant truncate_unmap=once build/cli-pass.scn", &out), 0);
	T_ASSERT(strstr(out, "truncate_unmap=once"));
	free(out);
}

TEST(cli_help_and_version)
{
	char *out;

	T_EQ(run("--help", &out), 0);
	T_ASSERT(strstr(out, "usage: rmaplab run FILE"));
	T_ASSERT(strstr(out, "--trace") && strstr(out, "--json") && strstr(out, "exit status"));
	free(out);
	T_EQ(run("--version", &out), 0);
	T_ASSERT(strstr(out, "rmaplab 0."));
	free(out);
}

/* A small JSON syntax checker: enough to say the document is well formed. */
static const char *json_value(const char *p);

static const char *ws(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (!*p || !strchr("\"\\/bfnrtu", *p))
				return NULL;
		}
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_value(const char *p)
{
	p = ws(p);
	if (*p == '"')
		return json_string(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = json_string(ws(p));
				if (!p || *(p = ws(p)) != ':')
					return NULL;
				p++;
			}
			p = json_value(p);
			if (!p)
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	}
	if (!strncmp(p, "null", 4) || !strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (*p == '-' || isdigit((unsigned char)*p)) {
		p++;
		while (isdigit((unsigned char)*p) || strchr(".eE+-", *p))
			p++;
		return p;
	}
	return NULL;
}

TEST(cli_json_is_well_formed)
{
	const char *const files[] = { "build/cli-pass.scn", "build/cli-fail.scn",
				      "build/cli-later.scn", "scenarios/fork-cow.scn" };
	char *out, *cmd;

	write_files();
	/* the checker itself can fail */
	T_ASSERT(!json_value("{\"a\": }") && !json_value("[1,]") && !json_value("\"x\ny\""));
	T_ASSERT(json_value("{\"a\": [1, \"b\", null]}"));
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		const char *end;

		cmd = xasprintf("run --json %s", files[i]);
		run(cmd, &out);
		end = json_value(out);
		if (!end || *ws(end))
			t_fail(__FILE__, __LINE__, "%s: not one JSON document:\n%s", files[i], out);
		T_ASSERT(strstr(out, "\"scenario\"") && strstr(out, "\"steps\"") &&
			 strstr(out, "\"violation\""));
		free(out);
		free(cmd);
	}
	run("run --json build/cli-fail.scn", &out);
	T_ASSERT(strstr(out, "\"kind\": \"expect\""));
	free(out);
}

/* ------------------------------------------------------------------ */
/* rmaplab conform */

static void write_conform_files(void)
{
	write_file("build/cf-pass.scn",
		   "init\n  proc P\n  file F 8K\n  pwrite F 0 'a'*8K\n"
		   "  s = mmap P any 8K rw shared file F 0\n  fork P C\n  write C s+10 \"child\"\n"
		   "  read P s+10 5 == \"child\"\n  check\n  truncate F 5000\n"
		   "  read P s+5000 100 == 0x00*100\n  read C s+4K 1 == \"a\"\n");
	write_file("build/cf-wrong.scn", "init\n  proc P\n  a = mmap P any 4K rw private\n"
		   "  read P a 1 == \"x\"\n");
	write_file("build/cf-later.scn", "init\n  proc P\n  a = mmap P any 4K rw private\n"
		   "  split P a\n");
	write_file("build/cf-bad.scn", "init\n  proc P\n  read P\n");
}

TEST(cli_conform_exit_codes)
{
	char *out;

	write_conform_files();
	T_EQ(run("conform build/cf-pass.scn", &out), 0);
	/* every report names the oracle: the kernel's version and the file mode */
	T_ASSERT(strstr(out, "PASS build/cf-pass.scn: 10 statements agree") &&
		 strstr(out, "1 model-only") && strstr(out, "[Linux ") &&
		 strstr(out, "files=disk"));
	free(out);
	T_EQ(run("conform --files=memfd build/cf-pass.scn", &out), 0);
	T_ASSERT(strstr(out, "files=memfd"));
	free(out);
	T_EQ(run("conform build/cf-wrong.scn", &out), 1);
	T_ASSERT(strstr(out, "DIFFERENT build/cf-wrong.scn:4: read P a 1 == \"x\"") &&
		 strstr(out, "kernel") && strstr(out, "x\"00\""));
	free(out);
	T_EQ(run("conform build/cf-later.scn", &out), 3);
	T_ASSERT(strstr(out, "NOT RUN") && strstr(out, "'split'"));
	free(out);
	T_EQ(run("conform build/cf-bad.scn", &out), 2);
	T_ASSERT(strstr(out, "build/cf-bad.scn:3:9: error:"));
	free(out);
	T_EQ(run("conform build/cf-pass.scn build/cf-wrong.scn", &out), 1);
	free(out);
	/* a scenario with its own config files= keeps it */
	T_EQ(run("conform --files=disk tests/conform/regress-memfd-growing.scn", &out), 0);
	T_ASSERT(strstr(out, "files=memfd]"));
	free(out);
	T_EQ(run("conform -v build/cf-pass.scn", &out), 0);
	T_ASSERT(strstr(out, "kernel: skipped (check is model-only)") &&
		 strstr(out, "kernel: \"child\"") && strstr(out, "model: \"child\""));
	free(out);
}

TEST(cli_conform_usage_errors)
{
	char *out;

	write_conform_files();
	T_EQ(run("conform", &out), 2);
	free(out);
	T_EQ(run("conform --files=nfs build/cf-pass.scn", &out), 2);
	T_ASSERT(strstr(out, "disk or memfd"));
	free(out);
	T_EQ(run("conform --files", &out), 2);
	free(out);
	T_EQ(run("conform --random 0", &out), 2);
	free(out);
	T_EQ(run("conform --random ten", &out), 2);
	free(out);
	T_EQ(run("conform --random 2 --seed -1", &out), 2);
	free(out);
	T_EQ(run("conform --random 2 build/cf-pass.scn", &out), 2);
	T_ASSERT(strstr(out, "not both"));
	free(out);
	T_EQ(run("conform --bogus build/cf-pass.scn", &out), 2);
	free(out);
	T_EQ(run("--help", &out), 0);
	T_ASSERT(strstr(out, "rmaplab conform FILE...") && strstr(out, "--random N") &&
		 strstr(out, "--files=disk|memfd"));
	free(out);
}

TEST(cli_conform_json_is_well_formed)
{
	const char *const files[] = { "build/cf-pass.scn", "build/cf-wrong.scn",
				      "build/cf-later.scn" };
	char *out, *cmd;

	write_conform_files();
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		const char *end;

		cmd = xasprintf("conform --json %s", files[i]);
		run(cmd, &out);
		end = json_value(out);
		if (!end || *ws(end))
			t_fail(__FILE__, __LINE__, "%s: not one JSON document:\n%s", files[i], out);
		T_ASSERT(strstr(out, "\"kernel\": \"Linux ") && strstr(out, "\"steps\"") &&
			 strstr(out, "\"difference\""));
		free(out);
		free(cmd);
	}
}

/* Random scenarios: a run is a function of N and the seed; CI runs 300 of each mode. */
TEST(cli_conform_random)
{
	long long n = t_param("conform_random", 300);
	char *out, *again, *cmd;

	for (int memfd = 0; memfd < 2; memfd++) {
		cmd = xasprintf("conform --random %lld --seed %llu --files=%s --out build", n,
				(unsigned long long)t_seed(), memfd ? "memfd" : "disk");
		T_EQ(run(cmd, &out), 0);
		if (!strstr(out, "PASS") || !strstr(out, "no difference"))
			t_fail(__FILE__, __LINE__, "%s:\n%s", cmd, out);
		free(out);
		free(cmd);
	}
	T_EQ(run("conform --random 5 --seed 77 2>/dev/null", &out), 0);
	T_EQ(run("conform --random 5 --seed 77 2>/dev/null", &again), 0);
	T_STREQ(out, again);
	T_ASSERT(strstr(out, "PASS 5 random scenarios (seeds 77..81"));
	free(out);
	free(again);
}

/*
 * The build with one behaviour flipped (make test's build/mutant: the
 * partial page at a truncated EOF keeps its old tail) must be caught, by a
 * scenario and by random scenarios, and the shrunk reproducer must pass on
 * the real model.
 */
TEST(cli_conform_catches_the_mutant)
{
	const char *mutant = getenv("RMAPLAB_MUTANT");
	char *out, *cmd, *path;

	if (!mutant)
		t_fail_noreturn(__FILE__, __LINE__,
				"RMAPLAB_MUTANT is not set: run the tests with make test");
	write_conform_files();
	T_EQ(run_program(mutant, "conform build/cf-pass.scn", &out), 1);
	if (!strstr(out, "DIFFERENT build/cf-pass.scn:11: read P s+5000 100") ||
	    !strstr(out, "0x00*100") || !strstr(out, "'a'*100") ||
	    !strstr(out, "the model's result is not the kernel's"))
		t_fail(__FILE__, __LINE__, "the mutant was not caught as expected:\n%s", out);
	free(out);

	/* random scenarios find it too, and shrink it */
	T_EQ(system("rm -rf build/mutant-out && mkdir -p build/mutant-out"), 0);
	T_EQ(run_program(mutant, "conform --random 300 --seed 1 --out build/mutant-out", &out), 1);
	path = strstr(out, "still differs is ");
	if (!path)
		t_fail_noreturn(__FILE__, __LINE__, "no reproducer:\n%s", out);
	path += strlen("still differs is ");
	path[strcspn(path, "\n")] = '\0';
	cmd = xasprintf("conform %s", path);
	free(out);
	T_EQ(run_program(mutant, cmd, &out), 1);	/* the reproducer reproduces */
	free(out);
	T_EQ(run(cmd, &out), 0);			/* and the real model passes it */
	free(out);
	free(cmd);
}

/* ------------------------------------------------------------------ */
/* rmaplab explore, replay, test */

#define RACE "tests/scenarios/explore/read-vs-munmap.scn"
#define RACE_STRICT "tests/scenarios/explore/read-vs-munmap-strict.scn"

TEST(cli_explore_exit_codes)
{
	char *out;

	write_files();
	T_EQ(run("explore " RACE_STRICT " --strategy dfs", &out), 1);
	T_ASSERT(strstr(out, "VIOLATION expect: read P a 1 == \"x\": returned SIGSEGV"));
	T_ASSERT(strstr(out, "trail: ") && strstr(out, "replay: rmaplab replay " RACE_STRICT));
	T_ASSERT(strstr(out, "read-vs-munmap-strict.scn:14"));
	free(out);
	T_EQ(run("explore " RACE " --strategy dfs", &out), 0);
	T_ASSERT(strstr(out, "exhausted") && strstr(out, "no violation"));
	free(out);
	T_EQ(run("explore " RACE " --strategy pct --runs 50", &out), 0);
	T_ASSERT(strstr(out, "probability >= 1/(n*k^(d-1))"));
	free(out);
	T_EQ(run("explore " RACE " --strategy bogus", &out), 2);
	T_ASSERT(strstr(out, "unknown strategy 'bogus'"));
	free(out);
	T_EQ(run("explore", &out), 2);
	free(out);
	T_EQ(run("explore " RACE " --runs 0", &out), 2);
	free(out);
	T_EQ(run("explore build/cli-bad.scn", &out), 2);
	T_ASSERT(strstr(out, "build/cli-bad.scn:3:17: error:"));
	free(out);
	T_EQ(run("explore build/cli-later.scn", &out), 3);
	T_ASSERT(strstr(out, "not implemented"));
	free(out);
	T_EQ(run("replay " RACE, &out), 2);
	T_ASSERT(strstr(out, "--trail"));
	free(out);
}

/* The value of "key": "..." in @json (the first), malloc'd. */
static char *json_field(const char *json, const char *key)
{
	char *pat = xasprintf("\"%s\": \"", key);
	const char *p = strstr(json, pat), *e;

	free(pat);
	if (!p)
		return NULL;
	p = strchr(p, ':') + 3;
	e = strchr(p, '"');
	return e ? xasprintf("%.*s", (int)(e - p), p) : NULL;
}

TEST(cli_explore_json_replay_svg)
{
	char *out, *out2, *trail, *cmd, *bad;
	const char *end;
	FILE *f;
	char head[8] = { 0 };

	T_EQ(run("explore --json " RACE_STRICT " --strategy dfs", &out), 1);
	end = json_value(out);
	if (!end || *ws(end))
		t_fail_noreturn(__FILE__, __LINE__, "not one JSON document:\n%s", out);
	for (const char *k = "scenario\0strategy\0runs\0schedules\0exhausted\0violations\0steps\0"; *k;
	     k += strlen(k) + 1) {
		char *q = xasprintf("\"%s\"", k);

		T_ASSERT(strstr(out, q));
		free(q);
	}
	T_ASSERT(strstr(out, "\"kind\": \"expect\""));
	trail = json_field(out, "trail");
	T_ASSERT(trail && strchr(trail, ':'));
	/* the trail replays to the same violation, with its full trace */
	cmd = xasprintf("replay " RACE_STRICT " --trail '%s' --svg build/cli-race.svg", trail);
	T_EQ(run(cmd, &out2), 1);
	T_ASSERT(strstr(out2, "VIOLATION expect") && strstr(out2, "-> starts: munmap P a 4K"));
	free(out2);
	f = fopen("build/cli-race.svg", "r");
	T_ASSERT(f);
	T_EQ(fread(head, 1, 5, f), 5);
	fclose(f);
	T_ASSERT(!strcmp(head, "<?xml") || !strncmp(head, "<svg", 4));
	free(cmd);
	/* a trail that does not fit is refused, naming the step */
	bad = xasprintf("%s", trail);
	bad[0] = bad[0] == '1' ? '2' : '1';
	cmd = xasprintf("replay " RACE_STRICT " --trail '%s'", bad);
	T_EQ(run(cmd, &out2), 2);
	T_ASSERT(strstr(out2, "does not fit") && strstr(out2, "step "));
	free(out2);
	free(cmd);
	cmd = xasprintf("replay " RACE_STRICT " --trail '1x3:'");
	T_EQ(run(cmd, &out2), 2);
	T_ASSERT(strstr(out2, "does not fit"));
	free(out2);
	free(cmd);
	T_EQ(run("replay " RACE_STRICT " --trail 'x'", &out2), 2);
	free(out2);
	free(bad);
	free(trail);
	free(out);
}

TEST(cli_explore_is_deterministic)
{
	char *a, *b, *ta, *tb;

	T_EQ(run("explore --json " RACE_STRICT " --seed 7 --runs 200", &a), 1);
	T_EQ(run("explore --json " RACE_STRICT " --seed 7 --runs 200", &b), 1);
	ta = json_field(a, "trail");
	tb = json_field(b, "trail");
	T_ASSERT(ta && tb);
	T_STREQ(ta, tb);
	free(a);
	free(b);
	free(ta);
	free(tb);
	T_EQ(run("explore " RACE " --check-determinism --runs 300", &a), 0);
	T_ASSERT(!strstr(a, "NONDETERMINISM"));
	free(a);
}

TEST(cli_test_claims)
{
	char *out;

	write_file("build/cli-wrong-claim.scn",
		   "expect pass\ninit\n  proc P\n  a = mmap P any 4K rw private\n  write P a \"x\"\n"
		   "thread T0\n  read P a 1 == \"x\"\nthread T1\n  munmap P a 4K\n");
	T_EQ(run("test " RACE " " RACE_STRICT " --budget bounds=0-2,depths=2-2,pct-runs=50", &out), 0);
	T_ASSERT(strstr(out, "expect pass: PASS: no violation in") && strstr(out, "bound 2 exhausted"));
	T_ASSERT(strstr(out, "expect fail expect: PASS: found expect in"));
	T_ASSERT(strstr(out, "2 passed, 0 failed"));
	free(out);
	T_EQ(run("test build/cli-wrong-claim.scn --budget bounds=0-1,depths=2-2,pct-runs=10", &out), 1);
	T_ASSERT(strstr(out, "FAIL: found expect") && strstr(out, "0 passed, 1 failed"));
	T_ASSERT(strstr(out, "replay: rmaplab replay build/cli-wrong-claim.scn"));
	free(out);
	T_EQ(run("test " RACE " --budget bounds=3-1", &out), 2);
	free(out);
	T_EQ(run("test " RACE " --budget nonsense=1", &out), 2);
	free(out);
}

/* "N schedules" from an explore summary line; -1 if absent */
static long schedules_of(const char *out)
{
	const char *p = strstr(out, " schedules in ");
	long n = -1;

	while (p > out && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p && sscanf(p, "%ld", &n) != 1)
		n = -1;
	return n;
}

/*
 * --points=atomics: refcount and mapcount updates become schedule points,
 * so the same bound reaches interleavings it could not reach before (a
 * thread preempted just before fork's folio_get, with the writer running),
 * and a trail recorded with them replays only with them.
 */
TEST(cli_explore_atomic_points)
{
	char *plain, *atomics, *out, *trail, *cmd;
	const char *p;
	long n = 0, of = 0;

	T_EQ(run("explore tests/scenarios/explore/fork-vs-write.scn --strategy dfs "
		 "--preemptions 1 --coverage", &plain), 0);
	T_EQ(run("explore tests/scenarios/explore/fork-vs-write.scn --strategy dfs "
		 "--preemptions 1 --coverage --points=atomics", &atomics), 0);
	T_ASSERT(strstr(plain, "exhausted") && strstr(atomics, "exhausted"));
	T_GT(schedules_of(plain), 0);
	T_GT(schedules_of(atomics), schedules_of(plain));
	T_ASSERT(!strstr(plain, "folio_get"));
	p = strstr(atomics, "  folio_get ");
	T_ASSERT(p);
	T_EQ(sscanf(p + strlen("  folio_get "), " %ld of %ld schedules", &n, &of), 2);
	T_GT(n, 0);
	free(plain);
	free(atomics);

	T_EQ(run("explore --json " RACE_STRICT " --strategy dfs --points=atomics", &out), 1);
	trail = json_field(out, "trail");
	T_ASSERT(trail);
	free(out);
	cmd = xasprintf("replay " RACE_STRICT " --trail '%s' --points=atomics", trail);
	T_EQ(run(cmd, &out), 1);
	T_ASSERT(strstr(out, "at atomic folio_mapcount_dec") && strstr(out, "VIOLATION expect"));
	free(out);
	free(cmd);
	cmd = xasprintf("replay " RACE_STRICT " --trail '%s'", trail);
	T_EQ(run(cmd, &out), 2);
	T_ASSERT(strstr(out, "does not fit") && strstr(out, "--points"));
	free(out);
	free(cmd);
	free(trail);
}

/*
 * The page-cache lookup is lockless, as the kernel's: with atomics as
 * schedule points, truncate can free the folio between the lookup finding
 * it and the reference being taken.  filemap_find_get must then fail its
 * folio_try_get (or see the slot changed) and look again.  With a plain
 * folio_get there, bound 1 finds a refcount violation in 3 schedules (a
 * freed frame revived by the reader; fault-around's lookup in
 * truncate-vs-fault.scn needs bound 3); with the retry it exhausts clean.
 */
TEST(cli_explore_atomics_lookup_vs_truncate)
{
	char *out;

	T_EQ(run("explore tests/scenarios/explore/pread-vs-truncate.scn --points=atomics "
		 "--strategy dfs --preemptions 1 --coverage", &out), 0);
	T_ASSERT(strstr(out, "exhausted") && strstr(out, "no violation"));
	T_ASSERT(strstr(out, "  folio_try_get "));	/* truncate ran inside the window */
	free(out);
}

/*
 * The gallery's non-vacuity check: a seed whose modern design never
 * enters the window it names, or that names none, fails the gallery; one
 * whose window is entered passes, with the count.
 */
TEST(cli_gallery_windows)
{
	static const char body[] =
		"scenario g\nexpect pass\n\ninit\n  file F 8K\n  pwrite F 0 'x'*8K\n  proc P\n"
		"  a = mmap P any 8K rw shared file F 0\n\nthread T0\n  read P a+4K 1 == \"x\" | SIGBUS\n"
		"\nthread T1\n  truncate F 4K\n";
	char *out, *args, *text;

	T_EQ(system("rm -rf build/gallery-t && mkdir -p build/gallery-t/seeds"), 0);
	args = xasprintf("%s build/gallery-t", bin());
	text = xasprintf("# window: truncate_pagecache: unmapped, pages not yet removed\n%s", body);
	write_file("build/gallery-t/seeds/g.scn", text);
	free(text);
	T_EQ(run_program("scripts/gallery", args, &out), 0);
	T_ASSERT(strstr(out, "unmapped, pages not yet removed\": entered with another thread inside in "));
	T_ASSERT(strstr(out, "gallery: 2 passed, 0 failed"));
	free(out);
	text = xasprintf("# window: no such window\n%s", body);
	write_file("build/gallery-t/seeds/g.scn", text);
	free(text);
	T_EQ(run_program("scripts/gallery", args, &out), 1);
	T_ASSERT(strstr(out, "\"no such window\": NEVER ENTERED"));
	free(out);
	write_file("build/gallery-t/seeds/g.scn", body);
	T_EQ(run_program("scripts/gallery", args, &out), 1);
	T_ASSERT(strstr(out, "NONE NAMED"));
	free(out);
	text = xasprintf("# no-window: said why\n%s", body);
	write_file("build/gallery-t/seeds/g.scn", text);
	free(text);
	T_EQ(run_program("scripts/gallery", args, &out), 0);
	T_ASSERT(strstr(out, "  no window: said why"));
	free(out);
	free(args);
}

/*
 * --budget: bounds=0-0 means bound 0 only (not the default), and
 * fail-max-bound lets fail claims search deeper than pass claims: seed
 * 003's broken design needs one preemption.
 */
TEST(cli_test_budget_fail_bound)
{
	static const char f[] = "scenarios/seeds/003-fault-vs-truncate.scn";
	char *out, *cmd;

	cmd = xasprintf("test %s --budget bounds=0-0,depths=1-1,pct-runs=1", f);
	T_EQ(run(cmd, &out), 1);
	T_ASSERT(strstr(out, "expect pass: PASS: no violation in 2 schedules and 1 pct runs"));
	T_ASSERT(strstr(out, "fault_recheck=off: FAIL: truncated-mapped not found"));
	free(out);
	free(cmd);
	cmd = xasprintf("test %s --budget bounds=0-0,fail-max-bound=1,depths=1-1,pct-runs=1", f);
	T_EQ(run(cmd, &out), 0);
	T_ASSERT(strstr(out, "expect pass: PASS: no violation in 2 schedules"));
	T_ASSERT(strstr(out, "PASS: found truncated-mapped in 10 schedules") && strstr(out, "at bound 1"));
	free(out);
	free(cmd);
	/* pct-runs=0 is no pct at all (it once meant pct's default of 1000 runs per depth) */
	cmd = xasprintf("test %s --budget bounds=0-0,pct-runs=0", f);
	T_EQ(run(cmd, &out), 1);
	T_ASSERT(strstr(out, "expect pass: PASS: no violation in 2 schedules and 0 pct runs"));
	free(out);
	free(cmd);
	T_EQ(run("test scenarios/seeds/003-fault-vs-truncate.scn --budget fail-max-bound=x", &out), 2);
	free(out);
}

TEST(cli_explore_coverage)
{
	char *out;
	const char *p;
	long n = 0, of = 0;

	T_EQ(run("explore tests/scenarios/explore/truncate-vs-fault.scn --strategy dfs --coverage",
		 &out), 0);
	p = strstr(out, "truncate_pagecache: unmapped, pages not yet removed");
	T_ASSERT(p);
	T_EQ(sscanf(p + strlen("truncate_pagecache: unmapped, pages not yet removed"),
		    " %ld of %ld schedules", &n, &of), 2);
	T_GT(n, 0);		/* the fault really ran inside truncate's window */
	T_LT(n, of);		/* ... in some schedules, not all */
	T_ASSERT(strstr(out, "mmap_lock"));
	free(out);
	T_EQ(run("explore --json tests/scenarios/explore/truncate-vs-fault.scn --runs 20 --coverage",
		 &out), 0);
	T_ASSERT(strstr(out, "\"coverage\": {"));
	free(out);
}

/*
 * A trace says which VMA a walker or mover is at (trace_vma_enter): seed
 * 000's two-mremap race reads as the mail tells it, the first unmap at the
 * destination b (0x10400000) before sleeping at the source a (0x10000000)
 * on the page-table lock move_page_tables holds there.
 */
TEST(cli_trace_names_the_vma)
{
	char *out;

	T_EQ(run("explore scenarios/seeds/000-truncate-vs-two-mremaps.scn --strategy dfs "
		 "--preemptions 3 --variant file_walk=newest_first", &out), 1);
	T_ASSERT(strstr(out, "VIOLATION truncated-mapped"));
	T_ASSERT(strstr(out, "pte_unmap_unlock [unmap_mapping_range_vma 0x10400000]"));
	T_ASSERT(strstr(out, "held by T0 [unmap_mapping_range_vma 0x10000000]"));
	T_ASSERT(strstr(out, "in move_ptes [move_page_tables 0x10000000]"));
	T_ASSERT(strstr(out, "held by T0 [unmap_mapping_range_vma 0x10400000]"));
	free(out);
}
