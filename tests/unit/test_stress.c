/*
 * tests/unit/test_stress.c - `rmaplab stress` (rl_stress_file) and the lock
 * layer's pthread backend: real threads, repeated runs, the summary line,
 * a wrong == caught, mutual exclusion and deadlock detection on pthreads.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/lock.h"
#include "explore/violation.h"
#include "include/rmaplab.h"
#include "tests/test.h"

/* rl_stress_file(@path) with @runs runs; its output (stdout and stderr) into @buf. */
static int stress(const char *path, long runs, char *buf, size_t size)
{
	struct rl_explore_opts o = { .runs = runs, .seed = 1 };
	FILE *out = tmpfile();
	size_t n;
	int code;

	T_ASSERT(out);
	code = rl_stress_file(path, &o, out, out);
	rewind(out);
	n = fread(buf, 1, size - 1, out);
	buf[n] = '\0';
	fclose(out);
	return code;
}

TEST(stress_parallel_faults_pass)
{
	static char buf[16384];
	const char *want = "stress tests/stress/parallel-faults.scn: 5 runs, 3 threads, no violation (";

	T_EQ(stress("tests/stress/parallel-faults.scn", 5, buf, sizeof(buf)), RL_EXIT_OK);
	if (!strstr(buf, want))
		t_fail_noreturn(__FILE__, __LINE__, "no summary line '%s...' in:\n%s", want, buf);
	T_ASSERT(strstr(buf, " runs/s)\n"));
}

/* Every shipped stress scenario holds, a few runs each. */
TEST(stress_shipped_scenarios_pass)
{
	static const char *const files[] = {
		"tests/stress/fork-vs-write.scn",
		"tests/stress/read-vs-munmap.scn",
		"tests/stress/truncate-vs-read.scn",
	};
	static char buf[16384];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int code = stress(files[i], 5, buf, sizeof(buf));

		if (code != RL_EXIT_OK)
			t_fail_noreturn(__FILE__, __LINE__, "%s: exit %d:\n%s", files[i], code, buf);
		T_ASSERT(strstr(buf, "no violation"));
	}
}

/* ...and they hold as `rmaplab run` runs them too (threads in file order). */
TEST(stress_shipped_scenarios_run_sequentially)
{
	static const struct {
		const char *path;
		int code;
	} files[] = {
		{ "tests/stress/fork-vs-write.scn", RL_EXIT_OK },
		{ "tests/stress/parallel-faults.scn", RL_EXIT_OK },
		{ "tests/stress/read-vs-munmap.scn", RL_EXIT_OK },
		{ "tests/stress/truncate-vs-read.scn", RL_EXIT_OK },
		{ "tests/stress/fail/wrong-expect.scn", RL_EXIT_VIOLATION },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *out = tmpfile();

		T_ASSERT(out);
		T_EQ(rl_run_file(files[i].path, NULL, 0, RL_RUN_QUIET, out, out), files[i].code);
		fclose(out);
	}
}

TEST(stress_wrong_expect_is_a_violation)
{
	static char buf[16384];

	T_EQ(stress("tests/stress/fail/wrong-expect.scn", 5, buf, sizeof(buf)), RL_EXIT_VIOLATION);
	if (!strstr(buf, "VIOLATION expect: read P a+4K 7 == \"written\""))
		t_fail_noreturn(__FILE__, __LINE__, "no expect violation in:\n%s", buf);
	T_ASSERT(strstr(buf, "thread T1, statement: read P a+4K 7 == \"written\""));
	T_ASSERT(strstr(buf, "violation expect in run 1"));
}

TEST(stress_bad_input)
{
	static char buf[4096];
	struct rl_explore_opts o = { .runs = 1 };
	const char *variant = "no_such_key=1";
	FILE *out;

	T_EQ(stress("tests/stress/no-such-file.scn", 1, buf, sizeof(buf)), RL_EXIT_BAD_INPUT);
	T_EQ(stress("tests/scenarios/bad/exp-trailing.scn", 1, buf, sizeof(buf)), RL_EXIT_BAD_INPUT);
	T_ASSERT(strstr(buf, "tests/scenarios/bad/exp-trailing.scn:"));
	o.variants = &variant;
	o.nr_variants = 1;
	out = tmpfile();
	T_ASSERT(out);
	T_EQ(rl_stress_file("tests/stress/parallel-faults.scn", &o, out, out), RL_EXIT_BAD_INPUT);
	fclose(out);
}

/* ------------------------------------------------------------------ */
/* the pthread backend of the lock layer, without the model */

struct bk_test {
	struct ex_lock lock;
	long counter;			/* only under lock (plain: TSan would see a race) */
	int readers_in, max_readers_in;	/* atomics */
	int iterations;
};

struct bk_thread {
	struct bk_test *bt;
	struct ex_thread t;
	struct ex_sink sink;
	bool reader;
	enum ex_kind found;
};

static void bk_body(void *arg)
{
	struct bk_thread *th = arg;
	struct bk_test *bt = th->bt;

	for (int i = 0; i < bt->iterations; i++) {
		if (th->reader) {
			int in;

			ex_lock_acquire(&bt->lock, EX_SHARED, 0, "bk_body");
			in = __atomic_add_fetch(&bt->readers_in, 1, __ATOMIC_SEQ_CST);
			if (in > __atomic_load_n(&bt->max_readers_in, __ATOMIC_SEQ_CST))
				__atomic_store_n(&bt->max_readers_in, in, __ATOMIC_SEQ_CST);
			(void)__atomic_load_n(&bt->counter, __ATOMIC_RELAXED);
			__atomic_sub_fetch(&bt->readers_in, 1, __ATOMIC_SEQ_CST);
			ex_lock_release(&bt->lock, EX_SHARED, "bk_body");
		} else {
			ex_lock_acquire(&bt->lock, EX_EXCL, 0, "bk_body");
			if (__atomic_load_n(&bt->readers_in, __ATOMIC_SEQ_CST))
				ex_fatal(EX_BUG, NULL, NULL, "a writer inside with readers");
			bt->counter++;
			ex_lock_release(&bt->lock, EX_EXCL, "bk_body");
		}
	}
}

static void *bk_main(void *arg)
{
	struct bk_thread *th = arg;

	ex_sink = &th->sink;
	ex_set_current(&th->t);
	if (!ex_protected_call(&th->sink, bk_body, th))
		th->found = th->sink.first.kind;
	ex_lock_pthreads_thread_exit();
	ex_set_current(NULL);
	ex_sink = NULL;
	return NULL;
}

static void bk_run(struct bk_thread *ths, int n)
{
	struct ex_thread *tptrs[8];
	pthread_t tid[8];

	T_ASSERT(n <= 8);
	for (int i = 0; i < n; i++)
		tptrs[i] = &ths[i].t;
	ex_lockdep_reset();
	ex_lock_use_pthreads(true);
	ex_lock_set_threads(tptrs, n);
	ex_lock_pthreads_begin(n);
	for (int i = 0; i < n; i++)
		T_EQ(pthread_create(&tid[i], NULL, bk_main, &ths[i]), 0);
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	ex_lock_set_threads(NULL, 0);
	ex_lock_use_pthreads(false);
}

static void bk_thread_init(struct bk_thread *th, struct bk_test *bt, int id, bool reader)
{
	static const char *const names[] = { "A", "B", "C", "D", "E", "F", "G", "H" };

	memset(th, 0, sizeof(*th));
	th->bt = bt;
	th->reader = reader;
	ex_thread_init(&th->t, id, names[id]);
	ex_sink_init(&th->sink);
}

TEST(stress_lock_backend_excludes_writers)
{
	struct bk_test bt = { .iterations = 2000 };
	struct bk_thread ths[4];

	ex_lock_init(&bt.lock, &ex_class_mmap_lock);
	for (int i = 0; i < 4; i++)
		bk_thread_init(&ths[i], &bt, i, i >= 2);	/* two writers, two readers */
	bk_run(ths, 4);
	for (int i = 0; i < 4; i++) {
		T_EQ(ths[i].found, EX_KIND_NONE);
		T_EQ(ths[i].t.nr_held, 0);
		ex_sink_reset(&ths[i].sink);
	}
	T_EQ(bt.counter, 2 * 2000);
	T_ASSERT(!ex_lock_is_locked(&bt.lock));
}

/* A thread that sleeps while every other running thread sleeps (or is gone) is a deadlock. */
static void *holder_main(void *arg)
{
	struct bk_thread *th = arg;

	ex_sink = &th->sink;
	ex_set_current(&th->t);
	ex_lock_acquire(&th->bt->lock, EX_EXCL, 0, "holder_main");	/* and never released */
	ex_lock_pthreads_thread_exit();
	ex_set_current(NULL);
	ex_sink = NULL;
	return NULL;
}

TEST(stress_lock_backend_reports_deadlock)
{
	struct bk_test bt = { .iterations = 1 };
	struct bk_thread ths[2];
	struct ex_thread *tptrs[2] = { &ths[0].t, &ths[1].t };
	pthread_t holder, waiter;

	ex_lock_init(&bt.lock, &ex_class_i_rwsem);
	bk_thread_init(&ths[0], &bt, 0, false);
	bk_thread_init(&ths[1], &bt, 1, false);
	ex_lockdep_reset();
	ex_lock_use_pthreads(true);
	ex_lock_set_threads(tptrs, 2);
	ex_lock_pthreads_begin(2);
	T_EQ(pthread_create(&holder, NULL, holder_main, &ths[0]), 0);
	pthread_join(holder, NULL);
	T_EQ(pthread_create(&waiter, NULL, bk_main, &ths[1]), 0);
	pthread_join(waiter, NULL);
	T_EQ(ths[1].found, EX_DEADLOCK);
	T_ASSERT(strstr(ths[1].sink.first.message, "every running thread is blocked"));
	ex_thread_forget_locks(&ths[0].t);
	ex_thread_forget_locks(&ths[1].t);
	ex_lock_set_threads(NULL, 0);
	ex_lock_use_pthreads(false);
	ex_sink_reset(&ths[0].sink);
	ex_sink_reset(&ths[1].sink);
}

/* A stop request (another thread's violation) makes a thread sleeping on a lock leave the model. */
static void *stopper_main(void *arg)
{
	struct bk_thread *th = arg;

	ex_sink = &th->sink;
	ex_set_current(&th->t);
	ex_lock_acquire(&th->bt->lock, EX_EXCL, 0, "stopper_main");
	__atomic_store_n(&th->bt->iterations, 1, __ATOMIC_SEQ_CST);	/* "I hold it" */
	for (int i = 0; i < 50; i++)	/* let the other thread fall asleep on the lock */
		sched_yield();
	ex_lock_pthreads_stop();
	ex_lock_pthreads_thread_exit();
	ex_set_current(NULL);
	ex_sink = NULL;
	return NULL;
}

TEST(stress_lock_backend_stop_wakes_waiters)
{
	struct bk_test bt = { .iterations = 0 };
	struct bk_thread ths[2];
	struct ex_thread *tptrs[2] = { &ths[0].t, &ths[1].t };
	pthread_t stopper, waiter;

	ex_lock_init(&bt.lock, &ex_class_i_rwsem);
	bk_thread_init(&ths[0], &bt, 0, false);
	bk_thread_init(&ths[1], &bt, 1, false);
	ex_lockdep_reset();
	ex_lock_use_pthreads(true);
	ex_lock_set_threads(tptrs, 2);
	ex_lock_pthreads_begin(2);
	T_EQ(pthread_create(&stopper, NULL, stopper_main, &ths[0]), 0);
	while (!__atomic_load_n(&bt.iterations, __ATOMIC_SEQ_CST))
		sched_yield();
	T_EQ(pthread_create(&waiter, NULL, bk_main, &ths[1]), 0);	/* one acquire: sleeps */
	pthread_join(stopper, NULL);
	pthread_join(waiter, NULL);
	T_EQ(ths[1].found, EX_DEADLOCK);
	T_ASSERT(strstr(ths[1].sink.first.message, "gave up waiting") ||
		 strstr(ths[1].sink.first.message, "every running thread is blocked"));
	T_EQ(ths[1].t.nr_held, 0);
	ex_thread_forget_locks(&ths[0].t);
	ex_lock_set_threads(NULL, 0);
	ex_lock_use_pthreads(false);
	ex_sink_reset(&ths[0].sink);
	ex_sink_reset(&ths[1].sink);
}
