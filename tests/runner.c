/*
 * tests/runner.c - runs every registered test; last line "N passed, N failed"
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "tests/test.h"

static struct t_test *tests_head, **tests_tail = &tests_head;
static int nr_tests;

static jmp_buf t_jmp;
static int t_failures;		/* failures in the running test */
static uint64_t opt_seed = 1;
static bool opt_long, opt_verbose;
static const char **opt_filters;
static int nr_filters;
static char **opt_params;
static int nr_params;

void t_register(struct t_test *t)
{
	t->next = NULL;
	*tests_tail = t;
	tests_tail = &t->next;
	nr_tests++;
}

void t_register_dynamic(const char *name, void (*fn)(void *arg), void *arg)
{
	struct t_test *t = xcalloc(1, sizeof(*t));

	t->name = xstrdup(name);
	t->fn = fn;
	t->arg = arg;
	t->file = "(dynamic)";
	t_register(t);
}

static void t_vfail(const char *file, int line, const char *fmt, va_list ap)
{
	fprintf(stdout, "    %s:%d: ", file, line);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	t_failures++;
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vfail(file, line, fmt, ap);
	va_end(ap);
}

void t_fail_noreturn(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vfail(file, line, fmt, ap);
	va_end(ap);
	longjmp(t_jmp, 1);
}

void t_log(const char *fmt, ...)
{
	va_list ap;

	fputs("    ", stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

uint64_t t_seed(void) { return opt_seed; }
bool t_long(void) { return opt_long; }
bool t_verbose(void) { return opt_verbose; }

long long t_param(const char *name, long long def)
{
	size_t n = strlen(name);

	for (int i = 0; i < nr_params; i++)
		if (!strncmp(opt_params[i], name, n) && opt_params[i][n] == '=')
			return strtoll(opt_params[i] + n + 1, NULL, 0);
	return def;
}

static bool selected(const struct t_test *t)
{
	if (!nr_filters)
		return true;
	for (int i = 0; i < nr_filters; i++)
		if (strstr(t->name, opt_filters[i]))
			return true;
	return false;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rltest [--filter SUB]... [--seed N] [--long] [--param K=V]... [--list] [-v]\n"
		"  --filter SUB  run only tests whose name contains SUB (may repeat)\n"
		"  --seed N      seed for randomised tests (default 1)\n"
		"  --long        run the long versions of randomised tests\n"
		"  --param K=V   set a test knob (for example sequences=10000)\n"
		"  --list        list the tests and exit\n"
		"  -v            verbose output from tests\n");
}

/* Provided by tests/scenario_tests.c: registers every .scn file as a test. */
void t_register_scenario_tests(void);

int main(int argc, char **argv)
{
	bool list = false;
	volatile int passed = 0, failed = 0;

	opt_filters = xcalloc((size_t)argc, sizeof(*opt_filters));
	opt_params = xcalloc((size_t)argc, sizeof(*opt_params));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--filter") && i + 1 < argc) {
			opt_filters[nr_filters++] = argv[++i];
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			opt_seed = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--param") && i + 1 < argc) {
			opt_params[nr_params++] = argv[++i];
		} else if (!strcmp(argv[i], "--long")) {
			opt_long = true;
		} else if (!strcmp(argv[i], "--list")) {
			list = true;
		} else if (!strcmp(argv[i], "-v")) {
			opt_verbose = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "rltest: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}

	t_register_scenario_tests();

	if (list) {
		for (struct t_test *t = tests_head; t; t = t->next)
			if (selected(t))
				printf("%s\n", t->name);
		return 0;
	}

	for (struct t_test *t = tests_head; t; t = t->next) {
		volatile double start;

		if (!selected(t))
			continue;
		t_failures = 0;
		start = now_ms();
		if (!setjmp(t_jmp))
			t->fn(t->arg);
		if (t_failures) {
			printf("FAIL %s (%.0f ms)\n", t->name, now_ms() - start);
			failed++;
		} else {
			printf("ok   %s (%.0f ms)\n", t->name, now_ms() - start);
			passed++;
		}
		fflush(stdout);
	}
	free(opt_filters);
	free(opt_params);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
