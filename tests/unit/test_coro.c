/*
 * tests/unit/test_coro.c - the explorer's coroutines: switching preserves
 * each side's state, stacks are separate, a stack can be restarted, and
 * the cost of one switch (logged, never asserted: timing belongs to
 * benchmarks; `rltest --filter coro -v` prints it)
 */
#include <stdint.h>
#include <time.h>

#include "explore/coro.h"
#include "tests/test.h"

static struct ex_coro main_co, a_co, b_co;
static int trace[16], nr_trace;
static long counter;
static long switches;

static void a_fn(void *arg)
{
	long local = (long)(intptr_t)arg;	/* lives on a's stack across switches */

	for (int i = 0; i < 3; i++) {
		trace[nr_trace++] = (int)(local + i);
		ex_coro_switch(&a_co, &b_co);
	}
	for (;;)
		ex_coro_switch(&a_co, &main_co);
}

static void b_fn(void *arg)
{
	volatile char big[8192];	/* its own stack: a's locals must survive this */

	big[0] = (char)(intptr_t)arg;
	for (int i = 0; i < 3; i++) {
		trace[nr_trace++] = 100 + i + big[0];
		ex_coro_switch(&b_co, &a_co);
	}
	for (;;)
		ex_coro_switch(&b_co, &main_co);
}

TEST(coro_interleaves_and_keeps_locals)
{
	static const int want[] = { 10, 100, 11, 101, 12, 102 };

	nr_trace = 0;
	ex_coro_main(&main_co);
	ex_coro_start(&a_co, 64 * 1024, a_fn, (void *)(intptr_t)10);
	ex_coro_start(&b_co, 64 * 1024, b_fn, (void *)(intptr_t)0);
	ex_coro_switch(&main_co, &a_co);	/* a, b, a, b, a, b, then a returns to main */
	T_EQ(nr_trace, 6);
	for (int i = 0; i < 6; i++)
		T_EQ(trace[i], want[i]);
	/* restart both on their old stacks (a run abandoned mid-way is reused so) */
	nr_trace = 0;
	ex_coro_start(&a_co, 64 * 1024, a_fn, (void *)(intptr_t)10);
	ex_coro_start(&b_co, 64 * 1024, b_fn, (void *)(intptr_t)0);
	ex_coro_switch(&main_co, &a_co);
	T_EQ(nr_trace, 6);
	T_EQ(trace[5], 102);
	ex_coro_free(&a_co);
	ex_coro_free(&b_co);
}

static void ping(void *arg)
{
	(void)arg;
	for (;;) {
		counter++;
		ex_coro_switch(&a_co, &main_co);
	}
}

TEST(coro_switch_cost)
{
	long n = t_param("coro_switches", 1000000);
	struct timespec t0, t1;
	double ns;

	counter = 0;
	ex_coro_main(&main_co);
	ex_coro_start(&a_co, 64 * 1024, ping, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		ex_coro_switch(&main_co, &a_co);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	switches = 2 * n;
	T_EQ(counter, n);
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
	     (double)switches;
	t_log("coro: %ld context switches, %.1f ns each", switches, ns);
	ex_coro_free(&a_co);
}
