/*
 * cli/main.c - the rmaplab command
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/rmaplab.h"
#include "mm/variant.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rmaplab run FILE... [--variant KEY=VALUE]... [--json] [--quiet] [--trace]\n"
		"       rmaplab conform FILE... [--files=disk|memfd] [--json] [--verbose]\n"
		"       rmaplab conform --random N [--seed S] [--files=disk|memfd] [--out DIR]\n"
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
	fprintf(stderr, "rmaplab: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
