/*
 * explore/lock.h - the lock layer every modelled lock goes through
 *
 * The model (mm/) takes the kernel's locks through the kernel's names
 * (mm/locking.h maps spin_lock, down_read, folio_lock, ... onto this
 * layer).  Each acquire and release is a point where the explorer may
 * switch threads; each lock has a class with a rank in the documented
 * order (the comment at the top of mm/rmap.c, kept in step with
 * ex_lock_order[] by a test), and every blocking acquire is checked
 * against the locks the thread already holds.
 *
 * In run mode (one thread at a time, each statement to completion) no
 * lock is ever contended: finding one held means the model forgot to
 * release it, which is reported as a deadlock.  The explorer (issue 4)
 * installs hooks that turn acquire/release into schedule points and
 * contention into blocking.
 *
 * Prefix: ex_ (explore/).
 */
#ifndef RMAPLAB_EXPLORE_LOCK_H
#define RMAPLAB_EXPLORE_LOCK_H

#include <stdbool.h>

enum ex_lock_mode {
	EX_SHARED,		/* down_read, read side */
	EX_EXCL,		/* down_write, spin_lock, folio_lock */
};

/*
 * A lock class: all locks of one kind (every mm's mmap_lock is one class).
 * rank is the position in the documented order, outermost first.
 */
struct ex_lock_class {
	const char *name;
	int rank;
};

extern const struct ex_lock_class ex_class_i_rwsem;
extern const struct ex_lock_class ex_class_mmap_lock;
extern const struct ex_lock_class ex_class_invalidate_lock;
extern const struct ex_lock_class ex_class_folio_lock;
extern const struct ex_lock_class ex_class_i_mmap_rwsem;
extern const struct ex_lock_class ex_class_anon_vma;
extern const struct ex_lock_class ex_class_ptl;		/* split PTE locks and mm->page_table_lock */
extern const struct ex_lock_class ex_class_swap_lock;
extern const struct ex_lock_class ex_class_i_pages;
extern const struct ex_lock_class ex_class_lru_lock;

/* The documented order as data, outermost first (NULL-terminated). */
extern const struct ex_lock_class *const ex_lock_order[];

/*
 * A lock: rwsem, spinlock or mutex.  The folio lock is a bit in
 * folio->flags and uses the ex_bit_* calls with the same bookkeeping.
 */
struct ex_lock {
	const struct ex_lock_class *class;
	struct ex_thread *owner;	/* exclusive holder, or NULL */
	int readers;			/* shared holders */
};

#define EX_MAX_HELD 48

struct ex_held {
	const void *lock;		/* struct ex_lock *, or the word of a bit lock */
	const struct ex_lock_class *class;
	enum ex_lock_mode mode;
	int subclass;			/* lockdep subclass: 0, or SINGLE_DEPTH_NESTING */
	bool trylock;			/* taken with a trylock (never a dependency) */
	const char *fn;			/* the model function that took it */
};

/* A thread of the scenario (init, each thread section, final). */
struct ex_thread {
	int id;
	const char *name;
	struct ex_held held[EX_MAX_HELD];
	int nr_held;
	const char *stmt;		/* the statement being run (for traces) */
	const char *where;		/* its "file:line" */
	/* explorer: what the thread sleeps on; wait_lock == NULL: it can run */
	const void *wait_lock;
	const struct ex_lock_class *wait_class;
	enum ex_lock_mode wait_mode;
	int wait_subclass;
	bool wait_only;			/* folio_wait_locked: wakes when free, takes nothing */
	unsigned long wait_mask;	/* bit locks: the bit; 0 for struct ex_lock */
	unsigned long wait_ticket;	/* FIFO order among the waiters of a lock */
	const char *wait_fn;
	/* task state the model keeps per thread */
	bool alloc_failed;		/* an allocation failed in this statement */
	/* for traces: the VMA a walker or mover is working on (see ex_trace_ctx_set) */
	const char *ctx_fn;
	unsigned long ctx_addr;
};

/* The thread running on this CPU: thread-local (the explorer's coroutines share one). */
extern _Thread_local struct ex_thread *ex_current;

/*
 * Hooks the explorer installs; all NULL in run mode.  point() is called at
 * every schedule point (before an acquire, after a release, at
 * ex_sched_point); block() when the current thread cannot take a lock and
 * must wait for another thread to release it.
 */
enum ex_event {
	EX_EV_ACQUIRE,		/* about to take a lock (blocking or trylock) */
	EX_EV_RELEASE,		/* has just dropped a lock */
	EX_EV_POINT,		/* sched_point() or cond_resched() */
	EX_EV_WAIT,		/* about to wait for a lock without taking it */
	EX_EV_DOWNGRADE,	/* has just downgraded a write lock to read */
	EX_EV_ATOMIC,		/* an atomic refcount or mapcount update (--points=atomics) */
	EX_EV_STMT,		/* about to start a statement */
	EX_EV_BLOCK,		/* sleeps on a lock (the step ends without a choice) */
	EX_EV_DONE,		/* the thread finished */
	EX_NR_EVENTS
};

const char *ex_event_name(enum ex_event ev);	/* "acquire", "release", ... */

struct ex_hooks {
	void (*point)(enum ex_event ev, const struct ex_lock_class *class, const void *lock,
		      const char *what);
	void (*block)(const struct ex_lock_class *class, const void *lock, enum ex_lock_mode mode,
		      const char *fn);
};

extern const struct ex_hooks *ex_hooks;

void ex_lock_init(struct ex_lock *l, const struct ex_lock_class *class);

void ex_lock_acquire(struct ex_lock *l, enum ex_lock_mode mode, int subclass, const char *fn);
bool ex_lock_tryacquire(struct ex_lock *l, enum ex_lock_mode mode, const char *fn);
void ex_lock_release(struct ex_lock *l, enum ex_lock_mode mode, const char *fn);
/* down_write -> down_read without letting a writer in between */
void ex_lock_downgrade(struct ex_lock *l, const char *fn);

/* Bit locks (PG_locked): @word holds bit @bit. */
void ex_bit_lock(unsigned long *word, int bit, const struct ex_lock_class *class,
		 int subclass, const char *fn);
bool ex_bit_trylock(unsigned long *word, int bit, const struct ex_lock_class *class,
		    const char *fn);
void ex_bit_unlock(unsigned long *word, int bit, const struct ex_lock_class *class,
		   const char *fn);
/* Sleep until the bit is clear, without taking it (folio_wait_locked). */
void ex_bit_wait(unsigned long *word, int bit, const struct ex_lock_class *class,
		 const char *fn);

/*
 * The explorer's threads, so that a release can hand the lock to the first
 * of its waiters (FIFO, readers at the head share it) and deadlocks can be
 * traced.  NULL, 0 in run mode.
 */
void ex_lock_set_threads(struct ex_thread *const *threads, int n);

/*
 * Lock dependencies observed in the current run (lockdep style): forget
 * them, and the per-class counts of held locks.  Called at the start of
 * every run.
 */
void ex_lockdep_reset(void);

/* How many locks of @class are held right now, by any thread. */
int ex_class_held_count(const struct ex_lock_class *class);

/* Does @t hold @lock? */
bool ex_lock_held_by_thread(struct ex_thread *t, const void *lock);

/* Every thread that holds @lock (into @out, at most @max); returns the count. */
int ex_lock_holders(const void *lock, struct ex_thread **out, int max);

/* Atomic updates are schedule points when this is set (--points=atomics). */
extern bool ex_points_atomics;
/*
 * The lock-order checks (documented ranks, and the order observed in the
 * run, lockdep style).  On by default; `rmaplab bench` turns them off for
 * the model side, as a production kernel runs without lockdep.
 */
extern bool ex_lockdep;
void ex_atomic_point(const char *what);

/* Is @lock held by the current thread (in @mode, or any mode if mode < 0)? */
bool ex_lock_held_by_me(const void *lock, int mode);
/* Is @l held by anyone? */
extern bool ex_lock_pthreads_on;
bool ex_lock_is_locked_mt(const struct ex_lock *l);
static inline bool ex_lock_is_locked(const struct ex_lock *l)
{
	if (ex_lock_pthreads_on)
		return ex_lock_is_locked_mt(l);
	return l->owner || l->readers;
}

/* A named race window where the kernel holds no lock. */
void ex_sched_point(const char *name);

/* A scenario thread is about to start its next statement (@text). */
void ex_stmt_point(const char *text);

/* cond_resched() in the loops the model mirrors. */
void ex_cond_resched(const char *fn);

/*
 * Traces: tell which VMA the current thread is working on ("FN ADDR"),
 * printed with each of its steps until restored; FN NULL clears.  Not a
 * schedule point and no part of any decision.  Returns the previous one,
 * for ex_trace_ctx_restore.
 */
struct ex_trace_ctx {
	const char *fn;
	unsigned long addr;
};
struct ex_trace_ctx ex_trace_ctx_set(const char *fn, unsigned long addr);
void ex_trace_ctx_restore(struct ex_trace_ctx prev);

/*
 * Thread bookkeeping for the runner: make @t current; a thread must hold
 * no lock when a statement ends (checked by ex_thread_check_clean()).
 */
void ex_thread_init(struct ex_thread *t, int id, const char *name);
void ex_set_current(struct ex_thread *t);
void ex_thread_check_clean(struct ex_thread *t);
/* Forget every lock of @t (after a fatal violation unwound the model). */
void ex_thread_forget_locks(struct ex_thread *t);

/* ------------------------------------------------------------------ */
/*
 * The pthread backend (rmaplab stress, explore/stress.c): the scenario's
 * threads are real pthreads.  Every lock operation and the bookkeeping
 * then run under one global mutex; a contended acquire sleeps on a
 * condition variable until a release hands the lock over (the explorer's
 * FIFO hand-off: readers share, writers exclude, a waiting writer blocks
 * later readers).  The hooks (ex_hooks) must be NULL while it is on.
 * Off (the default), the explorer's path is unchanged.
 */
void ex_lock_use_pthreads(bool on);
/*
 * @nr_threads threads run their sections concurrently from now on (0: only
 * the caller runs); a thread that would sleep while every running thread
 * sleeps reports a deadlock.  Also clears a stop request.
 */
void ex_lock_pthreads_begin(int nr_threads);
/* The calling thread has finished (or left) its section. */
void ex_lock_pthreads_thread_exit(void);
/*
 * Stop the run: every thread that sleeps on a lock, now or later, leaves
 * the model through ex_fatal (kind deadlock, "gave up waiting").
 */
void ex_lock_pthreads_stop(void);
/*
 * ex_fatal calls this before it longjmps out of the model: the backend's
 * mutex, if this thread holds it, is released.  A no-op otherwise.
 */
void ex_lock_unwind(void);

#endif /* RMAPLAB_EXPLORE_LOCK_H */
