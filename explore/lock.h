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
};

extern struct ex_thread *ex_current;

/*
 * Hooks the explorer installs; all NULL in run mode.  point() is called at
 * every schedule point (before an acquire, after a release, at
 * ex_sched_point); block() when the current thread cannot take a lock and
 * must wait for another thread to release it.
 */
enum ex_event {
	EX_EV_ACQUIRE,
	EX_EV_RELEASE,
	EX_EV_POINT,
	EX_EV_WAIT,
	EX_EV_DOWNGRADE,
};

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

/* Is @lock held by the current thread (in @mode, or any mode if mode < 0)? */
bool ex_lock_held_by_me(const void *lock, int mode);
/* Is @l held by anyone? */
static inline bool ex_lock_is_locked(const struct ex_lock *l)
{
	return l->owner || l->readers;
}

/* A named race window where the kernel holds no lock. */
void ex_sched_point(const char *name);

/* cond_resched() in the loops the model mirrors. */
void ex_cond_resched(const char *fn);

/*
 * Thread bookkeeping for the runner: make @t current; a thread must hold
 * no lock when a statement ends (checked by ex_thread_check_clean()).
 */
void ex_thread_init(struct ex_thread *t, int id, const char *name);
void ex_set_current(struct ex_thread *t);
void ex_thread_check_clean(struct ex_thread *t);
/* Forget every lock of @t (after a fatal violation unwound the model). */
void ex_thread_forget_locks(struct ex_thread *t);

#endif /* RMAPLAB_EXPLORE_LOCK_H */
