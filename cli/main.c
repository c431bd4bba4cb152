/*
 * cli/main.c - the rmaplab command
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/rmaplab.h"
#include "mm/variant.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rmaplab run FILE... [--variant KEY=VALUE]... [--json] [--quiet] [--trace]\n"
		"       rmaplab conform FILE... [--files=disk|memfd] [--json] [--verbose]\n"
		"       rmaplab conform --random N [--seed S] [--files=disk|memfd] [--out DIR]\n"
		"       rmaplab explore FILE [--strategy random|pct|dfs] [--runs N] [--seconds T]\n"
		"               [--seed N] [--preemptions K] [--depth D] [--variant KEY=VALUE]...\n"
		"               [--points=atomics] [--coverage] [--check-determinism]\n"
		"               [--no-shrink] [--svg FILE] [--json]\n"
		"       rmaplab replay FILE --trail T [--variant KEY=VALUE]... [--points=atomics]\n"
		"               [--svg FILE] [--json]\n"
		"       rmaplab test FILE... [--budget KEY=VALUE,...] [--points=atomics]\n"
		"       rmaplab stress FILE [--runs N] [--seconds T] [--variant KEY=VALUE]...\n"
		"       rmaplab bench [--quick] [--json FILE] [--svg FILE] [--only NAME]\n"
		"       rmaplab --help | --version\n"
		"\n"
		"rmaplab is an executable model of the Linux VM's object-based reverse\n"
		"mapping (Linux 7.0).  Scenario files (.scn) describe processes, files and\n"
		"memory operations; see docs/scenarios.md.\n"
		"\n"
		"commands:\n"
		"  run FILE...   run each scenario once: init, then its threads one after\n"
		"                another in file order, then final; every statement's result\n"
		"                is checked against its == and against the reference\n"
		"                semantics, and every invariant after every statement\n"
		"  conform FILE...\n"
		"                run each scenario on this machine's Linux kernel (real\n"
		"                processes, files and system calls), on the model and on the\n"
		"                reference semantics, sequentially as run does, and compare\n"
		"                every statement's result and every byte read; == must hold\n"
		"                on the kernel and on the model.  Addresses that mmap chose\n"
		"                are not compared, only what they map.  check, migrate,\n"
		"                compact, reclaim, split, exec and pins are model-only; a\n"
		"                scenario with inject is run on the model alone.  See\n"
		"                docs/conformance.md\n"
		"  explore FILE  run the scenario's threads concurrently under controlled\n"
		"                schedules: each thread is a simulated thread, switched only\n"
		"                at the lock layer's schedule points (every lock acquire and\n"
		"                release, sched_point, cond_resched; with --points=atomics\n"
		"                also refcount and mapcount updates), every invariant\n"
		"                checked after every step.  Stops at the first violation and\n"
		"                prints it shrunk (fewest preemptions, then fewest steps)\n"
		"                with its trace, its trail and the replay command.  A run is\n"
		"                a function of the scenario, variants, strategy and seed\n"
		"  replay FILE --trail T\n"
		"                run the one schedule of trail T (from explore or test) and\n"
		"                print its full trace; refuses (exit 2) a trail that no\n"
		"                longer fits the scenario or the model, naming the step\n"
		"  test FILE...  check every expect claim of each file (SCENARIOS.md): dfs at\n"
		"                preemption bounds 0 to 3, then pct depths 2 to 5 with\n"
		"                10000 runs each, within 60 s per claim; one line per claim,\n"
		"                then N passed, N failed\n"
		"  stress FILE   run the scenario's threads on real pthreads (the lock\n"
		"                layer's pthread backend), repeatedly, checking every\n"
		"                invariant and the leak check after each run; not\n"
		"                deterministic: for ThreadSanitizer and throughput\n"
		"  bench         time each workload on the model and on this machine's\n"
		"                kernel alternately (medians, min-max, model/kernel ratio),\n"
		"                then the model alone as the work grows, its metadata\n"
		"                bytes per page, and the explorer's speed on every claim\n"
		"                of scenarios/seeds/ (run it from the source tree); see\n"
		"                docs/performance.md.  The kernel's rmap row needs root\n"
		"                and cgroup v1's memory controller\n"
		"\n"
		"options of run:\n"
		"  --variant KEY=VALUE  the design under test (repeatable); overrides the\n"
		"                       scenario's variant lines.  Keys:\n");
	for (int k = 0; k < VAR_NR_KEYS; k++) {
		char list[256];

		vm_variant_values_list(k, list, sizeof(list));
		fprintf(f, "                         %-19s %s\n", vm_variant_table[k].key, list);
	}
	fprintf(f,
		"  --json               one JSON document per scenario on stdout\n"
		"  --quiet              only the verdict line of each scenario\n"
		"  --trace              print every lock acquire and release, and every\n"
		"                       schedule point, with the model function doing it\n"
		"\n"
		"options of conform:\n"
		"  --files=disk|memfd   what `file F SIZE` is: an unlinked file in $TMPDIR\n"
		"                       (default /tmp; the model follows ext4) or a memfd\n"
		"                       (tmpfs); default: the scenario's config files=\n"
		"  --json               one JSON document per scenario on stdout\n"
		"  --verbose, -v        every statement with the kernel's, the model's and\n"
		"                       the reference semantics' results\n"
		"  --random N           generate N random sequential scenarios instead of\n"
		"                       reading files; a difference is shrunk to the fewest\n"
		"                       statements that still differ and written to a file\n"
		"  --seed S             the first random scenario's seed (default 1); scenario\n"
		"                       i uses seed S+i, so a run is a function of N and S\n"
		"  --out DIR            where --random writes a difference (default .)\n"
		"\n"
		"options of explore:\n"
		"  --strategy S         random (default: a uniform choice at each decision),\n"
		"                       pct (random priorities with D-1 change points;\n"
		"                       prints its probability bound 1/(n*k^(D-1))), dfs\n"
		"                       (every schedule with at most K preemptions)\n"
		"  --runs N             schedules to run (default 1000; dfs: until exhausted)\n"
		"  --seconds T          stop after T seconds (decides only how many runs)\n"
		"  --seed N             random and pct: run i uses seed N and i (default 1)\n"
		"  --preemptions K      dfs preemption bound (default 2)\n"
		"  --depth D            pct depth (default 3)\n"
		"  --variant KEY=VALUE  as for run\n"
		"  --points=atomics     refcount and mapcount updates are schedule points\n"
		"  --coverage           per sched_point and lock class, the schedules in\n"
		"                       which another thread ran while a thread was inside\n"
		"  --check-determinism  run every schedule twice and compare the traces\n"
		"  --no-shrink          print the violating schedule as found\n"
		"  --svg FILE           the violating schedule as an SVG swimlane diagram\n"
		"  --json               one JSON document: scenario, strategy, runs,\n"
		"                       schedules, exhausted, violations (kind, message,\n"
		"                       trail, steps)\n"
		"  Progress (schedules, schedules/s, violations) goes to stderr when it is\n"
		"  a terminal.\n"
		"\n"
		"options of test:\n"
		"  --budget KEY=VALUE,...  bounds=A-B (dfs preemption bounds, default 0-3),\n"
		"                       fail-max-bound=N (expect fail claims search dfs\n"
		"                       up to bound N when it is above B), depths=A-B\n"
		"                       (pct, default 2-5), pct-runs=N (per depth, default\n"
		"                       10000), seconds=T (cap per claim, default 60)\n"
		"\n"
		"options of stress:\n"
		"  --runs N             runs (default 100)\n"
		"  --seconds T          run for T seconds instead\n"
		"\n"
		"options of bench:\n"
		"  --quick              3 pairs instead of 7, smaller scale curves, explorer\n"
		"                       claims capped at 0.5 s (about a minute in all)\n"
		"  --json FILE          the report as JSON (workloads, scale, memory, explorer)\n"
		"  --svg FILE           a chart of the ratios and the scale curves\n"
		"  --only NAME          only the workloads whose name contains NAME\n"
		"                       (\"scale\" and \"explorer\" select those sections)\n"
		"\n"
		"exit status: 0 everything held (conform: everything agreed); 1 a violation\n"
		"(conform: a difference); 2 bad input or usage, or the kernel side could not\n"
		"run; 3 the scenario uses a statement this build does not implement yet.\n");
}

/* Several files: bad input wins, then unimplemented, then a violation. */
static int worst_of(int worst, int code)
{
	if (code == RL_EXIT_BAD_INPUT || worst == RL_EXIT_BAD_INPUT)
		return RL_EXIT_BAD_INPUT;
	return code > worst ? code : worst;
}

static int cmd_run(int argc, char **argv)
{
	const char **variants = calloc((size_t)argc, sizeof(*variants));
	const char **files = calloc((size_t)argc, sizeof(*files));
	int nr_variants = 0, nr_files = 0, flags = 0, worst = 0;

	if (!variants || !files)
		abort();
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--variant")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "rmaplab run: --variant needs KEY=VALUE\n");
				worst = 2;
				goto out;
			}
			variants[nr_variants++] = argv[++i];
		} else if (!strncmp(argv[i], "--variant=", 10)) {
			variants[nr_variants++] = argv[i] + 10;
		} else if (!strcmp(argv[i], "--json")) {
			flags |= RL_RUN_JSON;
		} else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			flags |= RL_RUN_QUIET;
		} else if (!strcmp(argv[i], "--trace")) {
			flags |= RL_RUN_TRACE;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "rmaplab run: unknown option '%s'\n", argv[i]);
			usage(stderr);
			worst = 2;
			goto out;
		} else {
			files[nr_files++] = argv[i];
		}
	}
	if (!nr_files) {
		fprintf(stderr, "rmaplab run: no scenario file given\n");
		usage(stderr);
		worst = 2;
		goto out;
	}
	for (int i = 0; i < nr_files; i++) {
		worst = worst_of(worst, rl_run_file(files[i], variants, nr_variants, flags, stdout,
						     stderr));
		fflush(stdout);
	}
out:
	free(variants);
	free(files);
	return worst;
}

/* "--opt=V" or "--opt V": the value, advancing *i; NULL if this is not --opt. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
	size_t n = strlen(opt);

	*missing = false;
	if (!strncmp(argv[*i], opt, n) && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (strcmp(argv[*i], opt))
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static bool parse_count(const char *s, unsigned long long *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static int cmd_conform(int argc, char **argv)
{
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	int nr_files = 0, flags = 0, worst = 0, mode = RL_FILES_SCENARIO;
	unsigned long long random_n = 0, seed = 1;
	bool random = false;
	const char *outdir = ".";

	if (!files)
		abort();
	for (int i = 0; i < argc; i++) {
		const char *v;
		bool missing;

		if ((v = opt_value(argc, argv, &i, "--files", &missing)) || missing) {
			if (missing || (strcmp(v, "disk") && strcmp(v, "memfd"))) {
				fprintf(stderr, "rmaplab conform: --files takes disk or memfd\n");
				worst = 2;
				goto out;
			}
			mode = !strcmp(v, "memfd") ? RL_FILES_MEMFD : RL_FILES_DISK;
		} else if ((v = opt_value(argc, argv, &i, "--random", &missing)) || missing) {
			if (missing || !parse_count(v, &random_n) || !random_n) {
				fprintf(stderr, "rmaplab conform: --random takes a count of scenarios "
					"(at least 1)\n");
				worst = 2;
				goto out;
			}
			random = true;
		} else if ((v = opt_value(argc, argv, &i, "--seed", &missing)) || missing) {
			if (missing || !parse_count(v, &seed)) {
				fprintf(stderr, "rmaplab conform: --seed takes a non-negative integer\n");
				worst = 2;
				goto out;
			}
		} else if ((v = opt_value(argc, argv, &i, "--out", &missing)) || missing) {
			if (missing) {
				fprintf(stderr, "rmaplab conform: --out takes a directory\n");
				worst = 2;
				goto out;
			}
			outdir = v;
		} else if (!strcmp(argv[i], "--json")) {
			flags |= RL_RUN_JSON;
		} else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			flags |= RL_CONFORM_VERBOSE;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "rmaplab conform: unknown option '%s'\n", argv[i]);
			usage(stderr);
			worst = 2;
			goto out;
		} else {
			files[nr_files++] = argv[i];
		}
	}
	if (random && nr_files) {
		fprintf(stderr, "rmaplab conform: give scenario files or --random N, not both\n");
		worst = 2;
		goto out;
	}
	if (random) {
		worst = rl_conform_random((unsigned long)random_n, seed, mode, outdir, flags, stdout,
					  stderr);
		goto out;
	}
	if (!nr_files) {
		fprintf(stderr, "rmaplab conform: no scenario file given (or --random N)\n");
		usage(stderr);
		worst = 2;
		goto out;
	}
	for (int i = 0; i < nr_files; i++) {
		worst = worst_of(worst, rl_conform_file(files[i], mode, flags, stdout, stderr));
		fflush(stdout);
	}
out:
	free(files);
	return worst;
}

static bool parse_double(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return *s && !errno && !*end && *v >= 0;
}

/* explore, replay and stress share their options. */
static int cmd_explore_like(const char *cmd, int argc, char **argv)
{
	const char **variants = calloc((size_t)argc + 1, sizeof(*variants));
	const char *file = NULL;
	struct rl_explore_opts o = { .strategy = "random", .seed = 1, .preemptions = 2, .depth = 3 };
	int code = 0;

	if (!variants)
		abort();
	o.variants = variants;
	for (int i = 0; i < argc; i++) {
		const char *v;
		bool missing;
		unsigned long long n;
		double d;

#define NEEDS(what) do { if (missing) { fprintf(stderr, "rmaplab %s: %s needs %s\n", cmd, argv[i], what); code = 2; goto out; } } while (0)
		if ((v = opt_value(argc, argv, &i, "--variant", &missing)) || missing) {
			NEEDS("KEY=VALUE");
			variants[o.nr_variants++] = v;
		} else if ((v = opt_value(argc, argv, &i, "--strategy", &missing)) || missing) {
			NEEDS("random, pct or dfs");
			if (strcmp(v, "random") && strcmp(v, "pct") && strcmp(v, "dfs")) {
				fprintf(stderr, "rmaplab %s: unknown strategy '%s' (random, pct, dfs)\n", cmd, v);
				code = 2;
				goto out;
			}
			o.strategy = v;
		} else if ((v = opt_value(argc, argv, &i, "--runs", &missing)) || missing) {
			NEEDS("a count");
			if (!parse_count(v, &n) || !n || n > 1000000000ULL) {
				fprintf(stderr, "rmaplab %s: --runs takes a count of at least 1\n", cmd);
				code = 2;
				goto out;
			}
			o.runs = (long)n;
		} else if ((v = opt_value(argc, argv, &i, "--seconds", &missing)) || missing) {
			NEEDS("a number of seconds");
			if (!parse_double(v, &d) || d <= 0) {
				fprintf(stderr, "rmaplab %s: --seconds takes a positive number\n", cmd);
				code = 2;
				goto out;
			}
			o.seconds = d;
		} else if ((v = opt_value(argc, argv, &i, "--seed", &missing)) || missing) {
			NEEDS("an integer");
			if (!parse_count(v, &n)) {
				fprintf(stderr, "rmaplab %s: --seed takes a non-negative integer\n", cmd);
				code = 2;
				goto out;
			}
			o.seed = n;
		} else if ((v = opt_value(argc, argv, &i, "--preemptions", &missing)) || missing) {
			NEEDS("a bound");
			if (!parse_count(v, &n) || n > 64) {
				fprintf(stderr, "rmaplab %s: --preemptions takes a bound from 0 to 64\n", cmd);
				code = 2;
				goto out;
			}
			o.preemptions = (int)n;
		} else if ((v = opt_value(argc, argv, &i, "--depth", &missing)) || missing) {
			NEEDS("a depth");
			if (!parse_count(v, &n) || n < 1 || n > 64) {
				fprintf(stderr, "rmaplab %s: --depth takes a depth from 1 to 64\n", cmd);
				code = 2;
				goto out;
			}
			o.depth = (int)n;
		} else if ((v = opt_value(argc, argv, &i, "--trail", &missing)) || missing) {
			NEEDS("a trail");
			o.trail = v;
		} else if ((v = opt_value(argc, argv, &i, "--svg", &missing)) || missing) {
			NEEDS("a file name");
			o.svg = v;
		} else if ((v = opt_value(argc, argv, &i, "--points", &missing)) || missing) {
			if (missing || strcmp(v, "atomics")) {
				fprintf(stderr, "rmaplab %s: --points takes atomics\n", cmd);
				code = 2;
				goto out;
			}
			o.flags |= RL_EXPLORE_ATOMICS;
		} else if (!strcmp(argv[i], "--coverage")) {
			o.flags |= RL_EXPLORE_COVERAGE;
		} else if (!strcmp(argv[i], "--check-determinism")) {
			o.flags |= RL_EXPLORE_DETERMINISM;
		} else if (!strcmp(argv[i], "--no-shrink")) {
			o.flags |= RL_EXPLORE_NO_SHRINK;
		} else if (!strcmp(argv[i], "--json")) {
			o.flags |= RL_RUN_JSON;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "rmaplab %s: unknown option '%s'\n", cmd, argv[i]);
			usage(stderr);
			code = 2;
			goto out;
		} else if (file) {
			fprintf(stderr, "rmaplab %s: one scenario file at a time ('%s' and '%s')\n", cmd,
				file, argv[i]);
			code = 2;
			goto out;
		} else {
			file = argv[i];
		}
#undef NEEDS
	}
	if (!file) {
		fprintf(stderr, "rmaplab %s: no scenario file given\n", cmd);
		usage(stderr);
		code = 2;
		goto out;
	}
	if (!strcmp(cmd, "replay") && !o.trail) {
		fprintf(stderr, "rmaplab replay: --trail T is required\n");
		code = 2;
		goto out;
	}
	if (strcmp(cmd, "replay") && o.trail) {
		fprintf(stderr, "rmaplab %s: --trail belongs to replay\n", cmd);
		code = 2;
		goto out;
	}
	if (!strcmp(cmd, "explore") && isatty(2))
		o.flags |= RL_EXPLORE_PROGRESS;
	if (!strcmp(cmd, "explore"))
		code = rl_explore_file(file, &o, stdout, stderr);
	else if (!strcmp(cmd, "replay"))
		code = rl_replay_file(file, &o, stdout, stderr);
	else
		code = rl_stress_file(file, &o, stdout, stderr);
out:
	free(variants);
	return code;
}

static bool parse_range(const char *v, int *lo, int *hi)
{
	char *end;
	long a = strtol(v, &end, 10), b = a;

	if (end == v || a < 0)
		return false;
	if (*end == '-') {
		const char *q = end + 1;

		b = strtol(q, &end, 10);
		if (end == q)
			return false;
	}
	if (*end || b < a || b > 64)
		return false;
	*lo = (int)a;
	*hi = (int)b;
	return true;
}

static bool parse_budget(const char *arg, struct rl_test_budget *b)
{
	char *copy = strdup(arg), *save = NULL, *item;
	bool ok = copy != NULL;

	for (item = copy ? strtok_r(copy, ",", &save) : NULL; ok && item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		unsigned long long n;
		double d;

		if (!eq) {
			ok = false;
			break;
		}
		*eq++ = '\0';
		if (!strcmp(item, "bounds"))
			ok = parse_range(eq, &b->min_bound, &b->max_bound);
		else if (!strcmp(item, "fail-max-bound"))
			ok = parse_count(eq, &n) && n <= 100 && (b->fail_max_bound = (int)n, true);
		else if (!strcmp(item, "depths"))
			ok = parse_range(eq, &b->min_depth, &b->max_depth) && b->min_depth >= 1;
		else if (!strcmp(item, "pct-runs"))
			ok = parse_count(eq, &n) && n <= 100000000ULL && (b->pct_runs = (long)n, true);
		else if (!strcmp(item, "seconds"))
			ok = parse_double(eq, &d) && d > 0 && (b->seconds = d, true);
		else
			ok = false;
	}
	free(copy);
	return ok;
}

static int cmd_test(int argc, char **argv)
{
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	struct rl_test_budget b = { .min_bound = 0, .max_bound = 3, .min_depth = 2, .max_depth = 5,
				    .pct_runs = 10000, .seconds = 60 };
	int nr_files = 0, worst = 0, passed = 0, failed = 0;

	if (!files)
		abort();
	for (int i = 0; i < argc; i++) {
		const char *v;
		bool missing;

		if ((v = opt_value(argc, argv, &i, "--budget", &missing)) || missing) {
			if (missing || !parse_budget(v, &b)) {
				fprintf(stderr, "rmaplab test: --budget takes KEY=VALUE,... with bounds=A-B, "
					"fail-max-bound=N, depths=A-B, pct-runs=N, seconds=T\n");
				worst = 2;
				goto out;
			}
		} else if ((v = opt_value(argc, argv, &i, "--points", &missing)) || missing) {
			if (missing || strcmp(v, "atomics")) {
				fprintf(stderr, "rmaplab test: --points takes atomics\n");
				worst = 2;
				goto out;
			}
			b.flags |= RL_EXPLORE_ATOMICS;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "rmaplab test: unknown option '%s'\n", argv[i]);
			usage(stderr);
			worst = 2;
			goto out;
		} else {
			files[nr_files++] = argv[i];
		}
	}
	if (!nr_files) {
		fprintf(stderr, "rmaplab test: no scenario file given\n");
		usage(stderr);
		worst = 2;
		goto out;
	}
	for (int i = 0; i < nr_files; i++) {
		worst = worst_of(worst, rl_test_file(files[i], &b, stdout, stderr, &passed, &failed));
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
out:
	free(files);
	return worst;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("rmaplab %s (models Linux 7.0)\n", rl_version());
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "conform"))
		return cmd_conform(argc - 2, argv + 2);
	if (!strcmp(argv[1], "explore") || !strcmp(argv[1], "replay") || !strcmp(argv[1], "stress"))
		return cmd_explore_like(argv[1], argc - 2, argv + 2);
	if (!strcmp(argv[1], "test"))
		return cmd_test(argc - 2, argv + 2);
	if (!strcmp(argv[1], "bench"))
		return rl_bench_main(argc - 2, argv + 2, stdout, stderr);
	fprintf(stderr, "rmaplab: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
