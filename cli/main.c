/*
 * cli/main.c - the rmaplab command
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/rmaplab.h"
#include "mm/variant.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rmaplab run FILE... [--variant KEY=VALUE]... [--json] [--quiet] [--trace]\n"
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
		"exit status: 0 everything held; 1 a violation; 2 bad input or usage;\n"
		"3 the scenario uses a statement this build does not implement yet.\n");
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
		int code = rl_run_file(files[i], variants, nr_variants, flags, stdout, stderr);

		fflush(stdout);
		/* bad input wins, then unimplemented, then a violation */
		if (code == RL_EXIT_BAD_INPUT || worst == RL_EXIT_BAD_INPUT)
			worst = RL_EXIT_BAD_INPUT;
		else if (code > worst)
			worst = code;
	}
out:
	free(variants);
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
	fprintf(stderr, "rmaplab: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
