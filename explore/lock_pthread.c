/*
 * explore/lock_pthread.c - the lock layer's pthread backend (rmaplab
 * stress); see the section comment below
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "explore/lock.h"
#include "explore/lock_internal.h"
#include "explore/violation.h"
#include "lib/util.h"

/* ================================================================== */
/* pthread backend (rmaplab stress)                                    */
/*                                                                     */
/* With the backend on, the scenario's threads are real pthreads.  The */
/* bookkeeping above (lock owner and readers, held lists, per-class    */
/* counts, lockdep dependencies, waiters and their tickets) is then    */
/* shared between them, so every public function of this file runs     */
/* under one mutex (BK_GUARD), and a contended acquire sleeps on a     */
/* condition variable instead of calling the explorer's block hook.    */
/* The hand-off is the explorer's: a release grants the lock to the    */
/* first waiters by ticket (FIFO, readers at the head share it, a      */
/* waiting writer keeps later readers out), and the waiter wakes up    */
/* holding it.  Off (the explorer, rmaplab run) nothing here runs but  */
/* the test of one flag per lock operation.                            */
/* ================================================================== */

bool ex_lock_pthreads_on;		/* read by ex_lock_is_locked() */
static pthread_mutex_t bk_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bk_cond = PTHREAD_COND_INITIALIZER;
static _Thread_local int bk_depth;	/* this thread holds bk_mutex (nesting depth) */
static _Thread_local const void *bk_acquired;	/* the lock this operation took (TSan) */
static int bk_running;			/* threads in their sections (0: one, the caller) */
static int bk_waiting;			/* threads sleeping in bk_contended */
static bool bk_stopping;		/* ex_lock_pthreads_stop() was called */

/*
 * ThreadSanitizer must see the modelled locks, not bk_mutex: a model
 * access is ordered after another thread's only through a release and a
 * later acquire of the same modelled lock (or the model's own atomics),
 * as in the kernel.  So bk_mutex, the condition variable and the
 * bookkeeping under them are hidden from it (ignore sync, reads and
 * writes), and each operation tells it of the release (before taking
 * bk_mutex) or the acquire (after dropping it) of the modelled lock.
 * Without that, every lock operation of every thread would order
 * everything, and TSan would miss the model's races.
 */
#if defined(__SANITIZE_THREAD__)
#define BK_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BK_TSAN 1
#endif
#endif

#ifdef BK_TSAN
void AnnotateIgnoreSyncBegin(const char *file, int line);
void AnnotateIgnoreSyncEnd(const char *file, int line);
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);

static void bk_hide_begin(void)
{
	AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
	AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
	AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
}

static void bk_hide_end(void)
{
	AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
	AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
	AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
}

static void bk_tsan_acquire(const void *lock)
{
	__tsan_acquire((void *)(uintptr_t)lock);
}

static void bk_tsan_release(const void *lock)
{
	__tsan_release((void *)(uintptr_t)lock);
}
#else
static void bk_hide_begin(void) { }
static void bk_hide_end(void) { }
static void bk_tsan_acquire(const void *lock) { (void)lock; }
static void bk_tsan_release(const void *lock) { (void)lock; }
#endif

void ex_lock_use_pthreads(bool on)
{
	ex_lock_pthreads_on = on;
	bk_running = 0;
	bk_waiting = 0;
	bk_stopping = false;
}

struct bk_guard ex_bk_enter(void)
{
	if (__builtin_expect(!ex_lock_pthreads_on, 1))
		return (struct bk_guard){ false };
	if (bk_depth++ == 0) {
		bk_hide_begin();
		pthread_mutex_lock(&bk_mutex);
	}
	return (struct bk_guard){ true };
}

struct bk_guard ex_bk_enter_release(const void *lock)
{
	if (__builtin_expect(!ex_lock_pthreads_on, 1))
		return (struct bk_guard){ false };
	if (bk_depth == 0)
		bk_tsan_release(lock);
	return ex_bk_enter();
}

void ex_bk_note_acquire(const void *lock)
{
	if (ex_lock_pthreads_on)
		bk_acquired = lock;
}

/* Drop bk_mutex (depth 0 now); then tell TSan of the acquire, if any. */
static void bk_exit(void)
{
	const void *acquired = bk_acquired;

	bk_acquired = NULL;
	if (bk_waiting)		/* a release may have handed a lock over */
		pthread_cond_broadcast(&bk_cond);
	pthread_mutex_unlock(&bk_mutex);
	bk_hide_end();
	if (acquired)
		bk_tsan_acquire(acquired);
}

void ex_bk_leave(struct bk_guard *g)
{
	if (__builtin_expect(!g->on, 1))
		return;
	if (--bk_depth == 0)
		bk_exit();
}

void ex_lock_unwind(void)
{
	if (bk_depth) {
		bk_depth = 0;
		bk_acquired = NULL;
		bk_exit();
	}
}

void ex_lock_pthreads_begin(int nr_threads)
{
	BK_GUARD();

	bk_running = nr_threads;
	bk_waiting = 0;
	bk_stopping = false;
}

void ex_lock_pthreads_thread_exit(void)
{
	BK_GUARD();

	if (bk_running > 0)
		bk_running--;
	pthread_cond_broadcast(&bk_cond);	/* the others may all be asleep now */
}

void ex_lock_pthreads_stop(void)
{
	BK_GUARD();

	bk_stopping = true;
	pthread_cond_broadcast(&bk_cond);
}

bool ex_lock_is_locked_mt(const struct ex_lock *l)
{
	BK_GUARD();

	return l->owner || l->readers;
}

/* Threads asleep on a lock that nobody has handed over yet. */
static int bk_nr_blocked(const struct ex_thread *me)
{
	bool listed = false;
	int n = 0;

	for (int i = 0; i < ex_nr_all_threads; i++) {
		if (ex_all_threads[i]->wait_lock)
			n++;
		if (ex_all_threads[i] == me)
			listed = true;
	}
	return listed ? n : n + 1;	/* teardown, say, is in no list */
}

/*
 * contended() with the backend on, @t queued on its lock: sleep until a release hands the lock
 * over (wait_lock cleared by grant() or wake_bit()).  Every running
 * thread asleep is a deadlock; a stop request leaves the model.  Called
 * with bk_mutex held; returns false (nothing done) when the backend is off.
 */
bool ex_bk_contended(struct ex_thread *t, const struct ex_lock_class *class,
		     enum ex_lock_mode mode, const char *fn)
{
	if (__builtin_expect(!ex_lock_pthreads_on, 1))
		return false;
	const void *lock = t->wait_lock;

	bk_waiting++;
	while (t->wait_lock) {
		if (bk_stopping) {
			t->wait_lock = NULL;
			bk_waiting--;
			ex_fatal(EX_DEADLOCK, ex_held_dump(t), NULL,
				 "%s: %s gave up waiting for %s: another thread stopped the run",
				 t->name, fn, class->name);
		}
		if (bk_nr_blocked(t) >= (bk_running > 0 ? bk_running : 1)) {
			char *dump = ex_held_dump(t);

			t->wait_lock = NULL;
			bk_waiting--;
			ex_fatal(EX_DEADLOCK, dump, NULL,
				 "%s: %s waits for %s (%s), and every running thread is blocked",
				 t->name, fn, class->name, mode == EX_SHARED ? "read" : "write");
		}
		pthread_cond_wait(&bk_cond, &bk_mutex);
	}
	bk_waiting--;
	bk_acquired = lock;	/* handed over: ours now (or free, for a wait_only) */
	return true;
}
